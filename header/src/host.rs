//! Hosts.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const HOST: ResourceRef = ResourceRef {
    table: "host",
    vo_name: "HostVO",
};

/// The APIs that add a host, each with the parameter that holds the new host's CPU count when
/// the request declares one (a KVM host's is learnt only once it connects).
pub const ADD_HOST_APIS: &[(&str, Option<&str>)] = &[
    ("APIAddSimulatorHostMsg", Some("cpuCapacity")),
    ("APIAddKVMHostMsg", None),
];

/// How many hosts there are and how many CPUs they have together, whatever their state: for
/// limits counted over every host (a license's).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetHostUsageMsg {}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostUsage {
    pub host_num: i64,
    pub cpu_num: i64,
}

impl Message for GetHostUsageMsg {
    const NAME: &'static str = "GetHostUsageMsg";
    type Reply = HostUsage;
}

/// The hosts that can take a VM: Enabled and Connected, in one of `cluster_uuids` (only
/// `host_uuid` when given), with `cpu_num` CPUs and `memory_size` bytes free; most free memory
/// first; with `limit`, at most that many picked at random among them (ZStack's default
/// allocator picks at random: racing VMs then rarely try the same hosts). Taking the capacity
/// is [`ReserveHostCapacityMsg`]'s: a candidate may be gone by then.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListHostCandidatesMsg {
    pub cluster_uuids: Vec<String>,
    pub host_uuid: Option<String>,
    pub cpu_num: i64,
    pub memory_size: i64,
    #[serde(default)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCandidate {
    pub uuid: String,
    pub cluster_uuid: String,
    pub zone_uuid: String,
}

impl Message for ListHostCandidatesMsg {
    const NAME: &'static str = "ListHostCandidatesMsg";
    type Reply = Vec<HostCandidate>;
}

/// Takes `cpu_num` CPUs and `memory_size` bytes of an Enabled and Connected host, or fails
/// without taking anything: racing reservations never over-commit the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReserveHostCapacityMsg {
    pub host_uuid: String,
    pub cpu_num: i64,
    pub memory_size: i64,
}

impl Message for ReserveHostCapacityMsg {
    const NAME: &'static str = "ReserveHostCapacityMsg";
    type Reply = EmptyReply;
}

/// Gives back what a [`ReserveHostCapacityMsg`] took.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseHostCapacityMsg {
    pub host_uuid: String,
    pub cpu_num: i64,
    pub memory_size: i64,
}

impl Message for ReleaseHostCapacityMsg {
    const NAME: &'static str = "ReleaseHostCapacityMsg";
    type Reply = EmptyReply;
}
