//! The account and session tables, and the failed-login counter.

use sea_orm_migration::prelude::{
    DbErr, ForeignKey, ForeignKeyAction, Index, MigrationName, MigrationTrait, SchemaManager,
    Table, TableCreateStatement, async_trait,
};
use sea_orm_migration::schema::{integer, string_len, string_len_null, timestamp_with_time_zone};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0010_account_session")
        .table(
            Table::create()
                .table("account")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255).unique_key())
                .col(string_len("password", 255))
                .col(string_len("type", 32))
                .col(string_len_null("description", 2048))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .table(
            Table::create()
                .table("session")
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
                ),
        )
}

/// Credentials: the session table keyed by the sha256 of each token instead of the token, and the
/// failed-login counter. Sessions from before are dropped (only their tokens could key the new
/// table, and those must not be kept): their users log in again.
pub fn credentials_migration() -> Credentials {
    Credentials
}

pub struct Credentials;

fn session_table(key: &'static str, key_len: u32) -> TableCreateStatement {
    Table::create()
        .table("session")
        .col(string_len(key, key_len).primary_key())
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
        .to_owned()
}

impl MigrationName for Credentials {
    fn name(&self) -> &str {
        "m0013_account_credentials"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Credentials {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("session").if_exists().to_owned())
            .await?;
        manager
            .create_table(session_table("token_hash", 64))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("login_failure")
                    .col(string_len("account_name", 255))
                    .col(string_len("client", 64))
                    .col(timestamp_with_time_zone("window_start"))
                    .col(integer("failures"))
                    .primary_key(Index::create().col("account_name").col("client"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["login_failure", "session"] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        manager.create_table(session_table("uuid", 32)).await
    }
}
