//! The primary-storage service: simulated local and NFS primary storage, attached to clusters.

mod capacity;
pub mod entity;
mod handlers;
pub mod messages;

use zstack_kernel::family::handlers::{delete, reconnect};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as PrimaryStorage;
pub use entity::PRIMARY_STORAGE;
use messages::{APIDeletePrimaryStorageMsg, APIReconnectPrimaryStorageMsg};

pub const SERVICE_ID: &str = "primaryStorage";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries
        .relate("cluster", entity::CLUSTERS.back("primaryStorage"));
    zstack_kernel::simulator::spawn_pinger(node, PRIMARY_STORAGE, SERVICE_ID);
    node.service(SERVICE_ID)
        .table::<PrimaryStorage>()
        .api(handlers::add_local)
        .api(handlers::add_nfs)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(reconnect::<PrimaryStorage, APIReconnectPrimaryStorageMsg>)
        .api(delete::<PrimaryStorage, APIDeletePrimaryStorageMsg>)
        .api(handlers::attach)
        .api(handlers::detach)
        .handle(capacity::candidates)
        .handle(capacity::allocate)
        .handle(capacity::give_back)
        .cascade::<handlers::ClusterRefCascade, _, _>(handlers::cluster_gone)
        .start()
}
