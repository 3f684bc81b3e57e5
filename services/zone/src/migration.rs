//! Creates the zone table.

use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{boolean, string_len, string_len_null, timestamp_with_time_zone};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0100_zone").table(
        Table::create()
            .table("zone")
            .col(string_len("uuid", 32).primary_key())
            .col(string_len("name", 255))
            .col(string_len_null("description", 2048))
            .col(string_len("state", 32))
            .col(string_len("type", 32))
            .col(boolean("is_default"))
            .col(timestamp_with_time_zone("create_date"))
            .col(timestamp_with_time_zone("last_op_date")),
    )
}
