//! The L3 network APIs.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zstack_header::l2_network::L2_NETWORK;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{ApiReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

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

zstack_kernel::standard_apis! {
    of L3_NETWORK, inventory L3NetworkInventory, path "/l3-networks";
    change_state APIChangeL3NetworkStateMsg;
    delete APIDeleteL3NetworkMsg;
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

zstack_kernel::standard_apis! {
    of IP_RANGE, inventory ip_range::Model, path "/l3-networks/ip-ranges";
    delete APIDeleteIpRangeMsg;
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

api_message! {
    /// How many addresses the ranges of the given zones, L3 networks and IP ranges hold, and how
    /// many of them are used (their union), or of every range with `all=true`.
    pub struct APIGetIpAddressCapacityMsg {
        zone_uuids: Option<Vec<String>> => checks().resource(ZONE).references(ZONE),
        l3_network_uuids: Option<Vec<String>> => checks().resource(L3_NETWORK).references(L3_NETWORK),
        ip_range_uuids: Option<Vec<String>> => checks().resource(IP_RANGE).references(IP_RANGE),
        all: Option<bool>,
    }
    route = Route::get("/ip-capacity");
    reply = IpCapacityReply;
}

/// Addresses in all and used, for IPv4 and IPv6 apart and together (ZStack's
/// `GetIpAddressCapacityReply`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpCapacity {
    pub total_capacity: i64,
    pub available_capacity: i64,
    pub used_ip_address_number: i64,
    pub ipv4_total_capacity: i64,
    pub ipv4_available_capacity: i64,
    pub ipv4_used_ip_address_number: i64,
    pub ipv6_total_capacity: i64,
    pub ipv6_available_capacity: i64,
    pub ipv6_used_ip_address_number: i64,
}

/// The whole, and one entry per resource asked for (`resourceUuid` beside its figures).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpCapacityReply {
    #[serde(flatten)]
    pub whole: IpCapacity,
    /// The kind of the resources in `capacityData` (`ZoneVO`, `L3NetworkVO`, `IpRangeVO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    pub capacity_data: Vec<IpCapacityData>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpCapacityData {
    pub resource_uuid: String,
    #[serde(flatten)]
    pub capacity: IpCapacity,
}

impl ApiReply for IpCapacityReply {}
