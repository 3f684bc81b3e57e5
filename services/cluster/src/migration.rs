//! Creates the cluster table.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{string_len, string_len_null, timestamp_with_time_zone};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0200_cluster")
        .table(
            Table::create()
                .table("cluster")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("state", 32))
                .col(string_len("hypervisor_type", 32))
                .col(string_len("type", 32))
                .col(string_len("zone_uuid", 32))
                .col(string_len_null("architecture", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_cluster_zone_uuid")
                .table("cluster")
                .col("zone_uuid"),
        )
}
