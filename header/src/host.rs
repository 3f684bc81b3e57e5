//! Hosts.

use zstack_kernel::api::ResourceRef;

pub const HOST: ResourceRef = ResourceRef {
    table: "host",
    vo_name: "HostVO",
};
