//! The L2-network service: no-VLAN and VLAN networks, attached to clusters.

pub mod entity;
mod handlers;
pub mod messages;

use zstack_kernel::family::handlers::{delete, get, update};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as L2Network;
pub use messages::{APIDeleteL2NetworkMsg, APIUpdateL2NetworkMsg};
pub use zstack_header::l2_network::{GetL2NetworkMsg, L2_NETWORK, L2NetworkInventory};

pub const SERVICE_ID: &str = "l2Network";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries
        .relate("cluster", entity::CLUSTERS.back("l2Network"));
    node.service(SERVICE_ID)
        .table::<L2Network>()
        .api(handlers::create_no_vlan)
        .api(handlers::create_vlan)
        .api(update::<L2Network, APIUpdateL2NetworkMsg>)
        .api(delete::<L2Network, APIDeleteL2NetworkMsg>)
        .api(handlers::attach_cluster)
        .api(handlers::detach_cluster)
        .handle(get::<L2Network, GetL2NetworkMsg>)
        .handle(handlers::clusters)
        .query::<messages::L2VlanNetworkQuery>()
        .cascade::<handlers::L2ClusterRefCascade, _, _>(handlers::cluster_gone)
        .start()
}
