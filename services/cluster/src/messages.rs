//! The cluster APIs.

use zstack_header::cluster::{CLUSTER, ClusterInventory};
use zstack_header::zone::ZONE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

/// The hypervisors whose clusters the node manages (hosts are simulated either way).
pub const HYPERVISOR_TYPES: &[&str] = &["Simulator", "KVM"];

api_message! {
    /// Creates a cluster in a zone.
    pub struct APICreateClusterMsg {
        zone_uuid: String => checks().resource(ZONE),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        hypervisor_type: String => checks().valid_values(HYPERVISOR_TYPES),
        r#type: Option<String> => checks().valid_values(&["zstack"]),
        architecture: Option<String> => checks().valid_values(&["x86_64", "aarch64", "mips64el"]),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/clusters");
    reply = InventoryReply<ClusterInventory>;
}

api_message! {
    /// Changes a cluster's name or description.
    pub struct APIUpdateClusterMsg {
        uuid: String => checks().resource(CLUSTER),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
    }
    route = Route::action("/clusters/{uuid}/actions");
    reply = InventoryReply<ClusterInventory>;
    resource = uuid;
}

api_message! {
    /// Enables or disables a cluster.
    pub struct APIChangeClusterStateMsg {
        uuid: String => checks().resource(CLUSTER),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/clusters/{uuid}/actions");
    reply = InventoryReply<ClusterInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes a cluster and, first, its hosts.
    pub struct APIDeleteClusterMsg {
        uuid: String => checks().uuid().references(CLUSTER),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/clusters/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /clusters`, `GET /clusters/{uuid}`.
pub struct ClusterQuery;

impl Queryable for ClusterQuery {
    const QUERY_API: &'static str = "APIQueryClusterMsg";
    const PATH: &'static str = "/clusters";
    const PATH_BY_UUID: Option<&'static str> = Some("/clusters/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "cluster",
            CLUSTER.table,
            "org.zstack.header.cluster.ClusterInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("state", FieldKind::Str)
        .field("hypervisorType", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("zoneUuid", FieldKind::Str)
        .field("architecture", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .relation("zone", "zone", "zoneUuid", "uuid")
    }
}
