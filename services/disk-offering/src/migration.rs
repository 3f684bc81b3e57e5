//! Creates the disk offering table.

use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{
    big_integer, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0610_disk_offering").table(
        Table::create()
            .table("disk_offering")
            .col(string_len("uuid", 32).primary_key())
            .col(string_len("name", 255))
            .col(string_len_null("description", 2048))
            .col(big_integer("disk_size"))
            .col(big_integer("sort_key"))
            .col(string_len("state", 32))
            .col(string_len("type", 64))
            .col(string_len("allocator_strategy", 64))
            .col(timestamp_with_time_zone("create_date"))
            .col(timestamp_with_time_zone("last_op_date")),
    )
}
