//! The primary-storage service: simulated local and NFS primary storage, attached to clusters.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::PRIMARY_STORAGE;
pub use messages::PrimaryStorageQuery;

pub const SERVICE_ID: &str = "primaryStorage";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "zone",
        Relation::new("primaryStorage", "primaryStorage", "uuid", "zoneUuid"),
    );
    node.queries.relate(
        "cluster",
        Relation::new("primaryStorage", "primaryStorage", "uuid", "uuid").via(
            entity::cluster_ref::TABLE,
            "cluster_uuid",
            "primary_storage_uuid",
        ),
    );
    node.service(SERVICE_ID)
        .resource(entity::PRIMARY_STORAGE)
        .api(handlers::add_local)
        .api(handlers::add_nfs)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::reconnect)
        .api(handlers::delete)
        .api(handlers::attach)
        .api(handlers::detach)
        .query::<PrimaryStorageQuery>()
        .cascade::<handlers::PrimaryStorageCascade, _, _>(handlers::parent_gone)
        .start()
}
