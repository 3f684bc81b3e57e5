//! The primary-storage service: simulated local and NFS primary storage, attached to clusters,
//! with the images cached there for VMs.

mod capacity;
pub mod entity;
mod handlers;
mod image_cache;
pub mod messages;

use zstack_kernel::family::handlers::{delete, reconnect};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as PrimaryStorage;
pub use entity::PRIMARY_STORAGE;
use messages::{APIDeletePrimaryStorageMsg, APIReconnectPrimaryStorageMsg};

pub const SERVICE_ID: &str = "primaryStorage";

zstack_kernel::family!(
    SERVICE_ID,
    start,
    [entity::migration(), image_cache::migration()]
);

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
        .handle(capacity::get)
        .handle(image_cache::cache)
        .handle(image_cache::uncache)
        .cascade::<handlers::ClusterRefCascade, _, _>(handlers::cluster_gone)
        .start()
}
