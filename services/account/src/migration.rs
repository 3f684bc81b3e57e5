//! Creates the account and session tables.

use sea_orm_migration::prelude::{ForeignKey, ForeignKeyAction, Table};
use sea_orm_migration::schema::{string_len, string_len_null, timestamp_with_time_zone};
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
