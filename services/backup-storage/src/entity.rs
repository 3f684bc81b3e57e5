//! The backup storage table, its zone attachments, and its inventory (`BackupStorageInventory`).

use serde::{Deserialize, Serialize};
pub use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_kernel::api::Inventory;
use zstack_kernel::query::QueryMeta;
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
    use sea_orm_migration::prelude::{Index, Table};
    use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
    declared::migration()
        .table(
            Table::create()
                .table(zone_ref::TABLE)
                .col(string_len("backup_storage_uuid", 32))
                .col(string_len("zone_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: a racing second attach fails on the key.
                .primary_key(Index::create().col("backup_storage_uuid").col("zone_uuid")),
        )
        .index(
            Index::create()
                .name("idx_backup_storage_zone_ref_zone_uuid")
                .table(zone_ref::TABLE)
                .col("zone_uuid"),
        )
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
pub const ZONES: zstack_kernel::resource::Link = zstack_kernel::resource::Link {
    table: zone_ref::TABLE,
    from: ("backup_storage_uuid", "backup storage"),
    to: ("zone_uuid", "zone"),
};

pub mod zone_ref {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    pub const TABLE: &str = "backup_storage_zone_ref";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "backup_storage_zone_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub backup_storage_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub zone_uuid: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
