//! The volume APIs.

use zstack_header::disk_offering::DISK_OFFERING;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_header::vm_instance::VM_INSTANCE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{Model as VolumeInventory, VOLUME};

api_message! {
    /// Creates a data volume of a disk offering's size or of `diskSize` bytes: on primary
    /// storage `primaryStorageUuid` when given (taking its capacity), otherwise NotInstantiated
    /// until it is attached to a VM.
    pub struct APICreateDataVolumeMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        disk_offering_uuid: Option<String> => checks().resource(DISK_OFFERING).shared(),
        disk_size: Option<i64> => checks().range(0, i64::MAX),
        primary_storage_uuid: Option<String> => checks().resource(PRIMARY_STORAGE),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/volumes/data");
    reply = InventoryReply<VolumeInventory>;
}

api_message! {
    /// Attaches a data volume to a VM with the next free device id.
    pub struct APIAttachDataVolumeToVmMsg {
        vm_instance_uuid: String => checks().resource(VM_INSTANCE),
        volume_uuid: String => checks().resource(VOLUME),
    }
    route = Route::post("/volumes/{volumeUuid}/vm-instances/{vmInstanceUuid}");
    reply = InventoryReply<VolumeInventory>;
    resource = volume_uuid;
}

api_message! {
    /// Detaches a data volume from its VM (`vmUuid`, when given, must be that VM).
    pub struct APIDetachDataVolumeFromVmMsg {
        uuid: String => checks().resource(VOLUME),
        vm_uuid: Option<String> => checks().resource(VM_INSTANCE),
    }
    route = Route::delete("/volumes/{uuid}/vm-instances");
    reply = InventoryReply<VolumeInventory>;
    resource = uuid;
}

api_message! {
    /// Marks a data volume Deleted (detached from its VM first); it keeps its capacity until it
    /// is expunged, and can be recovered until then.
    pub struct APIDeleteDataVolumeMsg {
        uuid: String => checks().uuid().references(VOLUME),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/volumes/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Brings a Deleted data volume back.
    pub struct APIRecoverDataVolumeMsg {
        uuid: String => checks().resource(VOLUME),
    }
    route = Route::action("/volumes/{uuid}/actions");
    reply = InventoryReply<VolumeInventory>;
    resource = uuid;
}

api_message! {
    /// Removes a Deleted data volume for good; its primary storage gets the capacity back.
    pub struct APIExpungeDataVolumeMsg {
        uuid: String => checks().resource(VOLUME),
    }
    route = Route::action("/volumes/{uuid}/actions");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Grows a root volume to `size` bytes, taking the difference of its primary storage.
    pub struct APIResizeRootVolumeMsg {
        uuid: String => checks().resource(VOLUME),
        vm_instance_uuid: Option<String> => checks().resource(VM_INSTANCE),
        size: i64 => checks().range(1, i64::MAX),
    }
    route = Route::action("/volumes/resize/{uuid}/actions");
    reply = InventoryReply<VolumeInventory>;
    resource = uuid;
}

api_message! {
    /// Grows a data volume to `size` bytes, taking the difference of its primary storage.
    pub struct APIResizeDataVolumeMsg {
        uuid: String => checks().resource(VOLUME),
        size: i64 => checks().range(1, i64::MAX),
    }
    route = Route::action("/volumes/data/resize/{uuid}/actions");
    reply = InventoryReply<VolumeInventory>;
    resource = uuid;
}

api_message! {
    /// Copies a detached data volume to another primary storage of its zone and moves it there
    /// (a long job: its progress is reported, and it can be canceled).
    pub struct APIPrimaryStorageMigrateVolumeMsg {
        volume_uuid: String => checks().resource(VOLUME),
        dst_primary_storage_uuid: String => checks().resource(PRIMARY_STORAGE),
    }
    route = Route::action("/primary-storage/volumes/{volumeUuid}/actions");
    reply = InventoryReply<VolumeInventory>;
    resource = volume_uuid;
}

zstack_kernel::standard_apis! {
    of VOLUME, inventory VolumeInventory, path "/volumes";
    update APIUpdateVolumeMsg;
    change_state APIChangeVolumeStateMsg;
}
