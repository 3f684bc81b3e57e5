//! The primary storage table, its cluster attachments, and its inventory
//! (`PrimaryStorageInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "primary_storage")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub zone_uuid: String,
    pub name: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub total_capacity: i64,
    pub available_capacity: i64,
    pub total_physical_capacity: i64,
    pub available_physical_capacity: i64,
    pub system_used_capacity: i64,
    #[serde(rename = "type")]
    pub r#type: String,
    /// Enabled, Disabled or Maintenance.
    pub state: String,
    /// Connecting or Connected (the simulator always connects).
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount_path: Option<String>,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What the APIs answer: the row and the clusters it is attached to (queries answer the same through their list
/// field).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryStorageInventory {
    #[serde(flatten)]
    pub storage: Model,
    #[serde(default)]
    pub attached_cluster_uuids: Vec<String>,
}

impl Inventory for PrimaryStorageInventory {
    const CLASS: &'static str = "org.zstack.header.storage.primary.PrimaryStorageInventory";
    const VO_NAME: Option<&'static str> = Some("PrimaryStorageVO");
}

/// Which clusters a primary storage is attached to (`PrimaryStorageClusterRefVO`).
/// The join table's attach, detach and cleanup.
pub const CLUSTERS: zstack_kernel::resource::Link = zstack_kernel::resource::Link {
    table: cluster_ref::TABLE,
    from: ("primary_storage_uuid", "primary storage"),
    to: ("cluster_uuid", "cluster"),
};

pub mod cluster_ref {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    pub const TABLE: &str = "primary_storage_cluster_ref";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "primary_storage_cluster_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub primary_storage_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub cluster_uuid: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
