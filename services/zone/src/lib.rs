//! The zone service: the first resource family, and the template the others follow.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use messages::{
    APIChangeZoneStateMsg, APICreateZoneMsg, APIDeleteZoneMsg, APIUpdateZoneMsg, ZoneQuery,
};

pub const SERVICE_ID: &str = "zone";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .resource(entity::ZONE)
        .api(handlers::create)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .query::<ZoneQuery>()
        .start()
}
