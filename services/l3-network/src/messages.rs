//! The L3 network APIs.

use serde_json::Value;
use zstack_header::l2_network::L2_NETWORK;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use crate::entity::{IP_RANGE, L3_NETWORK, L3NetworkInventory, ip_range};

/// The network service types an L3 network may be given.
pub const SERVICE_TYPES: &[&str] = &[
    "DHCP",
    "DNS",
    "SNAT",
    "PortForwarding",
    "Eip",
    "SecurityGroup",
    "VipQos",
    "LoadBalancer",
    "Userdata",
];

const CATEGORIES: &[&str] = &["Public", "Private", "System"];

api_message! {
    /// Creates an L3 network on an L2 network; it belongs to the L2 network's zone.
    pub struct APICreateL3NetworkMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        r#type: Option<String> => checks().valid_values(&["L3BasicNetwork"]),
        l2_network_uuid: String => checks().resource(L2_NETWORK),
        category: Option<String> => checks().valid_values(CATEGORIES),
        ip_version: Option<i64> => checks().range(4, 4),
        system: Option<bool>,
        dns_domain: Option<String> => checks().max_len(255),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/l3-networks");
    reply = InventoryReply<L3NetworkInventory>;
}

api_message! {
    /// Changes an L3 network's name, description, DNS domain, category or system flag.
    pub struct APIUpdateL3NetworkMsg {
        uuid: String => checks().resource(L3_NETWORK),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        dns_domain: Option<String> => checks().max_len(255),
        category: Option<String> => checks().valid_values(CATEGORIES),
        system: Option<bool>,
    }
    route = Route::action("/l3-networks/{uuid}/actions");
    reply = InventoryReply<L3NetworkInventory>;
    resource = uuid;
}

api_message! {
    /// Enables or disables an L3 network.
    pub struct APIChangeL3NetworkStateMsg {
        uuid: String => checks().resource(L3_NETWORK),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/l3-networks/{uuid}/actions");
    reply = InventoryReply<L3NetworkInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes an L3 network with its IP ranges, DNS servers and network services.
    pub struct APIDeleteL3NetworkMsg {
        uuid: String => checks().uuid().references(L3_NETWORK),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/l3-networks/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Adds a range of IPv4 addresses to an L3 network.
    pub struct APIAddIpRangeMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        start_ip: String => checks().max_len(64),
        end_ip: String => checks().max_len(64),
        netmask: String => checks().max_len(64),
        gateway: Option<String> => checks().max_len(64),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/l3-networks/{l3NetworkUuid}/ip-ranges");
    reply = InventoryReply<ip_range::Model>;
    // Overlap is judged per L3 network, so its range changes queue behind each other.
    resource = l3_network_uuid;
}

api_message! {
    /// Adds the usable addresses of a network CIDR, less the gateway, as a range.
    pub struct APIAddIpRangeByNetworkCidrMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        network_cidr: String => checks().max_len(64),
        gateway: Option<String> => checks().max_len(64),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/l3-networks/{l3NetworkUuid}/ip-ranges/by-cidr");
    reply = InventoryReply<ip_range::Model>;
    resource = l3_network_uuid;
}

api_message! {
    /// Deletes an IP range.
    pub struct APIDeleteIpRangeMsg {
        uuid: String => checks().uuid().references(IP_RANGE),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/l3-networks/ip-ranges/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Adds a DNS server to an L3 network.
    pub struct APIAddDnsToL3NetworkMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        dns: String => checks().max_len(64),
    }
    route = Route::post("/l3-networks/{l3NetworkUuid}/dns");
    reply = InventoryReply<L3NetworkInventory>;
    resource = l3_network_uuid;
}

api_message! {
    /// Removes a DNS server from an L3 network.
    pub struct APIRemoveDnsFromL3NetworkMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        dns: String => checks().max_len(64),
    }
    route = Route::delete("/l3-networks/{l3NetworkUuid}/dns/{dns}");
    reply = InventoryReply<L3NetworkInventory>;
    resource = l3_network_uuid;
}

api_message! {
    /// Gives an L3 network network services: provider uuid → service types.
    pub struct APIAttachNetworkServiceToL3NetworkMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        network_services: Value,
    }
    route = Route::post("/l3-networks/{l3NetworkUuid}/network-services");
    reply = InventoryReply<L3NetworkInventory>;
    resource = l3_network_uuid;
}

api_message! {
    /// Takes network services from an L3 network: a provider → types map (a JSON object, in
    /// the query string as its text) and/or one service type taken from every provider.
    pub struct APIDetachNetworkServiceFromL3NetworkMsg {
        l3_network_uuid: String => checks().resource(L3_NETWORK),
        network_services: Option<Value>,
        service: Option<String> => checks().valid_values(SERVICE_TYPES),
    }
    route = Route::delete("/l3-networks/{l3NetworkUuid}/network-services");
    reply = InventoryReply<L3NetworkInventory>;
    resource = l3_network_uuid;
}

/// `GET /l3-networks`, `GET /l3-networks/{uuid}`.
pub struct L3NetworkQuery;

impl Queryable for L3NetworkQuery {
    const QUERY_API: &'static str = "APIQueryL3NetworkMsg";
    const PATH: &'static str = "/l3-networks";
    const PATH_BY_UUID: Option<&'static str> = Some("/l3-networks/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "l3Network",
            L3_NETWORK.table,
            "org.zstack.header.network.l3.L3NetworkInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("zoneUuid", FieldKind::Str)
        .field("l2NetworkUuid", FieldKind::Str)
        .field("state", FieldKind::Str)
        .field("system", FieldKind::Bool)
        .field("category", FieldKind::Str)
        .field("dnsDomain", FieldKind::Str)
        .field("ipVersion", FieldKind::Int)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .relation("l2Network", "l2Network", "l2NetworkUuid", "uuid")
        .relation("zone", "zone", "zoneUuid", "uuid")
        .relation("ipRanges", "ipRange", "uuid", "l3NetworkUuid")
        .values("dns", "l3_network_dns", "l3_network_uuid", "dns", "id")
        .rows(
            "ipRanges",
            IP_RANGE.table,
            "l3_network_uuid",
            &[
                ("uuid", FieldKind::Str),
                ("l3NetworkUuid", FieldKind::Str),
                ("name", FieldKind::Str),
                ("description", FieldKind::Str),
                ("startIp", FieldKind::Str),
                ("endIp", FieldKind::Str),
                ("netmask", FieldKind::Str),
                ("gateway", FieldKind::Str),
                ("networkCidr", FieldKind::Str),
                ("ipVersion", FieldKind::Int),
                ("createDate", FieldKind::Date),
                ("lastOpDate", FieldKind::Date),
            ],
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
    }
}

/// `GET /l3-networks/ip-ranges`, `GET /l3-networks/ip-ranges/{uuid}`.
pub struct IpRangeQuery;

impl Queryable for IpRangeQuery {
    const QUERY_API: &'static str = "APIQueryIpRangeMsg";
    const PATH: &'static str = "/l3-networks/ip-ranges";
    const PATH_BY_UUID: Option<&'static str> = Some("/l3-networks/ip-ranges/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "ipRange",
            IP_RANGE.table,
            "org.zstack.header.network.l3.IpRangeInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("l3NetworkUuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("startIp", FieldKind::Str)
        .field("endIp", FieldKind::Str)
        .field("netmask", FieldKind::Str)
        .field("gateway", FieldKind::Str)
        .field("networkCidr", FieldKind::Str)
        .field("ipVersion", FieldKind::Int)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .relation("l3Network", "l3Network", "l3NetworkUuid", "uuid")
    }
}
