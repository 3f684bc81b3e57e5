//! The primary storage table, its cluster attachments, and its inventory
//! (`PrimaryStorageInventory`).

use serde::{Deserialize, Serialize};
pub use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_kernel::api::Inventory;
use zstack_kernel::query::QueryMeta;
use zstack_kernel::resource::Link;
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
    CLUSTERS.migration(declared::migration())
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
pub const CLUSTERS: Link = Link {
    table: "primary_storage_cluster_ref",
    from: ("primary_storage_uuid", "primary storage"),
    to: ("cluster_uuid", "cluster"),
};

/// The attached clusters in queries: `attachedClusterUuids`, and `primaryStorage.cluster`.
fn clusters(meta: QueryMeta) -> QueryMeta {
    CLUSTERS.query(meta, "attachedClusterUuids", "cluster")
}
