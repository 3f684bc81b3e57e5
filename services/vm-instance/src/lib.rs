//! The VM-instance service: VMs on simulator hosts, their NICs (attached and detached after
//! creation too), their life cycle, and their side of attaching data volumes.

mod create;
pub mod entity;
mod lifecycle;
pub mod messages;
pub mod nics;
mod placement;
mod volumes;

use zstack_kernel::{ErrorCode, NodeContext};

pub use create::step_names as create_vm_steps;
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
        .handle(volumes::attach)
        .handle(volumes::detach)
        .api(nics::attach)
        .api(nics::detach)
        .handle(nics::detach_on_vm)
        .start()
}
