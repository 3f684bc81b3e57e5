//! Disk offerings.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::ResourceRef;

pub const DISK_OFFERING: ResourceRef = ResourceRef {
    table: "disk_offering",
    vo_name: "DiskOfferingVO",
};

/// The size a disk offering gives a volume.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetDiskOfferingMsg {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiskOfferingSummary {
    pub uuid: String,
    pub disk_size: i64,
    pub state: String,
}

impl Message for GetDiskOfferingMsg {
    const NAME: &'static str = "GetDiskOfferingMsg";
    type Reply = DiskOfferingSummary;
}
