//! The disk-offering service: sizes for data volumes.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::DISK_OFFERING;
pub use messages::DiskOfferingQuery;

pub const SERVICE_ID: &str = "diskOffering";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .resource(entity::DISK_OFFERING)
        .api(handlers::create)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .query::<DiskOfferingQuery>()
        .start()
}
