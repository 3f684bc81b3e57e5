//! The host service: simulated hypervisor hosts (ZStack's simulator plugin) with declared CPU
//! and memory, their state and connection status, and the capacity API.

mod capacity;
mod cleanup;
pub mod entity;
mod handlers;
pub mod messages;
mod reserve;

use zstack_kernel::family::handlers::delete;
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Host;
pub use entity::HOST;
use messages::APIDeleteHostMsg;

pub const SERVICE_ID: &str = "host";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    zstack_kernel::simulator::spawn_pinger(node, HOST, SERVICE_ID);
    node.service(SERVICE_ID)
        .table::<Host>()
        .system_tag(HOST.vo_name, capacity::RESERVED_MEMORY)
        .system_tag(HOST.vo_name, handlers::LIVE_SNAPSHOT)
        .api(handlers::add_simulator_host)
        .api(handlers::add_kvm_host)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::reconnect)
        .api(delete::<Host, APIDeleteHostMsg>)
        .api(capacity::get_cpu_memory_capacity)
        .handle(capacity::usage)
        .gc_runner(cleanup::HOST_CLEANUP_GC, cleanup::clean_up)
        .handle(reserve::candidates)
        .handle(reserve::reserve)
        .handle(reserve::release)
        .start()
}
