//! The license service: the license the node runs under (Free, without limits, when none is
//! installed), the license APIs, and the limits a license puts on creates: none at all once it
//! has expired, no host beyond its `hostNum`, no CPU beyond its `cpuNum` over all hosts.

pub mod document;
pub mod entity;
mod handlers;
mod interceptor;
pub mod messages;
mod state;

use std::sync::Arc;

use ed25519_dalek::VerifyingKey;
use zstack_kernel::error::argerr;
use zstack_kernel::pipeline::order;
use zstack_kernel::{ApiError, ErrorCode, MsgContext, NodeContext};

use document::{BUILTIN_PUBLIC_KEY, verifying_key};
use messages::{
    APIGetLicenseCapabilitiesMsg, APIGetLicenseInfoMsg, APIReloadLicenseMsg, APIUpdateLicenseMsg,
};
pub use state::LicenseReloadEvent;
use state::LicenseState;

pub const SERVICE_ID: &str = "license";

/// The node setting naming a file that holds the public key of the issuer to trust instead of
/// the built-in one (`--license-public-key`).
pub const PUBLIC_KEY_FILE_SETTING: &str = "license.publicKeyFile";

zstack_kernel::family!(SERVICE_ID, async start, [entity::migration()]);

/// The issuer's key: from the file the node was given, else the built-in one.
fn trusted_key(node: &NodeContext) -> Result<VerifyingKey, ErrorCode> {
    let Some(path) = node.config.setting(PUBLIC_KEY_FILE_SETTING) else {
        return verifying_key(BUILTIN_PUBLIC_KEY)
            .map_err(|why| ApiError::Internal(format!("the built-in license key: {why}")).into());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| argerr(format!("cannot read the license public key [{path}]: {e}")))?;
    verifying_key(&text).map_err(|why| argerr(format!("the license public key [{path}]: {why}")))
}

/// Every node reads the license and checks API calls against it, whichever services it runs:
/// the pipeline runs where a call arrives. The APIs run where the service is placed.
pub async fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    let state = Arc::new(LicenseState::new(trusted_key(node)?));
    if let Some(installed) = state.reload(&node.db).await? {
        tracing::info!(license = %handlers::describe(&installed), "running under the installed license");
    }
    let me = node.config.node_uuid.clone();
    let (db, reloading) = (node.db.clone(), state.clone());
    node.bus
        .subscribe(move |event: &LicenseReloadEvent| {
            if event.from == me || !event.names(&me) {
                return;
            }
            let (db, reloading) = (db.clone(), reloading.clone());
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                tracing::warn!("a license reload arrived outside the runtime; not reloaded");
                return;
            };
            runtime.spawn(async move {
                if let Err(e) = reloading.reload(&db).await {
                    tracing::warn!(error = %e, "could not reload the license");
                }
            });
        })
        .forever();
    node.pipeline.add(
        order::QUOTA,
        "license",
        interceptor::LicenseCheck {
            state: state.clone(),
        },
    );
    let (info, caps, reload, update) = (state.clone(), state.clone(), state.clone(), state);
    node.service(SERVICE_ID)
        .api(move |node, msg: APIGetLicenseInfoMsg, ctx: MsgContext| {
            handlers::get_info(node, info.clone(), msg, ctx)
        })
        .api(
            move |node, msg: APIGetLicenseCapabilitiesMsg, ctx: MsgContext| {
                handlers::capabilities(node, caps.clone(), msg, ctx)
            },
        )
        .api(move |node, msg: APIReloadLicenseMsg, ctx: MsgContext| {
            handlers::reload(node, reload.clone(), msg, ctx)
        })
        .api(move |node, msg: APIUpdateLicenseMsg, ctx: MsgContext| {
            handlers::update(node, update.clone(), msg, ctx)
        })
        .start()
}
