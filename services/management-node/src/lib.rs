//! The management-node service: the node's row and heartbeat, version, clock and readiness.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use handlers::{API_VERSION, leave};
pub use messages::ManagementNodeQuery;

pub const SERVICE_ID: &str = "managementNode";

pub async fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    handlers::join(node).await?;
    let beating = node.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(beating.config.heartbeat_interval);
        loop {
            tick.tick().await;
            if let Err(e) = handlers::beat(&beating).await {
                tracing::warn!(error = %e, "heartbeat failed");
            }
        }
    });
    node.service(SERVICE_ID)
        .api(handlers::get_version)
        .api(handlers::get_current_time)
        .api(handlers::is_ready_to_go)
        .query::<ManagementNodeQuery>()
        .start()
}
