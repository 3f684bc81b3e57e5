//! Creates the host table.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0300_host")
        .table(
            Table::create()
                .table("host")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("zone_uuid", 32))
                .col(string_len("cluster_uuid", 32))
                .col(string_len("management_ip", 255))
                .col(string_len("hypervisor_type", 32))
                .col(string_len("state", 32))
                .col(string_len("status", 32))
                .col(big_integer("total_cpu_capacity"))
                .col(big_integer("available_cpu_capacity"))
                .col(big_integer("total_memory_capacity"))
                .col(big_integer("available_memory_capacity"))
                .col(big_integer("cpu_num"))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_host_management_ip")
                .table("host")
                .col("management_ip")
                .unique(),
        )
        .index(
            Index::create()
                .name("idx_host_cluster_uuid")
                .table("host")
                .col("cluster_uuid"),
        )
        .index(
            Index::create()
                .name("idx_host_zone_uuid")
                .table("host")
                .col("zone_uuid"),
        )
}
