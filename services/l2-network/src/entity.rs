//! The L2 network table, its cluster attachments, and its inventory (`L2NetworkInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use zstack_kernel::api::{Inventory, ResourceRef};

pub const L2_NETWORK: ResourceRef = ResourceRef {
    table: "l2_network",
    vo_name: "L2NetworkVO",
};

pub const NO_VLAN: &str = "L2NoVlanNetwork";
pub const VLAN: &str = "L2VlanNetwork";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "l2_network")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub zone_uuid: String,
    pub physical_interface: String,
    /// L2NoVlanNetwork or L2VlanNetwork.
    #[serde(rename = "type")]
    pub r#type: String,
    /// VLAN networks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    #[serde(
        serialize_with = "zstack_kernel::time::serialize",
        deserialize_with = "zstack_kernel::time::deserialize"
    )]
    pub create_date: DateTime<Utc>,
    #[serde(
        serialize_with = "zstack_kernel::time::serialize",
        deserialize_with = "zstack_kernel::time::deserialize"
    )]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// What the L2 APIs answer: the row plus the clusters it is attached to (the query engine
/// returns table columns only, so queries answer without them).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2NetworkInventory {
    #[serde(flatten)]
    pub network: Model,
    #[serde(default)]
    pub attached_cluster_uuids: Vec<String>,
}

impl Inventory for L2NetworkInventory {
    const CLASS: &'static str = "org.zstack.header.network.l2.L2NetworkInventory";
    const VO_NAME: Option<&'static str> = Some("L2NetworkVO");
}

/// Which clusters an L2 network is attached to.
/// The join table's attach, detach and cleanup.
pub const CLUSTERS: zstack_kernel::resource::Link = zstack_kernel::resource::Link {
    table: cluster_ref::TABLE,
    from: ("l2_network_uuid", "l2Network"),
    to: ("cluster_uuid", "cluster"),
};

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
