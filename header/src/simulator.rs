//! The simulated hypervisor (ZStack's simulator plugin): what the VM family asks a simulated
//! host to do, as it would ask a real host's agent. The host's own view of its VMs is the
//! simulator service's; the VM family learns it only through these messages.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::EmptyReply;

/// A VM as a simulated host runs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmOnHost {
    pub uuid: String,
    /// Running or Paused.
    pub state: String,
}

/// VM operation `operation` (StartVm, StopVm, RebootVm, PauseVm, ResumeVm or DestroyVm) on VM
/// `vm_uuid` of simulated host `host_uuid`: it takes the host's operation delay, fails when the
/// host is unreachable or was told to fail it, and otherwise changes what the host runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostVmOperationMsg {
    pub host_uuid: String,
    pub operation: String,
    pub vm_uuid: String,
}

impl Message for HostVmOperationMsg {
    const NAME: &'static str = "HostVmOperationMsg";
    type Reply = EmptyReply;
}

/// Migrates VM `vm_uuid` from simulated host `from_host_uuid` to `to_host_uuid`: the source's
/// operation, which also fails when the target is unreachable; the VM keeps its state.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostMigrateVmMsg {
    pub from_host_uuid: String,
    pub to_host_uuid: String,
    pub vm_uuid: String,
}

impl Message for HostMigrateVmMsg {
    const NAME: &'static str = "HostMigrateVmMsg";
    type Reply = EmptyReply;
}

/// The VMs simulated host `host_uuid` runs, by uuid (what a reconnecting agent reports).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetHostVmsMsg {
    pub host_uuid: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostVms {
    pub vms: Vec<VmOnHost>,
}

impl Message for GetHostVmsMsg {
    const NAME: &'static str = "GetHostVmsMsg";
    type Reply = HostVms;
}

/// Simulated host `host_uuid` no longer runs VM `vm_uuid`, without delay or failure: undoing a
/// start whose later step failed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetHostVmMsg {
    pub host_uuid: String,
    pub vm_uuid: String,
}

impl Message for ForgetHostVmMsg {
    const NAME: &'static str = "ForgetHostVmMsg";
    type Reply = EmptyReply;
}
