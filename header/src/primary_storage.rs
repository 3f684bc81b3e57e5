//! Primary storage, and its capacity as other families use it: a volume takes bytes of a
//! primary storage and gives them back when it is expunged.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const PRIMARY_STORAGE: ResourceRef = ResourceRef {
    table: "primary_storage",
    vo_name: "PrimaryStorageVO",
};

/// The Enabled and Connected primary storage attached to any of `cluster_uuids` (only
/// `primary_storage_uuid` when given) with `size` bytes available, most available first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPrimaryStorageCandidatesMsg {
    pub cluster_uuids: Vec<String>,
    pub primary_storage_uuid: Option<String>,
    pub size: i64,
}

/// A primary storage that may hold a volume, and the clusters (of those asked) it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryStorageCandidate {
    pub uuid: String,
    pub cluster_uuids: Vec<String>,
}

impl Message for ListPrimaryStorageCandidatesMsg {
    const NAME: &'static str = "ListPrimaryStorageCandidatesMsg";
    type Reply = Vec<PrimaryStorageCandidate>;
}

/// Takes `size` bytes of an Enabled primary storage, or fails without taking anything.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocatePrimaryStorageCapacityMsg {
    pub primary_storage_uuid: String,
    pub size: i64,
}

impl Message for AllocatePrimaryStorageCapacityMsg {
    const NAME: &'static str = "AllocatePrimaryStorageCapacityMsg";
    type Reply = EmptyReply;
}

/// Gives back what an [`AllocatePrimaryStorageCapacityMsg`] took.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnPrimaryStorageCapacityMsg {
    pub primary_storage_uuid: String,
    pub size: i64,
}

impl Message for ReturnPrimaryStorageCapacityMsg {
    const NAME: &'static str = "ReturnPrimaryStorageCapacityMsg";
    type Reply = EmptyReply;
}
