//! VM instances and their NICs.

use zstack_kernel::api::ResourceRef;

pub const VM_INSTANCE: ResourceRef = ResourceRef {
    table: "vm_instance",
    vo_name: "VmInstanceVO",
};

pub const VM_NIC: ResourceRef = ResourceRef {
    table: "vm_nic",
    vo_name: "VmNicVO",
};
