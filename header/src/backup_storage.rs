//! Backup storage, and its capacity as other families use it: a download takes bytes from a
//! backup storage and gives them back when its copy goes. The backup-storage family owns the
//! numbers, so others ask it through these messages instead of writing its table.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const BACKUP_STORAGE: ResourceRef = ResourceRef {
    table: "backup_storage",
    vo_name: "BackupStorageVO",
};

/// Takes `size` bytes of an Enabled backup storage for `purpose` (named in refusals).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocateBackupStorageCapacityMsg {
    pub backup_storage_uuid: String,
    pub size: i64,
    pub purpose: String,
}

/// The backup storage that gave the bytes, and its URL (where copies are installed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocatedCapacity {
    pub backup_storage_uuid: String,
    pub url: String,
}

impl Message for AllocateBackupStorageCapacityMsg {
    const NAME: &'static str = "AllocateBackupStorageCapacityMsg";
    type Reply = AllocatedCapacity;
    fn queue_key(&self) -> Option<String> {
        Some(self.backup_storage_uuid.clone())
    }
}

/// Gives `size` bytes back to each of `backup_storage_uuids`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnBackupStorageCapacityMsg {
    pub backup_storage_uuids: Vec<String>,
    pub size: i64,
}

impl Message for ReturnBackupStorageCapacityMsg {
    const NAME: &'static str = "ReturnBackupStorageCapacityMsg";
    type Reply = EmptyReply;
}

/// Deletes an image's bits (the file at `install_path`) from a backup storage and gives the
/// bytes they took back. Fails while the storage is unreachable; succeeds with nothing to do
/// when the storage or the file is gone already.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteBitsOnBackupStorageMsg {
    pub backup_storage_uuid: String,
    pub install_path: String,
}

impl Message for DeleteBitsOnBackupStorageMsg {
    const NAME: &'static str = "DeleteBitsOnBackupStorageMsg";
    type Reply = EmptyReply;
    fn queue_key(&self) -> Option<String> {
        Some(self.backup_storage_uuid.clone())
    }
}

/// The GC runner that deletes bits a backup storage could not delete when asked
/// ([`DeleteBitsOnBackupStorageMsg`] again, until it succeeds).
pub const DELETE_BITS_GC: &str = "BackupStorageDeleteBitGC";

/// The context of a [`DELETE_BITS_GC`] job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteBitsGc {
    pub image_uuid: String,
    pub backup_storage_uuid: String,
    pub install_path: String,
}
