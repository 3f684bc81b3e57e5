//! The disk offering table and its inventory (`DiskOfferingInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::disk_offering::DISK_OFFERING;
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "disk_offering")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bytes.
    pub disk_size: i64,
    pub sort_key: i64,
    pub state: String,
    #[serde(rename = "type")]
    pub r#type: String,
    /// The API calls it `allocationStrategy`, the inventory `allocatorStrategy`, as in ZStack.
    pub allocator_strategy: String,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Inventory for Model {
    const CLASS: &'static str = "org.zstack.header.configuration.DiskOfferingInventory";
    const VO_NAME: Option<&'static str> = Some("DiskOfferingVO");
}
