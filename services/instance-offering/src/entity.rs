//! The instance offering table and its inventory (`InstanceOfferingInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::instance_offering::INSTANCE_OFFERING;
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "instance_offering")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub cpu_num: i64,
    pub cpu_speed: i64,
    /// Bytes.
    pub memory_size: i64,
    pub reserved_memory_size: i64,
    #[serde(rename = "type")]
    pub r#type: String,
    pub allocator_strategy: String,
    pub sort_key: i64,
    pub state: String,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Inventory for Model {
    const CLASS: &'static str = "org.zstack.header.configuration.InstanceOfferingInventory";
    const VO_NAME: Option<&'static str> = Some("InstanceOfferingVO");
}
