//! Images.

use zstack_kernel::api::ResourceRef;

pub const IMAGE: ResourceRef = ResourceRef {
    table: "image",
    vo_name: "ImageVO",
};
