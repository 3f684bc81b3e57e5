//! VM instances and their NICs, and what other families ask of a VM.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const VM_INSTANCE: ResourceRef = ResourceRef {
    table: "vm_instance",
    vo_name: "VmInstanceVO",
};

pub const VM_NIC: ResourceRef = ResourceRef {
    table: "vm_nic",
    vo_name: "VmNicVO",
};

/// Attaches a data volume to a VM (ZStack's `AttachDataVolumeToVmMsg`): it waits in the VM's
/// queue, behind the VM's other operations, and is refused when the VM's state does not allow
/// it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttachDataVolumeToVmMsg {
    pub vm_instance_uuid: String,
    pub volume_uuid: String,
}

impl Message for AttachDataVolumeToVmMsg {
    const NAME: &'static str = "AttachDataVolumeToVmMsg";
    type Reply = EmptyReply;
    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

/// Detaches a data volume from a VM (ZStack's `DetachDataVolumeFromVmMsg`), in the VM's queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetachDataVolumeFromVmMsg {
    pub vm_instance_uuid: String,
    pub volume_uuid: String,
}

impl Message for DetachDataVolumeFromVmMsg {
    const NAME: &'static str = "DetachDataVolumeFromVmMsg";
    type Reply = EmptyReply;
    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

/// A host reports a VM's state on it (ZStack's `VmStateChangedOnHostMsg`): Running, Paused,
/// Stopped (the host does not run it), or Unknown (the host is lost). The VM service brings the
/// VM in step with it, in the VM's queue, so it never overtakes an operation on the VM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmStateChangedOnHostMsg {
    pub vm_instance_uuid: String,
    pub host_uuid: String,
    pub state_on_host: String,
}

impl Message for VmStateChangedOnHostMsg {
    const NAME: &'static str = "VmStateChangedOnHostMsg";
    type Reply = EmptyReply;
    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

/// Host `host_uuid` is entering maintenance (ZStack's maintenance hook): each VM it runs
/// migrates to another host with room, or is stopped when none takes it. VMs in Unknown are
/// left as they are, as ZStack leaves them. Fails naming the VMs that could be neither moved
/// nor stopped; those stay where they were.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VacateHostMsg {
    pub host_uuid: String,
}

/// What vacating a host did: the VMs migrated away and those stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostVacated {
    pub migrated: Vec<String>,
    pub stopped: Vec<String>,
}

impl Message for VacateHostMsg {
    const NAME: &'static str = "VacateHostMsg";
    type Reply = HostVacated;
}
