//! The management-node table: one row per running node, with its heartbeat.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "management_node")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub host_name: String,
    pub port: i64,
    pub join_date: DateTime<Utc>,
    pub heart_beat: DateTime<Utc>,
    /// The services the node runs, comma-separated; NULL: all of them.
    pub services: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
