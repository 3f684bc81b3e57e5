//! Volumes: a VM's root volume is made by the volume family when the VM is created, data
//! volumes by CreateDataVolume or CreateVm's data disks; the VM family tells the volume family
//! when a VM's volumes are to be attached, detached or expunged.

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

/// Creates a volume's row, Ready on its primary storage (whose capacity is already taken).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVolumeMsg {
    pub uuid: String,
    pub name: String,
    /// Root or Data.
    pub r#type: String,
    pub primary_storage_uuid: String,
    /// The host the volume's VM is placed on: a volume on local storage lives on its disks.
    pub host_uuid: Option<String>,
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
    pub device_id: Option<i64>,
    pub size: i64,
    pub state: String,
    pub status: String,
    /// The host whose local storage holds the volume (none on shared storage).
    pub host_uuid: Option<String>,
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

/// Attaches data volume `volume_uuid` to VM `vm_instance_uuid` (in cluster `cluster_uuid`, on
/// or last on host `host_uuid`) with the next free device id. A volume not instantiated yet is
/// instantiated on primary storage of that cluster (that host's, for local storage); one on
/// storage the VM cannot reach is refused. The VM family sends it from its own queue, so that
/// the VM's state holds meanwhile.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BindVolumeToVmMsg {
    pub volume_uuid: String,
    pub vm_instance_uuid: String,
    pub cluster_uuid: String,
    pub host_uuid: String,
}

impl Message for BindVolumeToVmMsg {
    const NAME: &'static str = "BindVolumeToVmMsg";
    type Reply = VolumeSummary;
}

/// Detaches volume `volume_uuid` from VM `vm_instance_uuid` (nothing when it is not attached
/// to it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnbindVolumeFromVmMsg {
    pub volume_uuid: String,
    pub vm_instance_uuid: String,
}

impl Message for UnbindVolumeFromVmMsg {
    const NAME: &'static str = "UnbindVolumeFromVmMsg";
    type Reply = EmptyReply;
}

/// What a VM's going does to its volumes (ZStack's VmDeleteVolumeFlow and
/// VmExpungeRootVolumeFlow): its data volumes are detached and kept; with `expunge_root` its
/// root volume goes too, and its primary storage gets the capacity back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseVmVolumesMsg {
    pub vm_instance_uuid: String,
    pub expunge_root: bool,
}

impl Message for ReleaseVmVolumesMsg {
    const NAME: &'static str = "ReleaseVmVolumesMsg";
    type Reply = EmptyReply;
}

/// The volumes on primary storage `primary_storage_uuids` and those on the local storage of
/// hosts `host_uuids`: what a VM keeps there, when those go.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListVolumesOnMsg {
    #[serde(default)]
    pub primary_storage_uuids: Vec<String>,
    #[serde(default)]
    pub host_uuids: Vec<String>,
}

impl Message for ListVolumesOnMsg {
    const NAME: &'static str = "ListVolumesOnMsg";
    type Reply = Vec<VolumeSummary>;
}

/// VM `vm_instance_uuid` moved from host `from_host_uuid` to `to_host_uuid`: its volumes on the
/// local storage of the one go with it to the other (ZStack migrates local storage with the VM).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveVmVolumesToHostMsg {
    pub vm_instance_uuid: String,
    pub from_host_uuid: String,
    pub to_host_uuid: String,
}

impl Message for MoveVmVolumesToHostMsg {
    const NAME: &'static str = "MoveVmVolumesToHostMsg";
    type Reply = EmptyReply;
}
