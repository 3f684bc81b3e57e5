//! The zone service: the first resource family, and the template the others follow.

pub mod entity;
mod handlers;
pub mod messages;

use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Zone;
pub use messages::{APIChangeZoneStateMsg, APICreateZoneMsg, APIDeleteZoneMsg, APIUpdateZoneMsg};
use zstack_kernel::family::handlers::{change_state, delete};

pub const SERVICE_ID: &str = "zone";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<Zone>()
        .api(handlers::create)
        .api(handlers::update)
        .api(change_state::<Zone, APIChangeZoneStateMsg>)
        .api(delete::<Zone, APIDeleteZoneMsg>)
        .start()
}
