//! The L3-network service: networks on an L2 network, with IP ranges, DNS and network services.

pub mod entity;
mod handlers;
mod ip;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::{IP_RANGE, L3_NETWORK};
pub use messages::{IpRangeQuery, L3NetworkQuery};

pub const SERVICE_ID: &str = "l3Network";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "l2Network",
        Relation::new("l3Network", "l3Network", "uuid", "l2NetworkUuid"),
    );
    node.queries.relate(
        "zone",
        Relation::new("l3Network", "l3Network", "uuid", "zoneUuid"),
    );
    node.service(SERVICE_ID)
        .resource(entity::L3_NETWORK)
        .resource(entity::IP_RANGE)
        .api(handlers::create)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .api(handlers::add_ip_range)
        .api(handlers::add_ip_range_by_cidr)
        .api(handlers::delete_ip_range)
        .api(handlers::add_dns)
        .api(handlers::remove_dns)
        .api(handlers::attach_services)
        .api(handlers::detach_services)
        .query::<L3NetworkQuery>()
        .query::<IpRangeQuery>()
        .cascade::<handlers::L3NetworkCascade, _, _>(handlers::l2_gone)
        .start()
}
