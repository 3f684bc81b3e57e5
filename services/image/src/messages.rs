//! The image APIs.

use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{IMAGE, ImageInventory, Model};

api_message! {
    /// Adds an image from a URL to backup storage (the download is simulated).
    pub struct APIAddImageMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        url: String => checks().max_len(2048),
        media_type: Option<String> => checks().valid_values(&["RootVolumeTemplate", "ISO", "DataVolumeTemplate"]),
        guest_os_type: Option<String> => checks().max_len(255),
        architecture: Option<String> => checks().valid_values(&["x86_64", "aarch64", "mips64el"]),
        system: Option<bool>,
        format: Option<String> => checks().valid_values(&["qcow2", "raw", "iso"]),
        platform: Option<String> => checks().valid_values(&["Linux", "Windows", "Other", "Paravirtualization", "WindowsVirtio"]),
        backup_storage_uuids: Vec<String> => checks().references(BACKUP_STORAGE),
        r#type: Option<String> => checks().valid_values(&["zstack"]),
        virtio: Option<bool>,
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/images");
    reply = InventoryReply<ImageInventory>;
}

api_message! {
    /// Changes an image's descriptive fields.
    pub struct APIUpdateImageMsg {
        uuid: String => checks().resource(IMAGE),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        guest_os_type: Option<String> => checks().max_len(255),
        media_type: Option<String> => checks().valid_values(&["RootVolumeTemplate", "ISO", "DataVolumeTemplate"]),
        format: Option<String> => checks().valid_values(&["qcow2", "raw", "iso"]),
        system: Option<bool>,
        platform: Option<String> => checks().valid_values(&["Linux", "Windows", "Other", "Paravirtualization", "WindowsVirtio"]),
        architecture: Option<String> => checks().valid_values(&["x86_64", "aarch64", "mips64el"]),
        virtio: Option<bool>,
    }
    route = Route::action("/images/{uuid}/actions");
    reply = InventoryReply<ImageInventory>;
    resource = uuid;
}

zstack_kernel::standard_apis! {
    of IMAGE, inventory Model, path "/images";
    change_state APIChangeImageStateMsg;
}

api_message! {
    /// Marks an image Deleted; it stays until expunged or recovered.
    pub struct APIDeleteImageMsg {
        uuid: String => checks().uuid().references(IMAGE),
        backup_storage_uuids: Option<Vec<String>> => checks().references(BACKUP_STORAGE),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/images/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Removes a Deleted image for good and gives its backup storage capacity back.
    pub struct APIExpungeImageMsg {
        uuid: String => checks().resource(IMAGE),
        backup_storage_uuids: Option<Vec<String>> => checks().references(BACKUP_STORAGE),
    }
    route = Route::action("/images/{uuid}/actions");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Brings a Deleted image back to Ready.
    pub struct APIRecoverImageMsg {
        uuid: String => checks().resource(IMAGE),
        backup_storage_uuids: Option<Vec<String>> => checks().references(BACKUP_STORAGE),
    }
    route = Route::action("/images/{uuid}/actions");
    reply = InventoryReply<ImageInventory>;
    resource = uuid;
}
