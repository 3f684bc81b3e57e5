//! The L3 network table with its IP ranges, DNS servers and network services, and their
//! inventories.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
pub use zstack_header::l3_network::{IP_RANGE, L3_NETWORK};
use zstack_kernel::api::Inventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "l3_network")]
#[serde(rename_all = "camelCase")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub r#type: String,
    pub zone_uuid: String,
    pub l2_network_uuid: String,
    pub state: String,
    pub system: bool,
    /// Public, Private or System.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_domain: Option<String>,
    pub ip_version: i64,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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

/// Ranges of addresses an L3 network hands out (`IpRangeInventory`).
pub mod ip_range {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use zstack_kernel::api::Inventory;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "ip_range")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub l3_network_uuid: String,
        pub name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        pub start_ip: String,
        pub end_ip: String,
        pub netmask: String,
        pub gateway: String,
        pub network_cidr: String,
        pub ip_version: i64,
        #[serde(with = "zstack_kernel::time")]
        pub create_date: DateTime<Utc>,
        #[serde(with = "zstack_kernel::time")]
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Inventory for Model {
        const CLASS: &'static str = "org.zstack.header.network.l3.IpRangeInventory";
        const VO_NAME: Option<&'static str> = Some("IpRangeVO");
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
