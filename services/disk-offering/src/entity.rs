//! The disk offering table; the row is the inventory (`DiskOfferingInventory`).

pub use zstack_header::disk_offering::DISK_OFFERING;

zstack_kernel::resource_table! {
    table "disk_offering" for DISK_OFFERING;
    query APIQueryDiskOfferingMsg "/disk-offerings" as "diskOffering";
    inventory Model = "org.zstack.header.configuration.DiskOfferingInventory";
    migration "m0610_disk_offering";
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        /// Bytes.
        disk_size: i64,
        sort_key: i64,
        state: String [32],
        r#type: String [64],
        /// The API calls it `allocationStrategy`, the inventory `allocatorStrategy`, as in ZStack.
        allocator_strategy: String [64],
    }
}
