//! The L2-network service: no-VLAN and VLAN networks, attached to clusters.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use messages::L2NetworkQuery;
pub use zstack_header::l2_network::{GetL2NetworkMsg, L2_NETWORK, L2Network, L2NetworkInventory};

pub const SERVICE_ID: &str = "l2Network";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "zone",
        Relation::new("l2Network", "l2Network", "uuid", "zoneUuid"),
    );
    node.queries.relate(
        "cluster",
        Relation::new("l2Network", "l2Network", "uuid", "uuid").via(
            entity::cluster_ref::TABLE,
            "cluster_uuid",
            "l2_network_uuid",
        ),
    );
    node.service(SERVICE_ID)
        .resource(entity::L2_NETWORK)
        .api(handlers::create_no_vlan)
        .api(handlers::create_vlan)
        .api(handlers::update)
        .api(handlers::delete)
        .api(handlers::attach_cluster)
        .api(handlers::detach_cluster)
        .query::<L2NetworkQuery>()
        .handle(handlers::get)
        .query::<messages::L2VlanNetworkQuery>()
        .cascade::<handlers::L2NetworkCascade, _, _>(handlers::zone_gone)
        .cascade::<handlers::L2ClusterRefCascade, _, _>(handlers::cluster_gone)
        .start()
}
