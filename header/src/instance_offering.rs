//! Instance offerings.

use zstack_kernel::api::ResourceRef;

pub const INSTANCE_OFFERING: ResourceRef = ResourceRef {
    table: "instance_offering",
    vo_name: "InstanceOfferingVO",
};
