//! Creates the management-node table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len, timestamp_with_time_zone};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_management_node"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("management_node")
                    .if_not_exists()
                    .col(string_len("uuid", 32).primary_key())
                    .col(string_len("host_name", 255))
                    .col(big_integer("port"))
                    .col(timestamp_with_time_zone("join_date"))
                    .col(timestamp_with_time_zone("heart_beat"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("management_node").to_owned())
            .await
    }
}
