//! Creates the backup storage tables.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0410_backup_storage")
        .table(
            Table::create()
                .table("backup_storage")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len("url", 2048))
                .col(string_len_null("description", 2048))
                .col(string_len("hostname", 255))
                .col(string_len("username", 255))
                .col(string_len("password", 255))
                .col(big_integer("ssh_port"))
                .col(big_integer("total_capacity"))
                .col(big_integer("available_capacity"))
                .col(string_len("type", 64))
                .col(string_len("state", 32))
                .col(string_len("status", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .table(
            Table::create()
                .table("backup_storage_zone_ref")
                .col(string_len("backup_storage_uuid", 32))
                .col(string_len("zone_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: a racing second attach fails on the key.
                .primary_key(Index::create().col("backup_storage_uuid").col("zone_uuid")),
        )
        .index(
            Index::create()
                .name("idx_backup_storage_zone_ref_zone_uuid")
                .table("backup_storage_zone_ref")
                .col("zone_uuid"),
        )
}
