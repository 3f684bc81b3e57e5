//! The backup-storage service: simulated image-store and SFTP backup storage, attached to zones.

mod capacity;
pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::BACKUP_STORAGE;
pub use messages::BackupStorageQuery;

pub const SERVICE_ID: &str = "backupStorage";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "zone",
        Relation::new("backupStorage", "backupStorage", "uuid", "uuid").via(
            entity::zone_ref::TABLE,
            "zone_uuid",
            "backup_storage_uuid",
        ),
    );
    node.service(SERVICE_ID)
        .resource(entity::BACKUP_STORAGE)
        .api(handlers::add_image_store)
        .api(handlers::add_sftp)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::reconnect)
        .api(handlers::delete)
        .api(handlers::attach)
        .api(handlers::detach)
        .query::<BackupStorageQuery>()
        .query::<messages::ImageStoreBackupStorageQuery>()
        .query::<messages::SftpBackupStorageQuery>()
        .handle(capacity::allocate)
        .handle(capacity::give_back)
        .cascade::<handlers::BackupStorageCascade, _, _>(handlers::parent_gone)
        .start()
}
