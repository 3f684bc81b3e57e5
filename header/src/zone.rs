//! Zones.

use zstack_kernel::api::ResourceRef;

pub const ZONE: ResourceRef = ResourceRef {
    table: "zone",
    vo_name: "ZoneVO",
};
