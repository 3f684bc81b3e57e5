//! The L3 network table with its IP ranges, DNS servers and network services, and their
//! inventories.

use serde::{Deserialize, Serialize};
pub use zstack_header::l3_network::{IP_RANGE, L3_NETWORK};
use zstack_kernel::api::Inventory;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "l3_network" for L3_NETWORK;
    query APIQueryL3NetworkMsg "/l3-networks" as "l3Network";
    inventory Model = "org.zstack.header.network.l3.L3NetworkInventory";
    migration "m0710_l3_network";
    cascade "L3NetworkCascadeMsg" { "L2NetworkVO" => l2_network_uuid }
    remove crate::handlers::remove;
    extend lists;
    reply L3NetworkInventory = crate::handlers::inventory;
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        r#type: String [64],
        zone_uuid: String [32] => "zone",
        l2_network_uuid: String [32] => "l2Network",
        state: String [32],
        system: bool,
        /// Public, Private or System.
        category: String [32],
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dns_domain: Option<String> [255],
        ip_version: i64,
    }
}

/// The networks, their IP ranges, DNS servers and network services.
pub fn migration() -> CreateTables {
    use sea_orm_migration::prelude::{Index, Table};
    use sea_orm_migration::schema::{big_pk_auto, string_len, timestamp_with_time_zone};
    declared::migration()
        .and(ip_range::migration())
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

/// What queries of a network list beside its columns: its IP ranges (also a relation), DNS
/// servers and network services.
fn lists(meta: QueryMeta) -> QueryMeta {
    let range_fields: Vec<(&'static str, FieldKind)> = <ip_range::Entity as Queryable>::meta()
        .fields
        .iter()
        .map(|f| (f.name, f.kind))
        .collect();
    meta.relation("ipRanges", "ipRange", "uuid", "l3NetworkUuid")
        .values("dns", "l3_network_dns", "l3_network_uuid", "dns", "id")
        .rows(
            "ipRanges",
            IP_RANGE.table,
            "l3_network_uuid",
            &range_fields,
            "create_date",
        )
        .rows(
            "networkServices",
            "network_service_l3_network_ref",
            "l3_network_uuid",
            &[
                ("l3NetworkUuid", FieldKind::Str),
                ("networkServiceProviderUuid", FieldKind::Str),
                ("networkServiceType", FieldKind::Str),
            ],
            "network_service_type",
        )
        .list_class(
            "networkServices",
            "org.zstack.header.network.l3.NetworkServiceL3NetworkRefInventory",
        )
}

/// A network service a provider gives an L3 network (`NetworkServiceL3NetworkRefInventory`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkServiceRef {
    pub l3_network_uuid: String,
    pub network_service_provider_uuid: String,
    pub network_service_type: String,
}

/// What the mutating L3 APIs answer: the row plus its DNS servers, IP ranges and network
/// services. The query engine returns table columns only, so queries answer without these.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L3NetworkInventory {
    #[serde(flatten)]
    pub network: Model,
    #[serde(default)]
    pub dns: Vec<String>,
    #[serde(default)]
    pub ip_ranges: Vec<ip_range::Model>,
    #[serde(default)]
    pub network_services: Vec<NetworkServiceRef>,
}

impl Inventory for L3NetworkInventory {
    const CLASS: &'static str = "org.zstack.header.network.l3.L3NetworkInventory";
    const VO_NAME: Option<&'static str> = Some("L3NetworkVO");
}

/// Ranges of addresses an L3 network hands out (`IpRangeInventory`), created with the networks
/// in m0710_l3_network.
pub mod ip_range {
    use zstack_kernel::query::QueryMeta;

    pub use zstack_header::l3_network::IP_RANGE;

    zstack_kernel::resource_table! {
        table "ip_range" for IP_RANGE;
        query APIQueryIpRangeMsg "/l3-networks/ip-ranges" as "ipRange";
        inventory Model = "org.zstack.header.network.l3.IpRangeInventory";
        migration "m0710_l3_network";
        extend network;
        columns {
            l3_network_uuid: String [32, index],
            name: String [255],
            #[serde(default, skip_serializing_if = "Option::is_none")]
            description: Option<String> [2048],
            start_ip: String [64],
            end_ip: String [64],
            netmask: String [64],
            gateway: String [64],
            network_cidr: String [64],
            ip_version: i64,
        }
    }

    /// `ipRange.l3Network`; the network reaches its ranges as `ipRanges`.
    fn network(meta: QueryMeta) -> QueryMeta {
        meta.relation("l3Network", "l3Network", "l3NetworkUuid", "uuid")
    }
}

/// The DNS servers of an L3 network, in the order they were added.
pub mod dns {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "l3_network_dns")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub l3_network_uuid: String,
        pub dns: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which provider gives which network service to an L3 network.
pub mod service_ref {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "network_service_l3_network_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub l3_network_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub network_service_provider_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub network_service_type: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The addresses handed out (`UsedIpVO`): one row per address taken, unique per network, so
/// that racing allocations of one address meet at the index.
pub mod used_ip {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use zstack_kernel::schema::CreateTables;

    pub const TABLE: &str = "used_ip";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "used_ip")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub l3_network_uuid: String,
        pub ip_range_uuid: String,
        pub ip: String,
        pub netmask: String,
        pub gateway: String,
        /// What holds the address (a VM NIC).
        pub owner_uuid: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    pub fn migration() -> CreateTables {
        use sea_orm_migration::prelude::{Index, Table};
        use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
        CreateTables::new("m0711_used_ip")
            .table(
                Table::create()
                    .table(TABLE)
                    .col(string_len("uuid", 32).primary_key())
                    .col(string_len("l3_network_uuid", 32))
                    .col(string_len("ip_range_uuid", 32))
                    .col(string_len("ip", 64))
                    .col(string_len("netmask", 64))
                    .col(string_len("gateway", 64))
                    .col(string_len("owner_uuid", 32))
                    .col(timestamp_with_time_zone("create_date")),
            )
            .index(
                Index::create()
                    .name("idx_used_ip_l3_ip")
                    .table(TABLE)
                    .col("l3_network_uuid")
                    .col("ip")
                    .unique(),
            )
            .index(
                Index::create()
                    .name("idx_used_ip_owner")
                    .table(TABLE)
                    .col("owner_uuid"),
            )
    }
}
