//! The account service: accounts, login and logout, and the session check every API goes
//! through.

mod accounts;
mod credentials;
pub mod entity;
mod handlers;
mod interceptors;
pub mod messages;
pub mod migration;
pub mod ownership;
pub mod session_cache;
pub mod sharing;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use zstack_kernel::api::EmptyReply;
use zstack_kernel::pipeline::order;

use session_cache::{ForgetSessionsMsg, SessionCache};
use zstack_kernel::{ErrorCode, NodeContext};

pub use handlers::{ADMIN_INITIAL_PASSWORD, ADMIN_NAME, ADMIN_UUID};

pub const SERVICE_ID: &str = "account";

zstack_kernel::family!(SERVICE_ID, async start, [migration::migration(), ownership::migration(), migration::credentials_migration(), sharing::migration()]);

pub async fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    handlers::ensure_admin(node).await?;
    credentials::prepare().await?;
    node.queries.set_ownership(ownership::OWNERSHIP);
    node.queries.set_sharing(sharing::SHARING);
    let ttl = node
        .config
        .setting_secs(session_cache::TTL_SETTING, Duration::from_secs(30));
    let cache = Arc::new(SessionCache::new(ttl));
    node.pipeline.add(
        order::SESSION,
        "session",
        interceptors::SessionCheck {
            cache: cache.clone(),
        },
    );
    // Others leaving this node's view may mean it is the one cut off: what ended sessions
    // meanwhile could not reach it.
    let on_leave = cache.clone();
    node.bus.ring().on_leave(move |_| on_leave.clear());
    node.service(session_cache::CACHE_SERVICE)
        .on_every_node()
        .handle(move |_node, msg: ForgetSessionsMsg, _ctx| {
            cache.forget(&msg);
            async { Ok(EmptyReply {}) }
        })
        .start()?;
    node.pipeline
        .add(order::ACCESS, "access", interceptors::AccessCheck);
    node.create_hooks.add(interceptors::OwnerRecord);
    let sweeping = node.clone();
    let every = sweeping
        .config
        .session_timeout
        .clamp(Duration::from_secs(1), Duration::from_secs(3600));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match handlers::remove_expired_sessions(&sweeping).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(removed = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
            if let Err(e) = throttle::remove_ended(&sweeping).await {
                tracing::warn!(error = %e, "could not remove ended failed-login windows");
            }
        }
    });
    node.service(SERVICE_ID)
        .api(handlers::log_in)
        .api(handlers::log_out)
        .api(handlers::validate)
        .handle(handlers::check_session)
        .handle(handlers::look_up_session)
        .resource(accounts::ACCOUNT)
        .api(accounts::create)
        .api(accounts::delete)
        .query::<messages::AccountQuery>()
        .handle(ownership::check_access)
        .api(sharing::share)
        .api(sharing::revoke)
        .query::<sharing::SharedResourceQuery>()
        .cascade::<accounts::OwnershipCascade, _, _>(accounts::resources_gone)
        .start()
}
