//! Hosts.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::ResourceRef;

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
