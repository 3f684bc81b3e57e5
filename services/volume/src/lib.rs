//! The volume service: VMs' root volumes (and, later, data volumes) on primary storage.

pub mod entity;
mod handlers;

use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Volume;
pub use entity::VOLUME;

pub const SERVICE_ID: &str = "volume";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<Volume>()
        .handle(handlers::create)
        .handle(handlers::of_vm)
        .handle(handlers::expunge)
        .start()
}
