//! The management-node service: membership (each node's row and heartbeat, who is alive), and
//! the version, clock and readiness APIs.

pub mod entity;
mod handlers;
mod membership;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use handlers::API_VERSION;
pub use membership::leave;
pub use messages::ManagementNodeQuery;

pub const SERVICE_ID: &str = "managementNode";

zstack_kernel::family!(
    SERVICE_ID,
    start,
    [migration::migration(), migration::services_migration()]
);

/// Joins the cluster and keeps this node's heartbeat going. Every node does this, whichever
/// services it runs; call it once the node can be reached on the bus.
pub async fn join(node: &NodeContext) -> Result<(), ErrorCode> {
    membership::join(node).await?;
    membership::keep_beating(node.clone());
    Ok(())
}

/// The management-node APIs.
pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .api(handlers::get_version)
        .api(handlers::get_current_time)
        .api(handlers::is_ready_to_go)
        .query::<ManagementNodeQuery>()
        .start()
}
