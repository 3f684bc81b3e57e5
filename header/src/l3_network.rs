//! L3 networks and their IP ranges.

use zstack_kernel::api::ResourceRef;

pub const L3_NETWORK: ResourceRef = ResourceRef {
    table: "l3_network",
    vo_name: "L3NetworkVO",
};

pub const IP_RANGE: ResourceRef = ResourceRef {
    table: "ip_range",
    vo_name: "IpRangeVO",
};
