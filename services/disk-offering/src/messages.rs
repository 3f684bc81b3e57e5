//! The disk offering APIs.

use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

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

api_message! {
    /// Changes a disk offering's name or description.
    pub struct APIUpdateDiskOfferingMsg {
        uuid: String => checks().resource(DISK_OFFERING),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
    }
    route = Route::action("/disk-offerings/{uuid}/actions");
    reply = InventoryReply<DiskOfferingInventory>;
    resource = uuid;
}

api_message! {
    /// Enables or disables a disk offering.
    pub struct APIChangeDiskOfferingStateMsg {
        uuid: String => checks().resource(DISK_OFFERING),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/disk-offerings/{uuid}/actions");
    reply = InventoryReply<DiskOfferingInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes a disk offering.
    pub struct APIDeleteDiskOfferingMsg {
        uuid: String => checks().uuid().references(DISK_OFFERING),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/disk-offerings/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /disk-offerings`, `GET /disk-offerings/{uuid}`.
pub struct DiskOfferingQuery;

impl Queryable for DiskOfferingQuery {
    const QUERY_API: &'static str = "APIQueryDiskOfferingMsg";
    const PATH: &'static str = "/disk-offerings";
    const PATH_BY_UUID: Option<&'static str> = Some("/disk-offerings/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "diskOffering",
            DISK_OFFERING.table,
            "org.zstack.header.configuration.DiskOfferingInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("diskSize", FieldKind::Int)
        .field("sortKey", FieldKind::Int)
        .field("state", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("allocatorStrategy", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
    }
}
