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
