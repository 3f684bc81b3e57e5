//! The host table and its inventory (`HostInventory`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::host::HOST;
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "host")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub zone_uuid: String,
    pub cluster_uuid: String,
    pub management_ip: String,
    pub hypervisor_type: String,
    /// Enabled, Disabled, PreMaintenance or Maintenance.
    pub state: String,
    /// Connecting, Connected or Disconnected.
    pub status: String,
    pub total_cpu_capacity: i64,
    pub available_cpu_capacity: i64,
    pub total_memory_capacity: i64,
    pub available_memory_capacity: i64,
    pub cpu_num: i64,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Inventory for Model {
    const CLASS: &'static str = "org.zstack.header.host.HostInventory";
    const VO_NAME: Option<&'static str> = Some("HostVO");
}
