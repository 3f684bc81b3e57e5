//! The instance offering APIs.

use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{INSTANCE_OFFERING, Model as InstanceOfferingInventory};

/// The host allocator strategies a VM of an offering may be placed with.
pub const ALLOCATOR_STRATEGIES: &[&str] = &[
    "DefaultHostAllocatorStrategy",
    "LastHostPreferredAllocatorStrategy",
    "LeastVmPreferredHostAllocatorStrategy",
    "MinimumCPUUsageHostAllocatorStrategy",
    "MinimumMemoryUsageHostAllocatorStrategy",
    "MaxInstanceStaticHostAllocatorStrategy",
];

api_message! {
    /// Creates an instance offering: the CPU count and memory size of VMs made from it.
    pub struct APICreateInstanceOfferingMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        cpu_num: i64 => checks().range(1, 1024),
        memory_size: i64 => checks().range(1, i64::MAX),
        reserved_memory_size: Option<i64> => checks().range(0, i64::MAX),
        allocator_strategy: Option<String> => checks().valid_values(ALLOCATOR_STRATEGIES),
        sort_key: Option<i64> => checks().range(i32::MIN as i64, i32::MAX as i64),
        r#type: Option<String> => checks().valid_values(&["UserVm"]),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/instance-offerings");
    reply = InventoryReply<InstanceOfferingInventory>;
}

api_message! {
    /// Changes an instance offering's name, description or allocator strategy.
    pub struct APIUpdateInstanceOfferingMsg {
        uuid: String => checks().resource(INSTANCE_OFFERING),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        allocator_strategy: Option<String> => checks().valid_values(ALLOCATOR_STRATEGIES),
    }
    route = Route::action("/instance-offerings/{uuid}/actions");
    reply = InventoryReply<InstanceOfferingInventory>;
    resource = uuid;
}

zstack_kernel::standard_apis! {
    of INSTANCE_OFFERING, inventory InstanceOfferingInventory, path "/instance-offerings";
    change_state APIChangeInstanceOfferingStateMsg;
    delete APIDeleteInstanceOfferingMsg;
}
