//! Creates the L2 network table and its cluster attachment table.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer_null, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0700_l2_network")
        .table(
            Table::create()
                .table("l2_network")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("zone_uuid", 32))
                .col(string_len("physical_interface", 1024))
                .col(string_len("type", 32))
                .col(big_integer_null("vlan"))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_l2_network_zone_uuid")
                .table("l2_network")
                .col("zone_uuid"),
        )
        .table(
            Table::create()
                .table("l2_network_cluster_ref")
                .col(string_len("l2_network_uuid", 32))
                .col(string_len("cluster_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                // One attachment per pair: racing attaches of one pair meet here.
                .primary_key(Index::create().col("l2_network_uuid").col("cluster_uuid")),
        )
        .index(
            Index::create()
                .name("idx_l2_network_cluster_ref_cluster_uuid")
                .table("l2_network_cluster_ref")
                .col("cluster_uuid"),
        )
}
