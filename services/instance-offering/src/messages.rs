//! The instance offering APIs.

use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

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

api_message! {
    /// Enables or disables an instance offering.
    pub struct APIChangeInstanceOfferingStateMsg {
        uuid: String => checks().resource(INSTANCE_OFFERING),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/instance-offerings/{uuid}/actions");
    reply = InventoryReply<InstanceOfferingInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes an instance offering.
    pub struct APIDeleteInstanceOfferingMsg {
        uuid: String => checks().uuid().references(INSTANCE_OFFERING),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/instance-offerings/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /instance-offerings`, `GET /instance-offerings/{uuid}`.
pub struct InstanceOfferingQuery;

impl Queryable for InstanceOfferingQuery {
    const QUERY_API: &'static str = "APIQueryInstanceOfferingMsg";
    const PATH: &'static str = "/instance-offerings";
    const PATH_BY_UUID: Option<&'static str> = Some("/instance-offerings/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "instanceOffering",
            INSTANCE_OFFERING.table,
            "org.zstack.header.configuration.InstanceOfferingInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("cpuNum", FieldKind::Int)
        .field("cpuSpeed", FieldKind::Int)
        .field("memorySize", FieldKind::Int)
        .field("reservedMemorySize", FieldKind::Int)
        .field("type", FieldKind::Str)
        .field("allocatorStrategy", FieldKind::Str)
        .field("sortKey", FieldKind::Int)
        .field("state", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
    }
}
