//! The backup storage APIs.

use zstack_header::zone::ZONE;
use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{QueryMeta, Queryable};

use crate::entity::{BACKUP_STORAGE, BackupStorageInventory, Entity};

api_message! {
    /// Adds a simulated image store.
    pub struct APIAddImageStoreBackupStorageMsg {
        hostname: String => checks().max_len(255),
        username: String => checks().max_len(255),
        password: String => checks().max_len(255).no_trim(),
        ssh_port: Option<i64> => checks().range(1, 65535),
        url: String => checks().max_len(2048),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        r#type: Option<String> => checks().valid_values(&["ImageStoreBackupStorage"]),
        import_images: Option<bool>,
        resource_uuid: Option<String> => checks().uuid(),
        /// The simulator's declared capacity in bytes (default 1 TiB).
        total_capacity: Option<i64> => checks().range(1, i64::MAX),
    }
    route = Route::post("/backup-storage/image-store");
    reply = InventoryReply<BackupStorageInventory>;
}

api_message! {
    /// Adds a simulated SFTP backup storage.
    pub struct APIAddSftpBackupStorageMsg {
        hostname: String => checks().max_len(255),
        username: String => checks().max_len(255),
        password: String => checks().max_len(255).no_trim(),
        ssh_port: Option<i64> => checks().range(1, 65535),
        url: String => checks().max_len(2048),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        r#type: Option<String> => checks().valid_values(&["SftpBackupStorage"]),
        import_images: Option<bool>,
        resource_uuid: Option<String> => checks().uuid(),
        /// The simulator's declared capacity in bytes (default 1 TiB).
        total_capacity: Option<i64> => checks().range(1, i64::MAX),
    }
    route = Route::post("/backup-storage/sftp");
    reply = InventoryReply<BackupStorageInventory>;
}

zstack_kernel::standard_apis! {
    of BACKUP_STORAGE, inventory BackupStorageInventory, path "/backup-storage";
    update APIUpdateBackupStorageMsg;
    change_state APIChangeBackupStorageStateMsg;
    reconnect APIReconnectBackupStorageMsg;
    delete APIDeleteBackupStorageMsg;
}

api_message! {
    /// Lets a zone use a backup storage.
    pub struct APIAttachBackupStorageToZoneMsg {
        zone_uuid: String => checks().resource(ZONE),
        backup_storage_uuid: String => checks().resource(BACKUP_STORAGE),
    }
    route = Route::post("/zones/{zoneUuid}/backup-storage/{backupStorageUuid}");
    reply = InventoryReply<BackupStorageInventory>;
    resource = backup_storage_uuid;
}

api_message! {
    /// Stops a zone using a backup storage.
    pub struct APIDetachBackupStorageFromZoneMsg {
        zone_uuid: String => checks().resource(ZONE),
        backup_storage_uuid: String => checks().resource(BACKUP_STORAGE),
    }
    route = Route::delete("/zones/{zoneUuid}/backup-storage/{backupStorageUuid}");
    reply = InventoryReply<BackupStorageInventory>;
    resource = backup_storage_uuid;
}

/// `GET /backup-storage/image-store`: image-store backup storage only.
pub struct ImageStoreBackupStorageQuery;

impl Queryable for ImageStoreBackupStorageQuery {
    const QUERY_API: &'static str = "APIQueryImageStoreBackupStorageMsg";
    const PATH: &'static str = "/backup-storage/image-store";
    const PATH_BY_UUID: Option<&'static str> = None;

    fn meta() -> QueryMeta {
        <Entity as Queryable>::meta().typed(
            "imageStoreBackupStorage",
            "org.zstack.storage.backup.imagestore.ImageStoreBackupStorageInventory",
            "type",
            "ImageStoreBackupStorage",
        )
    }
}

/// `GET /backup-storage/sftp`: SFTP backup storage only.
pub struct SftpBackupStorageQuery;

impl Queryable for SftpBackupStorageQuery {
    const QUERY_API: &'static str = "APIQuerySftpBackupStorageMsg";
    const PATH: &'static str = "/backup-storage/sftp";
    const PATH_BY_UUID: Option<&'static str> = None;

    fn meta() -> QueryMeta {
        <Entity as Queryable>::meta().typed(
            "sftpBackupStorage",
            "org.zstack.storage.backup.sftp.SftpBackupStorageInventory",
            "type",
            "SftpBackupStorage",
        )
    }
}
