//! The cluster APIs.

use zstack_header::cluster::{CLUSTER, ClusterInventory};
use zstack_header::zone::ZONE;
use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;

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

zstack_kernel::standard_apis! {
    of CLUSTER, inventory ClusterInventory, path "/clusters";
    update APIUpdateClusterMsg;
    change_state APIChangeClusterStateMsg;
    delete APIDeleteClusterMsg;
}
