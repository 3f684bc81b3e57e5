//! The image APIs.

use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use crate::entity::{IMAGE, ImageInventory, backup_storage_ref};

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

api_message! {
    /// Enables or disables an image.
    pub struct APIChangeImageStateMsg {
        uuid: String => checks().resource(IMAGE),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/images/{uuid}/actions");
    reply = InventoryReply<ImageInventory>;
    resource = uuid;
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

/// `GET /images`, `GET /images/{uuid}`.
pub struct ImageQuery;

impl Queryable for ImageQuery {
    const QUERY_API: &'static str = "APIQueryImageMsg";
    const PATH: &'static str = "/images";
    const PATH_BY_UUID: Option<&'static str> = Some("/images/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "image",
            IMAGE.table,
            "org.zstack.header.image.ImageInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("url", FieldKind::Str)
        .field("mediaType", FieldKind::Str)
        .field("guestOsType", FieldKind::Str)
        .field("architecture", FieldKind::Str)
        .field("platform", FieldKind::Str)
        .field("format", FieldKind::Str)
        .field("system", FieldKind::Bool)
        .field("virtio", FieldKind::Bool)
        .field("state", FieldKind::Str)
        .field("status", FieldKind::Str)
        .field("size", FieldKind::Int)
        .field("actualSize", FieldKind::Int)
        .field("md5Sum", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .rows(
            "backupStorageRefs",
            backup_storage_ref::TABLE,
            "image_uuid",
            &[
                ("imageUuid", FieldKind::Str),
                ("backupStorageUuid", FieldKind::Str),
                ("installPath", FieldKind::Str),
                ("status", FieldKind::Str),
                ("createDate", FieldKind::Date),
                ("lastOpDate", FieldKind::Date),
            ],
            "create_date",
        )
        .relation_via(
            "backupStorage",
            "backupStorage",
            "uuid",
            (
                backup_storage_ref::TABLE,
                "image_uuid",
                "backup_storage_uuid",
            ),
            "uuid",
        )
    }
}
