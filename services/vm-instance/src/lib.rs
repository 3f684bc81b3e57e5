//! The VM-instance service: VMs on simulator hosts, their NICs (attached and detached after
//! creation too), and their life cycle.

mod create;
pub mod entity;
mod lifecycle;
pub mod messages;
pub mod nics;
mod placement;

use zstack_kernel::{ErrorCode, NodeContext};

use entity::{Entity as VmInstance, nic::Entity as VmNic};
pub use entity::{VM_INSTANCE, VM_NIC};

pub const SERVICE_ID: &str = "vmInstance";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<VmInstance>()
        .table::<VmNic>()
        .system_tag(VM_INSTANCE.vo_name, create::STATIC_IP)
        .api(create::create)
        .api(lifecycle::start)
        .api(lifecycle::stop)
        .api(lifecycle::destroy)
        .api(lifecycle::recover)
        .api(lifecycle::expunge)
        .api(nics::attach)
        .api(nics::detach)
        .handle(nics::detach_on_vm)
        .start()
}
