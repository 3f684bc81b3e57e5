//! Disk offerings.

use zstack_kernel::api::ResourceRef;

pub const DISK_OFFERING: ResourceRef = ResourceRef {
    table: "disk_offering",
    vo_name: "DiskOfferingVO",
};
