//! Instance offerings.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::ResourceRef;

pub const INSTANCE_OFFERING: ResourceRef = ResourceRef {
    table: "instance_offering",
    vo_name: "InstanceOfferingVO",
};

/// The sizes an instance offering gives a VM.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetInstanceOfferingMsg {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceOfferingSummary {
    pub uuid: String,
    pub cpu_num: i64,
    pub cpu_speed: i64,
    pub memory_size: i64,
    pub reserved_memory_size: i64,
    pub allocator_strategy: String,
    pub state: String,
}

impl Message for GetInstanceOfferingMsg {
    const NAME: &'static str = "GetInstanceOfferingMsg";
    type Reply = InstanceOfferingSummary;
}
