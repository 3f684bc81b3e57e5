//! The cluster service: groups of hosts of one hypervisor type in a zone.

pub mod entity;
mod handlers;
pub mod messages;

use zstack_kernel::family::handlers::{change_state, delete, get, update};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Cluster;
pub use messages::{APIChangeClusterStateMsg, APIDeleteClusterMsg, APIUpdateClusterMsg};
pub use zstack_header::cluster::{CLUSTER, ClusterInventory, GetClusterMsg};

pub const SERVICE_ID: &str = "cluster";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<Cluster>()
        .api(handlers::create)
        .api(update::<Cluster, APIUpdateClusterMsg>)
        .api(change_state::<Cluster, APIChangeClusterStateMsg>)
        .api(delete::<Cluster, APIDeleteClusterMsg>)
        .handle(get::<Cluster, GetClusterMsg>)
        .start()
}
