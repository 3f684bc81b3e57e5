//! VM instances and their NICs.

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
