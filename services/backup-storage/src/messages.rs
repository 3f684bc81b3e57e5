//! The backup storage APIs.

use zstack_header::zone::ZONE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use crate::entity::{BACKUP_STORAGE, BackupStorageInventory, zone_ref};

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

api_message! {
    /// Changes a backup storage's name or description.
    pub struct APIUpdateBackupStorageMsg {
        uuid: String => checks().resource(BACKUP_STORAGE),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
    }
    route = Route::action("/backup-storage/{uuid}/actions");
    reply = InventoryReply<BackupStorageInventory>;
    resource = uuid;
}

api_message! {
    /// Enables or disables a backup storage.
    pub struct APIChangeBackupStorageStateMsg {
        uuid: String => checks().resource(BACKUP_STORAGE),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/backup-storage/{uuid}/actions");
    reply = InventoryReply<BackupStorageInventory>;
    resource = uuid;
}

api_message! {
    /// Reconnects a backup storage (the simulator answers at once).
    pub struct APIReconnectBackupStorageMsg {
        uuid: String => checks().resource(BACKUP_STORAGE),
    }
    route = Route::action("/backup-storage/{uuid}/actions");
    reply = InventoryReply<BackupStorageInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes a backup storage, its image copies and its zone attachments.
    pub struct APIDeleteBackupStorageMsg {
        uuid: String => checks().uuid().references(BACKUP_STORAGE),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/backup-storage/{uuid}");
    reply = EmptyReply;
    resource = uuid;
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

/// `GET /backup-storage`, `GET /backup-storage/{uuid}`.
pub struct BackupStorageQuery;

impl Queryable for BackupStorageQuery {
    const QUERY_API: &'static str = "APIQueryBackupStorageMsg";
    const PATH: &'static str = "/backup-storage";
    const PATH_BY_UUID: Option<&'static str> = Some("/backup-storage/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "backupStorage",
            BACKUP_STORAGE.table,
            "org.zstack.header.storage.backup.BackupStorageInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("url", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("hostname", FieldKind::Str)
        .field("username", FieldKind::Str)
        .field("sshPort", FieldKind::Int)
        .field("totalCapacity", FieldKind::Int)
        .field("availableCapacity", FieldKind::Int)
        .field("type", FieldKind::Str)
        .field("state", FieldKind::Str)
        .field("status", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .values(
            "attachedZoneUuids",
            zone_ref::TABLE,
            "backup_storage_uuid",
            "zone_uuid",
            "create_date",
        )
        .relation_via(
            "zone",
            "zone",
            "uuid",
            (zone_ref::TABLE, "backup_storage_uuid", "zone_uuid"),
            "uuid",
        )
    }
}

/// `GET /backup-storage/image-store`: image-store backup storage only.
pub struct ImageStoreBackupStorageQuery;

impl Queryable for ImageStoreBackupStorageQuery {
    const QUERY_API: &'static str = "APIQueryImageStoreBackupStorageMsg";
    const PATH: &'static str = "/backup-storage/image-store";
    const PATH_BY_UUID: Option<&'static str> = None;

    fn meta() -> QueryMeta {
        BackupStorageQuery::meta().typed(
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
        BackupStorageQuery::meta().typed(
            "sftpBackupStorage",
            "org.zstack.storage.backup.sftp.SftpBackupStorageInventory",
            "type",
            "SftpBackupStorage",
        )
    }
}
