//! Creates the primary storage tables.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0400_primary_storage")
        .table(
            Table::create()
                .table("primary_storage")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("zone_uuid", 32))
                .col(string_len("name", 255))
                .col(string_len("url", 2048))
                .col(string_len_null("description", 2048))
                .col(big_integer("total_capacity"))
                .col(big_integer("available_capacity"))
                .col(big_integer("total_physical_capacity"))
                .col(big_integer("available_physical_capacity"))
                .col(big_integer("system_used_capacity"))
                .col(string_len("type", 64))
                .col(string_len("state", 32))
                .col(string_len("status", 32))
                .col(string_len_null("mount_path", 2048))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_primary_storage_zone_uuid")
                .table("primary_storage")
                .col("zone_uuid"),
        )
        .table(
            Table::create()
                .table("primary_storage_cluster_ref")
                .col(string_len("primary_storage_uuid", 32))
                .col(string_len("cluster_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: a racing second attach fails on the key.
                .primary_key(
                    Index::create()
                        .col("primary_storage_uuid")
                        .col("cluster_uuid"),
                ),
        )
        .index(
            Index::create()
                .name("idx_primary_storage_cluster_ref_cluster_uuid")
                .table("primary_storage_cluster_ref")
                .col("cluster_uuid"),
        )
}
