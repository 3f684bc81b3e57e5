//! The instance offering table; the row is the inventory (`InstanceOfferingInventory`).

pub use zstack_header::instance_offering::INSTANCE_OFFERING;

zstack_kernel::resource_table! {
    table "instance_offering" for INSTANCE_OFFERING;
    query APIQueryInstanceOfferingMsg "/instance-offerings" as "instanceOffering";
    inventory Model = "org.zstack.header.configuration.InstanceOfferingInventory";
    migration "m0600_instance_offering";
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        cpu_num: i64,
        cpu_speed: i64,
        /// Bytes.
        memory_size: i64,
        reserved_memory_size: i64,
        r#type: String [64],
        allocator_strategy: String [64],
        sort_key: i64,
        state: String [32],
    }
}
