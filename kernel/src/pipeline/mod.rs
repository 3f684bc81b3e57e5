//! The API pipeline (ZStack's `ApiMessageInterceptor` chain): every API message runs through it,
//! whoever sends it — the REST gateway, a message on the bus ([`RunApiMsg`]), a long job
//! replaying an API. Services register ordered interceptors (session and access from the account
//! service, tags from the tag service, quotas later); the kernel adds the parameter checks
//! declared with each API. The kernel names no service here: it only runs what was registered.

mod run_api;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::api::{ApiDescriptor, ApiInput, Schema, validate};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::jobs::store::JOB_HEADER;
use crate::message::{Envelope, Headers, Payload, SessionInfo};
use crate::node::NodeContext;
use crate::query::QueryRequest;

pub use run_api::{RunApiMsg, start};

/// Where an interceptor runs: the order of the chain, low first.
pub mod order {
    /// Who is asking: runs when a call is admitted, before an async API's job is accepted.
    pub const SESSION: u32 = 100;
    /// The parameter checks declared with each API (the kernel's own step).
    pub const PARAMETERS: u32 = 200;
    /// Whether the caller may touch what the call names.
    pub const ACCESS: u32 = 300;
    /// The call's `systemTags` and `userTags`.
    pub const TAGS: u32 = 400;
    /// Quotas and license limits.
    pub const QUOTA: u32 = 500;
}

/// The parameters of a call, before the pipeline checks them.
pub enum CallInput {
    Params(Map<String, Value>),
    Query(QueryRequest),
}

/// One API call on its way through the pipeline.
pub struct ApiCall {
    pub api: Arc<ApiDescriptor>,
    pub input: CallInput,
    /// The session token the caller presented, if any.
    pub credentials: Option<String>,
    /// Who is asking, once the session interceptor has looked.
    pub session: Option<SessionInfo>,
    /// The API id (an async API's job uuid).
    pub api_id: String,
    pub timeout: Duration,
    pub with_schema: bool,
    /// Runs as an async API's job: its uuid travels with the message, so that a create marks
    /// its job in its own transaction (see `jobs::store::mark_done_work`).
    pub job: bool,
    /// Travel with the message to its handler (the client's address, the request's tags).
    pub headers: Headers,
}

impl ApiCall {
    pub fn new(
        api: Arc<ApiDescriptor>,
        input: CallInput,
        api_id: String,
        timeout: Duration,
    ) -> Self {
        ApiCall {
            api,
            input,
            credentials: None,
            session: None,
            api_id,
            timeout,
            with_schema: false,
            job: false,
            headers: Headers::new(),
        }
    }

    /// The account the call is limited to: every account but admin sees and touches only its
    /// own resources.
    pub fn limited_to(&self) -> Option<&str> {
        self.session
            .as_ref()
            .filter(|s| !s.is_admin)
            .map(|s| s.account_uuid.as_str())
    }
}

/// A step of the pipeline. `before` may refuse the call (its error is the call's answer) or
/// amend it; `after` sees a successful reply's body.
pub trait Interceptor: Send + Sync + 'static {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>>;

    fn after<'a>(
        &'a self,
        _node: &'a NodeContext,
        _call: &'a ApiCall,
        _body: &'a Value,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The kernel's own step: the checks each API declares for its parameters (SYS.1007, SYS.1003).
struct DeclaredChecks;

impl Interceptor for DeclaredChecks {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let api = call.api.clone();
            if let CallInput::Params(params) = &mut call.input {
                validate::validate(&node.db, api.name, &api.params, params).await?;
            }
            Ok(())
        })
    }
}

type Registered = (u32, &'static str, Arc<dyn Interceptor>);

/// The interceptors, in order.
pub struct Pipeline {
    chain: crate::frozen::Frozen<Vec<Registered>>,
}

impl Default for Pipeline {
    fn default() -> Self {
        let own: Registered = (order::PARAMETERS, "parameters", Arc::new(DeclaredChecks));
        Pipeline {
            chain: crate::frozen::Frozen::new(vec![own]),
        }
    }
}

/// How long an async API's job waits for its reply past its timeout (see `call_job`): a job is
/// failed only when its work is known not to have happened, so this bounds a handler that
/// never answers, not the API.
const JOB_REPLY_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);

impl Pipeline {
    /// Adds interceptor `name` at `order` (see [`order`]).
    pub fn add(&self, order: u32, name: &'static str, interceptor: impl Interceptor) {
        self.chain.write(|chain| {
            chain.push((order, name, Arc::new(interceptor)));
            chain.sort_by_key(|(order, _, _)| *order);
        });
    }

    pub fn freeze(&self) {
        self.chain.freeze();
    }

    fn steps_in(&self, range: std::ops::Range<u32>) -> Vec<(&'static str, Arc<dyn Interceptor>)> {
        self.chain.read(|chain| {
            chain
                .iter()
                .filter(|(order, _, _)| range.contains(order))
                .map(|(_, name, i)| (*name, i.clone()))
                .collect()
        })
    }

    /// Admits a call: the steps before the parameter checks (who is asking). An async API is
    /// accepted (202) only once this has passed.
    pub async fn admit(&self, node: &NodeContext, call: &mut ApiCall) -> ApiResult<()> {
        for (_, step) in self.steps_in(0..order::PARAMETERS) {
            step.before(node, call).await?;
        }
        Ok(())
    }

    /// Runs an admitted call: the other steps, the message to its service, the steps' `after`,
    /// and the reply body (with the `schema` map when asked).
    pub async fn execute(&self, node: &NodeContext, mut call: ApiCall) -> ApiResult<Value> {
        let steps = self.steps_in(order::PARAMETERS..u32::MAX);
        for (_, step) in &steps {
            step.before(node, &mut call).await?;
        }
        let input = std::mem::replace(&mut call.input, CallInput::Params(Map::new()));
        let envelope = match (input, &call.api.input) {
            (CallInput::Params(params), ApiInput::Params(decode)) => decode(Value::Object(params))?,
            (CallInput::Query(request), ApiInput::Query(decode)) => decode(request),
            _ => return Err(ApiError::Internal("request and API kind disagree".into()).into()),
        };
        let mut envelope = envelope
            .with_id(call.api_id.clone())
            .with_session(call.session.clone());
        envelope
            .headers
            .extend(call.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        // The API's own id names its task progress, even when another API's handler sent it.
        envelope
            .headers
            .insert(crate::progress::API_ID_HEADER.into(), call.api_id.clone());
        envelope.headers.insert(
            crate::progress::API_NAME_HEADER.into(),
            call.api.name.to_string(),
        );
        envelope.headers.remove(crate::progress::TASK_HEADER);
        let reply = if call.job {
            envelope
                .headers
                .insert(JOB_HEADER.to_string(), call.api_id.clone());
            call_job(node, &call, envelope).await?
        } else {
            node.bus.call_envelope(envelope, call.timeout).await?
        };
        let (body, schema) = (call.api.encode)(reply)?;
        for (_, step) in &steps {
            step.after(node, &call, &body).await?;
        }
        Ok(if call.with_schema {
            let schema = node.queries.refine_schema(&body, schema);
            add_schema(body, schema)
        } else {
            body
        })
    }

    /// Runs the checks of an admitted call (parameters, access, tags, quotas) without sending
    /// it: what a long job does with the API it will run, so that a bad one is refused when it
    /// is submitted. Answers the parameters as the checks left them (trimmed).
    pub async fn check(
        &self,
        node: &NodeContext,
        mut call: ApiCall,
    ) -> ApiResult<Map<String, Value>> {
        for (_, step) in self.steps_in(order::PARAMETERS..u32::MAX) {
            step.before(node, &mut call).await?;
        }
        match call.input {
            CallInput::Params(params) => Ok(params),
            CallInput::Query(_) => {
                Err(ApiError::Internal("a query API has no parameters to check".into()).into())
            }
        }
    }

    /// Admits and runs a call.
    pub async fn run(&self, node: &NodeContext, mut call: ApiCall) -> ApiResult<Value> {
        self.admit(node, &mut call).await?;
        self.execute(node, call).await
    }
}

/// Sends an async API's message and waits for its reply. Past the timeout a create is stopped if
/// its work has not committed (then SYS.1001 is the truth: nothing was created); otherwise the
/// job keeps running and ends with the real result, because its work may have happened and a
/// client told SYS.1001 would retry it.
async fn call_job(node: &NodeContext, call: &ApiCall, envelope: Envelope) -> ApiResult<Payload> {
    let reply = node.bus.call_envelope(envelope, JOB_REPLY_LIMIT);
    tokio::pin!(reply);
    if let Ok(reply) = tokio::time::timeout(call.timeout, &mut reply).await {
        return reply;
    }
    if call.api.creates.is_some() && crate::jobs::store::stop(&node.db, &call.api_id).await? {
        return Err(ErrorCode::from(ApiError::Timeout(format!(
            "Message[name: {}, id: {}] timeout after {} seconds; it was stopped before it created anything",
            call.api.name,
            call.api_id,
            call.timeout.as_secs_f64()
        ))));
    }
    tracing::warn!(
        timeout_s = call.timeout.as_secs_f64(),
        "the API is past its timeout; its job keeps running until it answers"
    );
    reply.await
}

fn add_schema(mut body: Value, schema: Schema) -> Value {
    if schema.is_empty() {
        return body;
    }
    if let Value::Object(map) = &mut body {
        let schema: Map<String, Value> = schema
            .into_iter()
            .map(|(path, class)| (path, Value::from(class)))
            .collect();
        map.insert("schema".into(), Value::Object(schema));
    }
    body
}
