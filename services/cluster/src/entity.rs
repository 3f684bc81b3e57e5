//! The cluster table and its inventory (`ClusterInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use zstack_kernel::api::{Inventory, ResourceRef};

pub const CLUSTER: ResourceRef = ResourceRef {
    table: "cluster",
    vo_name: "ClusterVO",
};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "cluster")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: String,
    pub hypervisor_type: String,
    #[serde(rename = "type")]
    pub r#type: String,
    pub zone_uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
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

impl Inventory for Model {
    const CLASS: &'static str = "org.zstack.header.cluster.ClusterInventory";
    const VO_NAME: Option<&'static str> = Some("ClusterVO");
}
