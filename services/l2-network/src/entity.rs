//! The L2 network table and its cluster attachments; its inventory is the contract's
//! (`zstack_header::l2_network`).

pub use zstack_header::l2_network::L2_NETWORK;
use zstack_header::l2_network::{L2Network, L2NetworkInventory};
use zstack_kernel::query::QueryMeta;
use zstack_kernel::schema::CreateTables;

pub const NO_VLAN: &str = "L2NoVlanNetwork";
pub const VLAN: &str = "L2VlanNetwork";

zstack_kernel::resource_table! {
    table "l2_network" for L2_NETWORK;
    query APIQueryL2NetworkMsg "/l2-networks" as "l2Network";
    inventory L2Network;
    migration "m0700_l2_network";
    cascade "L2NetworkCascadeMsg" { "ZoneVO" => zone_uuid }
    remove crate::handlers::remove;
    extend clusters;
    reply L2NetworkInventory = crate::handlers::inventory;
    columns {
        name: String [255],
        description: Option<String> [2048],
        zone_uuid: String [32] => "zone",
        physical_interface: String [1024],
        /// L2NoVlanNetwork or L2VlanNetwork.
        r#type: String [32],
        /// VLAN networks only.
        vlan: Option<i64>,
    }
}

/// The network's table and its cluster attachment table.
pub fn migration() -> CreateTables {
    use sea_orm_migration::prelude::{Index, Table};
    use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
    declared::migration()
        .table(
            Table::create()
                .table(cluster_ref::TABLE)
                .col(string_len("l2_network_uuid", 32))
                .col(string_len("cluster_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: racing attaches of one pair meet here.
                .primary_key(Index::create().col("l2_network_uuid").col("cluster_uuid")),
        )
        .index(
            Index::create()
                .name("idx_l2_network_cluster_ref_cluster_uuid")
                .table(cluster_ref::TABLE)
                .col("cluster_uuid"),
        )
}

/// Which clusters an L2 network is attached to.
/// The join table's attach, detach and cleanup.
pub const CLUSTERS: zstack_kernel::resource::Link = zstack_kernel::resource::Link {
    table: cluster_ref::TABLE,
    from: ("l2_network_uuid", "l2Network"),
    to: ("cluster_uuid", "cluster"),
};

/// The attached clusters in queries: `attachedClusterUuids`, and `l2Network.cluster`.
fn clusters(meta: QueryMeta) -> QueryMeta {
    CLUSTERS.query(meta, "attachedClusterUuids", "cluster")
}

pub mod cluster_ref {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    pub const TABLE: &str = "l2_network_cluster_ref";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "l2_network_cluster_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub l2_network_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub cluster_uuid: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
