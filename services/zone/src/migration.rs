//! Creates the zone table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string_len, string_len_null, timestamp_with_time_zone};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0100_zone"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("zone")
                    .if_not_exists()
                    .col(string_len("uuid", 32).primary_key())
                    .col(string_len("name", 255))
                    .col(string_len_null("description", 2048))
                    .col(string_len("state", 32))
                    .col(string_len("type", 32))
                    .col(boolean("is_default"))
                    .col(timestamp_with_time_zone("create_date"))
                    .col(timestamp_with_time_zone("last_op_date"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("zone").to_owned())
            .await
    }
}
