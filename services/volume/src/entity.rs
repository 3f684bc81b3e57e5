//! The volume table; the row is the inventory (`VolumeInventory`). Beside it, the host whose
//! local storage holds a volume (ZStack's LocalStorageResourceRefVO).

pub use zstack_header::volume::VOLUME;
use zstack_kernel::resource::Link;
use zstack_kernel::schema::CreateTables;

zstack_kernel::resource_table! {
    table "volume" for VOLUME;
    query APIQueryVolumeMsg "/volumes" as "volume";
    inventory Model = "org.zstack.header.volume.VolumeInventory";
    migration "m0800_volume";
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        #[serde(skip_serializing_if = "Option::is_none")]
        primary_storage_uuid: Option<String> [32] => "primaryStorage",
        #[serde(skip_serializing_if = "Option::is_none")]
        vm_instance_uuid: Option<String> [32] => "vmInstance",
        #[serde(skip_serializing_if = "Option::is_none")]
        disk_offering_uuid: Option<String> [32] => "diskOffering",
        #[serde(skip_serializing_if = "Option::is_none")]
        root_image_uuid: Option<String> [32],
        #[serde(skip_serializing_if = "Option::is_none")]
        install_path: Option<String> [2048],
        /// Root or Data.
        r#type: String [32],
        format: String [32],
        size: i64,
        actual_size: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        device_id: Option<i64>,
        /// Enabled or Disabled.
        state: String [32],
        /// NotInstantiated, Ready, Migrating, Deleted.
        status: String [32],
        is_shareable: bool,
    }
}

/// The host whose local storage holds a volume: a volume on local storage is reachable from
/// that host only.
pub const LOCAL_HOST: Link = Link {
    table: "volume_local_host",
    from: ("volume_uuid", "volume"),
    to: ("host_uuid", "host"),
};

pub fn local_host_migration() -> CreateTables {
    LOCAL_HOST.migration(CreateTables::new("m0801_volume_local_host"))
}
