//! Images.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::ResourceRef;

pub const IMAGE: ResourceRef = ResourceRef {
    table: "image",
    vo_name: "ImageVO",
};

/// What other families need of an image (a VM's root volume is made from it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetImageMsg {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageSummary {
    pub uuid: String,
    pub name: String,
    pub media_type: String,
    pub platform: String,
    pub architecture: String,
    pub format: String,
    pub state: String,
    pub status: String,
    pub size: i64,
}

impl Message for GetImageMsg {
    const NAME: &'static str = "GetImageMsg";
    type Reply = ImageSummary;
}
