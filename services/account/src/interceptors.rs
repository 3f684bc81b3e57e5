//! The account service's part of the API pipeline and of every create: who is asking (the
//! session), whether they may touch what they name (ownership), and who owns what they create.

use futures_util::future::BoxFuture;
use serde_json::Value;
use zstack_kernel::api::{Access, ApiDescriptor};
use zstack_kernel::error::ApiError;
use zstack_kernel::identity::{CheckAccessMsg, ResourceKey};
use zstack_kernel::pipeline::{ApiCall, CallInput, Interceptor};
use zstack_kernel::resource::registry::ANY_RESOURCE;
use zstack_kernel::resource::{CreateHook, Created};
use zstack_kernel::{ApiResult, NodeContext};

use std::sync::Arc;

use crate::ownership::{self, OWNERSHIP};
use crate::session_cache::{LookUpSessionMsg, SessionCache};
use crate::sharing;

/// Resolves the call's session; an API that needs one refuses a call without a valid one
/// (ID.1001). Answered from this node's cache when it can, else sent as a message, so it works
/// wherever the account service runs.
pub struct SessionCheck {
    pub cache: Arc<SessionCache>,
}

impl Interceptor for SessionCheck {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            if !call.api.route.needs_session {
                return Ok(());
            }
            let Some(token) = call.credentials.clone() else {
                return Err(ApiError::InvalidSession(format!(
                    "API[{}] needs a session",
                    call.api.name
                ))
                .into());
            };
            if let Some(session) = self.cache.get(&token) {
                call.session = Some(session);
                return Ok(());
            }
            let started_at = self.cache.epoch();
            let look_up = LookUpSessionMsg {
                session_uuid: token,
            };
            let found = node
                .bus
                .call_with_timeout(look_up, node.config.sync_api_timeout)
                .await?;
            self.cache.put(started_at, &found);
            call.session = Some(found.session);
            Ok(())
        })
    }
}

/// Accounts other than admin see only what they own (queries) and touch only what they own
/// (ID.1002 naming what they do not).
pub struct AccessCheck;

impl Interceptor for AccessCheck {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let Some(account) = call.limited_to().map(String::from) else {
                return Ok(());
            };
            let resources = match &mut call.input {
                CallInput::Query(request) => {
                    request.owner = Some(account);
                    return Ok(());
                }
                CallInput::Params(params) => referenced_resources(&call.api, params),
            };
            if resources.is_empty() {
                return Ok(());
            }
            let check = CheckAccessMsg {
                account_uuid: account,
                resources,
            };
            node.bus.call(check).await?;
            Ok(())
        })
    }
}

/// The resources a call acts on or uses: the `uuid` parameter and every parameter declared as a
/// reference to a resource, with their types where declared, except those any account may
/// name.
fn referenced_resources(
    api: &ApiDescriptor,
    params: &serde_json::Map<String, Value>,
) -> Vec<ResourceKey> {
    let mut found = Vec::new();
    for spec in &api.params {
        let declared = spec.checks.resource.or(spec.checks.references);
        if (spec.name != "uuid" && declared.is_none()) || spec.checks.access == Access::Anyone {
            continue;
        }
        // A reference to any resource (ResourceVO) matches an owner record of every type.
        let vo = declared.filter(|r| *r != ANY_RESOURCE).map(|r| r.vo_name);
        let key = |uuid: &str| {
            let key = ResourceKey::new(uuid, vo);
            match spec.checks.access {
                Access::Shared => key.used(),
                _ => key,
            }
        };
        match params.get(&spec.name) {
            Some(Value::String(uuid)) => found.push(key(uuid)),
            Some(Value::Array(items)) => {
                found.extend(items.iter().filter_map(Value::as_str).map(key))
            }
            _ => {}
        }
    }
    found
}

/// A resource created by an account other than admin is that account's, recorded in the
/// create's transaction. (Admin's resources need no record: an account may touch only what it
/// is recorded to own.) Whatever a resource that had the uuid before left behind (its owner,
/// its sharing) is forgotten: it is not the new resource's.
pub struct OwnerRecord;

impl CreateHook for OwnerRecord {
    fn created<'a>(&'a self, created: &'a Created<'a>) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let uuids = [created.uuid.to_string()];
            sharing::forget_resources(created.txn, &uuids).await?;
            let Some(session) = created.ctx.session.as_ref().filter(|s| !s.is_admin) else {
                return ownership::forget_resources(created.txn, &uuids).await;
            };
            OWNERSHIP
                .record(
                    created.txn,
                    created.uuid,
                    &session.account_uuid,
                    created.resource_type,
                )
                .await
        })
    }
}
