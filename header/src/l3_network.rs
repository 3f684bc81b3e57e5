//! L3 networks, their IP ranges, and the addresses they hand out to other families (a VM's
//! NICs).

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const L3_NETWORK: ResourceRef = ResourceRef {
    table: "l3_network",
    vo_name: "L3NetworkVO",
};

pub const IP_RANGE: ResourceRef = ResourceRef {
    table: "ip_range",
    vo_name: "IpRangeVO",
};

/// What other families need of an L3 network: where it is and whether it may be used.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetL3NetworkMsg {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L3NetworkSummary {
    pub uuid: String,
    pub name: String,
    pub zone_uuid: String,
    pub l2_network_uuid: String,
    pub state: String,
}

impl Message for GetL3NetworkMsg {
    const NAME: &'static str = "GetL3NetworkMsg";
    type Reply = L3NetworkSummary;
}

/// Takes a free address of an L3 network's ranges for `owner_uuid` (a NIC): `required_ip`
/// when given (refused when taken or outside every range), else the first free one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocateIpMsg {
    pub l3_network_uuid: String,
    pub required_ip: Option<String>,
    pub owner_uuid: String,
}

/// An address taken (`UsedIpVO`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsedIp {
    pub uuid: String,
    pub l3_network_uuid: String,
    pub ip_range_uuid: String,
    pub ip: String,
    pub netmask: String,
    pub gateway: String,
}

impl Message for AllocateIpMsg {
    const NAME: &'static str = "AllocateIpMsg";
    type Reply = UsedIp;
}

/// Gives the addresses taken for `owner_uuids` back to their ranges.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseIpsMsg {
    pub owner_uuids: Vec<String>,
}

impl Message for ReleaseIpsMsg {
    const NAME: &'static str = "ReleaseIpsMsg";
    type Reply = EmptyReply;
}
