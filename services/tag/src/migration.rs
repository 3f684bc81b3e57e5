//! Creates the tag tables.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{boolean, string_len, timestamp_with_time_zone};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0030_tag")
        .table(
            Table::create()
                .table("system_tag")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("resource_uuid", 32))
                .col(string_len("resource_type", 64))
                .col(string_len("tag", 2048))
                .col(boolean("inherent"))
                .col(string_len("type", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .table(
            Table::create()
                .table("user_tag")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("resource_uuid", 32))
                .col(string_len("resource_type", 64))
                .col(string_len("tag", 2048))
                .col(string_len("type", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_system_tag_resource")
                .table("system_tag")
                .col("resource_uuid"),
        )
        .index(
            Index::create()
                .name("idx_user_tag_resource")
                .table("user_tag")
                .col("resource_uuid"),
        )
}
