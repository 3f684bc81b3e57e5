//! The disk offering APIs.

use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{DISK_OFFERING, Model as DiskOfferingInventory};

/// The primary storage allocation strategies a volume of an offering may be placed with.
pub const ALLOCATION_STRATEGIES: &[&str] = &[
    "DefaultPrimaryStorageAllocationStrategy",
    "LocalPrimaryStorageStrategy",
    "LeastAvailableCapacityPrimaryStorageAllocationStrategy",
];

api_message! {
    /// Creates a disk offering: the size of data volumes made from it.
    pub struct APICreateDiskOfferingMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        disk_size: i64 => checks().range(1, i64::MAX),
        sort_key: Option<i64> => checks().range(i32::MIN as i64, i32::MAX as i64),
        allocation_strategy: Option<String> => checks().valid_values(ALLOCATION_STRATEGIES),
        r#type: Option<String> => checks().valid_values(&["zstack"]),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/disk-offerings");
    reply = InventoryReply<DiskOfferingInventory>;
}

zstack_kernel::standard_apis! {
    of DISK_OFFERING, inventory DiskOfferingInventory, path "/disk-offerings";
    update APIUpdateDiskOfferingMsg;
    change_state APIChangeDiskOfferingStateMsg;
    delete APIDeleteDiskOfferingMsg;
}
