//! The instance-offering service: CPU and memory sizes for VMs.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::INSTANCE_OFFERING;
pub use messages::InstanceOfferingQuery;

pub const SERVICE_ID: &str = "instanceOffering";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .resource(entity::INSTANCE_OFFERING)
        .api(handlers::create)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .query::<InstanceOfferingQuery>()
        .start()
}
