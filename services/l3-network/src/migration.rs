//! Creates the L3 network tables: networks, IP ranges, DNS servers and network services.

use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, boolean, string_len, string_len_null, timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0710_l3_network")
        .table(
            Table::create()
                .table("l3_network")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("type", 64))
                .col(string_len("zone_uuid", 32))
                .col(string_len("l2_network_uuid", 32))
                .col(string_len("state", 32))
                .col(boolean("system"))
                .col(string_len("category", 32))
                .col(string_len_null("dns_domain", 255))
                .col(big_integer("ip_version"))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_l3_network_l2_network_uuid")
                .table("l3_network")
                .col("l2_network_uuid"),
        )
        .index(
            Index::create()
                .name("idx_l3_network_zone_uuid")
                .table("l3_network")
                .col("zone_uuid"),
        )
        .table(
            Table::create()
                .table("ip_range")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("l3_network_uuid", 32))
                .col(string_len("name", 255))
                .col(string_len_null("description", 2048))
                .col(string_len("start_ip", 64))
                .col(string_len("end_ip", 64))
                .col(string_len("netmask", 64))
                .col(string_len("gateway", 64))
                .col(string_len("network_cidr", 64))
                .col(big_integer("ip_version"))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_ip_range_l3_network_uuid")
                .table("ip_range")
                .col("l3_network_uuid"),
        )
        .table(
            Table::create()
                .table("l3_network_dns")
                .col(big_pk_auto("id"))
                .col(string_len("l3_network_uuid", 32))
                .col(string_len("dns", 64))
                .col(timestamp_with_time_zone("create_date")),
        )
        .index(
            Index::create()
                .name("idx_l3_network_dns_unique")
                .table("l3_network_dns")
                .col("l3_network_uuid")
                .col("dns")
                .unique(),
        )
        .table(
            Table::create()
                .table("network_service_l3_network_ref")
                .col(string_len("l3_network_uuid", 32))
                .col(string_len("network_service_provider_uuid", 255))
                .col(string_len("network_service_type", 64))
                .primary_key(
                    Index::create()
                        .col("l3_network_uuid")
                        .col("network_service_provider_uuid")
                        .col("network_service_type"),
                ),
        )
}
