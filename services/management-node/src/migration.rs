//! Creates the management-node table.

use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{big_integer, string_len, text_null, timestamp_with_time_zone};
use zstack_kernel::schema::{AddColumns, CreateTables};

pub fn migration() -> CreateTables {
    CreateTables::new("m0020_management_node").table(
        Table::create()
            .table("management_node")
            .col(string_len("uuid", 32).primary_key())
            .col(string_len("host_name", 255))
            .col(big_integer("port"))
            .col(timestamp_with_time_zone("join_date"))
            .col(timestamp_with_time_zone("heart_beat")),
    )
}

/// Service placement: which services each node runs.
pub fn services_migration() -> AddColumns {
    AddColumns::new("m0021_management_node_services")
        .column("management_node", text_null("services"))
}
