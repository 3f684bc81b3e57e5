//! The backup storage table, its zone attachments, and its inventory (`BackupStorageInventory`).

use serde::{Deserialize, Serialize};
pub use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_kernel::api::Inventory;
use zstack_kernel::query::QueryMeta;
use zstack_kernel::resource::Link;
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "backup_storage" for BACKUP_STORAGE;
    query APIQueryBackupStorageMsg "/backup-storage" as "backupStorage";
    inventory Model = "org.zstack.header.storage.backup.BackupStorageInventory";
    migration "m0410_backup_storage";
    remove crate::handlers::remove;
    extend query;
    reply BackupStorageInventory = crate::handlers::inventory;
    columns {
        name: String [255],
        url: String [2048],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        hostname: String [255],
        username: String [255],
        /// Kept for the (simulated) SSH login; never part of an inventory, nor of a query.
        #[serde(skip_serializing, default)]
        password: String [255],
        ssh_port: i64,
        total_capacity: i64,
        available_capacity: i64,
        r#type: String [64],
        /// Enabled or Disabled.
        state: String [32],
        /// Connecting or Connected (the simulator always connects).
        status: String [32],
    }
}

/// The storage table and its zone attachment table.
pub fn migration() -> CreateTables {
    ZONES.migration(declared::migration())
}

/// Queries see the attached zones (`attachedZoneUuids`, `backupStorage.zone`), never the
/// password.
fn query(mut meta: QueryMeta) -> QueryMeta {
    meta.fields.retain(|f| f.name != "password");
    ZONES.query(meta, "attachedZoneUuids", "zone")
}

/// What the APIs answer: the row and the zones it is attached to (queries answer the same through their list
/// field).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupStorageInventory {
    #[serde(flatten)]
    pub storage: Model,
    #[serde(default)]
    pub attached_zone_uuids: Vec<String>,
}

impl Inventory for BackupStorageInventory {
    const CLASS: &'static str = "org.zstack.header.storage.backup.BackupStorageInventory";
    const VO_NAME: Option<&'static str> = Some("BackupStorageVO");
}

/// Which zones a backup storage serves (`BackupStorageZoneRefVO`).
/// The join table's attach, detach and cleanup.
pub const ZONES: Link = Link {
    table: "backup_storage_zone_ref",
    from: ("backup_storage_uuid", "backup storage"),
    to: ("zone_uuid", "zone"),
};
