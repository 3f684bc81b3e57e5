//! The primary storage table, its cluster attachments, and its inventory
//! (`PrimaryStorageInventory`).

use serde::{Deserialize, Serialize};
pub use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_kernel::api::Inventory;
use zstack_kernel::query::QueryMeta;
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "primary_storage" for PRIMARY_STORAGE;
    query APIQueryPrimaryStorageMsg "/primary-storage" as "primaryStorage";
    inventory Model = "org.zstack.header.storage.primary.PrimaryStorageInventory";
    migration "m0400_primary_storage";
    cascade "PrimaryStorageCascadeMsg" { "ZoneVO" => zone_uuid }
    remove crate::handlers::remove;
    extend clusters;
    reply PrimaryStorageInventory = crate::handlers::inventory;
    columns {
        zone_uuid: String [32] => "zone",
        name: String [255],
        url: String [2048],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        total_capacity: i64,
        available_capacity: i64,
        total_physical_capacity: i64,
        available_physical_capacity: i64,
        system_used_capacity: i64,
        r#type: String [64],
        /// Enabled, Disabled or Maintenance.
        state: String [32],
        /// Connecting or Connected (the simulator always connects).
        status: String [32],
        #[serde(skip_serializing_if = "Option::is_none")]
        mount_path: Option<String> [2048],
    }
}

/// The storage table and its cluster attachment table.
pub fn migration() -> CreateTables {
    use sea_orm_migration::prelude::{Index, Table};
    use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
    declared::migration()
        .table(
            Table::create()
                .table(cluster_ref::TABLE)
                .col(string_len("primary_storage_uuid", 32))
                .col(string_len("cluster_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: a racing second attach fails on the key.
                .primary_key(
                    Index::create()
                        .col("primary_storage_uuid")
                        .col("cluster_uuid"),
                ),
        )
        .index(
            Index::create()
                .name("idx_primary_storage_cluster_ref_cluster_uuid")
                .table(cluster_ref::TABLE)
                .col("cluster_uuid"),
        )
}

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

/// The attached clusters in queries: `attachedClusterUuids`, and `primaryStorage.cluster`.
fn clusters(meta: QueryMeta) -> QueryMeta {
    CLUSTERS.query(meta, "attachedClusterUuids", "cluster")
}

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
