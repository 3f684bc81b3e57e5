//! The cluster service: groups of hosts of one hypervisor type in a zone.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use messages::ClusterQuery;
pub use zstack_header::cluster::{CLUSTER, ClusterInventory, GetClusterMsg};

pub const SERVICE_ID: &str = "cluster";

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "zone",
        Relation::new("cluster", "cluster", "uuid", "zoneUuid"),
    );
    node.service(SERVICE_ID)
        .resource(CLUSTER)
        .api(handlers::create)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .query::<ClusterQuery>()
        .handle(handlers::get)
        .cascade::<handlers::ClusterCascade, _, _>(handlers::parent_gone)
        .start()
}
