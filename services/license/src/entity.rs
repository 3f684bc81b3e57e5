//! The installed license, shared by every node: one row at most, holding the license text as it
//! was uploaded. Each node verifies the text itself when it reads it, so a row written around the
//! API grants nothing.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{string_len, text, timestamp_with_time_zone};
use zstack_kernel::schema::CreateTables;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "license")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub license: String,
    /// The node the license was uploaded to (UpdateLicense's `managementNodeUuid`).
    pub management_node_uuid: String,
    pub upload_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub fn migration() -> CreateTables {
    CreateTables::new("m0900_license").table(
        Table::create()
            .table("license")
            .col(string_len("uuid", 32).primary_key())
            .col(text("license"))
            .col(string_len("management_node_uuid", 32))
            .col(timestamp_with_time_zone("upload_date")),
    )
}
