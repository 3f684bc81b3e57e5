//! The zone table; the row is the inventory (`ZoneInventory`).

pub use zstack_header::zone::ZONE;

zstack_kernel::resource_table! {
    table "zone" for ZONE;
    query APIQueryZoneMsg "/zones" as "zone";
    inventory Model = "org.zstack.header.zone.ZoneInventory";
    migration "m0100_zone";
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        state: String [32],
        r#type: String [32],
        is_default: bool,
    }
}
