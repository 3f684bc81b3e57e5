//! Primary storage, and its capacity as other families use it: a volume takes bytes of a
//! primary storage and gives them back when it is expunged; an image cached there for VMs
//! takes its size.

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

/// A primary storage as other families need it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPrimaryStorageMsg {
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrimaryStorageSummary {
    pub uuid: String,
    pub name: String,
    pub zone_uuid: String,
    pub url: String,
    /// LocalStorage or NFS.
    pub r#type: String,
    pub state: String,
    pub status: String,
    pub available_capacity: i64,
    /// The clusters it is attached to.
    pub cluster_uuids: Vec<String>,
}

/// The storage type whose volumes live on one host's disks.
pub const LOCAL_STORAGE: &str = "LocalStorage";

impl PrimaryStorageSummary {
    /// Whether a volume on it lives on one host (local storage).
    pub fn is_local(&self) -> bool {
        self.r#type == LOCAL_STORAGE
    }
}

impl Message for GetPrimaryStorageMsg {
    const NAME: &'static str = "GetPrimaryStorageMsg";
    type Reply = PrimaryStorageSummary;
}

/// Makes sure primary storage `primary_storage_uuid` holds a copy of image `image_uuid` of
/// `size` bytes in its image cache (ZStack's ImageCacheVO): the first VM made from an image on
/// a storage downloads it there, taking the storage's capacity; later ones use that copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheImageMsg {
    pub primary_storage_uuid: String,
    pub image_uuid: String,
    pub size: i64,
}

/// Whether the copy was downloaded now (else it was there already).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedImage {
    pub downloaded: bool,
}

impl Message for CacheImageMsg {
    const NAME: &'static str = "CacheImageMsg";
    type Reply = CachedImage;
}

/// Removes an image's copy from a primary storage's cache and gives its `size` bytes back
/// (undoing a [`CacheImageMsg`] that downloaded it); nothing when there is none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UncacheImageMsg {
    pub primary_storage_uuid: String,
    pub image_uuid: String,
    pub size: i64,
}

impl Message for UncacheImageMsg {
    const NAME: &'static str = "UncacheImageMsg";
    type Reply = EmptyReply;
}
