//! Primary storage.

use zstack_kernel::api::ResourceRef;

pub const PRIMARY_STORAGE: ResourceRef = ResourceRef {
    table: "primary_storage",
    vo_name: "PrimaryStorageVO",
};
