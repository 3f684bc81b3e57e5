//! The backup-storage service: simulated image-store and SFTP backup storage, attached to zones.

mod capacity;
pub mod entity;
mod handlers;
pub mod messages;

use zstack_kernel::family::handlers::{change_state, delete, reconnect, update};
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::BACKUP_STORAGE;
use entity::Entity as BackupStorage;
use messages::{
    APIChangeBackupStorageStateMsg, APIDeleteBackupStorageMsg, APIReconnectBackupStorageMsg,
    APIUpdateBackupStorageMsg,
};

pub const SERVICE_ID: &str = "backupStorage";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries
        .relate("zone", entity::ZONES.back("backupStorage"));
    zstack_kernel::simulator::spawn_pinger(node, BACKUP_STORAGE, SERVICE_ID);
    node.service(SERVICE_ID)
        .table::<BackupStorage>()
        .api(handlers::add_image_store)
        .api(handlers::add_sftp)
        .api(update::<BackupStorage, APIUpdateBackupStorageMsg>)
        .api(change_state::<BackupStorage, APIChangeBackupStorageStateMsg>)
        .api(reconnect::<BackupStorage, APIReconnectBackupStorageMsg>)
        .api(delete::<BackupStorage, APIDeleteBackupStorageMsg>)
        .api(handlers::attach)
        .api(handlers::detach)
        .query::<messages::ImageStoreBackupStorageQuery>()
        .query::<messages::SftpBackupStorageQuery>()
        .handle(capacity::allocate)
        .handle(capacity::give_back)
        .handle(capacity::delete_bits)
        .gc_runner(
            zstack_header::backup_storage::DELETE_BITS_GC,
            capacity::delete_bits_later,
        )
        .cascade::<handlers::BackupStorageCascade, _, _>(handlers::parent_gone)
        .start()
}
