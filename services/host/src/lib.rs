//! The host service: simulated hypervisor hosts (ZStack's simulator plugin) with declared CPU
//! and memory, their state and connection status, and the capacity API.

mod capacity;
pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::HOST;
pub use messages::HostQuery;

pub const SERVICE_ID: &str = "host";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "cluster",
        Relation::new("host", "host", "uuid", "clusterUuid"),
    );
    node.queries
        .relate("zone", Relation::new("host", "host", "uuid", "zoneUuid"));
    node.service(SERVICE_ID)
        .resource(HOST)
        .system_tag(HOST.vo_name, capacity::RESERVED_MEMORY)
        .system_tag(HOST.vo_name, handlers::LIVE_SNAPSHOT)
        .api(handlers::add_simulator_host)
        .api(handlers::add_kvm_host)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::reconnect)
        .api(handlers::delete)
        .api(capacity::get_cpu_memory_capacity)
        .query::<HostQuery>()
        .cascade::<handlers::HostCascade, _, _>(handlers::parent_gone)
        .start()
}
