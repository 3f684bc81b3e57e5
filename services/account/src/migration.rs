//! Creates the account and session tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, string_len_null, timestamp_with_time_zone};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_account_session"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("account")
                    .if_not_exists()
                    .col(string_len("uuid", 32).primary_key())
                    .col(string_len("name", 255).unique_key())
                    .col(string_len("password", 255))
                    .col(string_len("type", 32))
                    .col(string_len_null("description", 2048))
                    .col(timestamp_with_time_zone("create_date"))
                    .col(timestamp_with_time_zone("last_op_date"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("session")
                    .if_not_exists()
                    .col(string_len("uuid", 32).primary_key())
                    .col(string_len("account_uuid", 32))
                    .col(string_len("user_uuid", 32))
                    .col(timestamp_with_time_zone("expired_date"))
                    .col(timestamp_with_time_zone("create_date"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_account")
                            .from("session", "account_uuid")
                            .to("account", "uuid")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("session").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("account").to_owned())
            .await
    }
}
