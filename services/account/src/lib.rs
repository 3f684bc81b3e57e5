//! The account service: accounts, login and logout, and the session check every API goes
//! through.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub use handlers::{ADMIN_INITIAL_PASSWORD, ADMIN_NAME, ADMIN_UUID};

pub const SERVICE_ID: &str = "account";

pub async fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    handlers::ensure_admin(node).await?;
    node.service(SERVICE_ID)
        .api(handlers::log_in)
        .api(handlers::log_out)
        .api(handlers::validate)
        .handle(handlers::check_session)
        .start()
}
