//! The backup storage table, its zone attachments, and its inventory (`BackupStorageInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "backup_storage")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub hostname: String,
    pub username: String,
    /// Kept for the (simulated) SSH login; never part of an inventory.
    #[serde(skip_serializing, default)]
    pub password: String,
    pub ssh_port: i64,
    pub total_capacity: i64,
    pub available_capacity: i64,
    #[serde(rename = "type")]
    pub r#type: String,
    /// Enabled or Disabled.
    pub state: String,
    /// Connecting or Connected (the simulator always connects).
    pub status: String,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
