//! Volumes: a VM's root volume is made by the volume family when the VM is created, and goes
//! with it when the VM is expunged.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};
use zstack_kernel::query::FieldKind;

pub const VOLUME: ResourceRef = ResourceRef {
    table: "volume",
    vo_name: "VolumeVO",
};

/// The volume table's queryable fields, for the families that list volumes beside their own
/// rows (a VM's `allVolumes`).
pub const VOLUME_FIELDS: &[(&str, FieldKind)] = &[
    ("uuid", FieldKind::Str),
    ("name", FieldKind::Str),
    ("description", FieldKind::Str),
    ("primaryStorageUuid", FieldKind::Str),
    ("vmInstanceUuid", FieldKind::Str),
    ("diskOfferingUuid", FieldKind::Str),
    ("rootImageUuid", FieldKind::Str),
    ("installPath", FieldKind::Str),
    ("type", FieldKind::Str),
    ("format", FieldKind::Str),
    ("size", FieldKind::Int),
    ("actualSize", FieldKind::Int),
    ("deviceId", FieldKind::Int),
    ("state", FieldKind::Str),
    ("status", FieldKind::Str),
    ("isShareable", FieldKind::Bool),
    ("createDate", FieldKind::Date),
    ("lastOpDate", FieldKind::Date),
];

/// Creates a volume's row (its primary storage capacity is already taken).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVolumeMsg {
    pub uuid: String,
    pub name: String,
    /// Root or Data.
    pub r#type: String,
    pub primary_storage_uuid: String,
    pub vm_instance_uuid: Option<String>,
    pub root_image_uuid: Option<String>,
    pub disk_offering_uuid: Option<String>,
    pub format: String,
    pub size: i64,
    pub device_id: Option<i64>,
}

/// A volume as other families need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeSummary {
    pub uuid: String,
    pub r#type: String,
    pub primary_storage_uuid: Option<String>,
    pub vm_instance_uuid: Option<String>,
    pub size: i64,
}

impl Message for CreateVolumeMsg {
    const NAME: &'static str = "CreateVolumeMsg";
    type Reply = VolumeSummary;
}

/// The volumes attached to a VM.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVmVolumesMsg {
    pub vm_instance_uuid: String,
}

impl Message for ListVmVolumesMsg {
    const NAME: &'static str = "ListVmVolumesMsg";
    type Reply = Vec<VolumeSummary>;
}

/// Removes volumes' rows for good (their capacity is given back by the caller).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpungeVolumesMsg {
    pub uuids: Vec<String>,
}

impl Message for ExpungeVolumesMsg {
    const NAME: &'static str = "ExpungeVolumesMsg";
    type Reply = EmptyReply;
}
