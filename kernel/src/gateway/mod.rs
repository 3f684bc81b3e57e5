//! The REST gateway: HTTP on `/zstack/v1/...` ↔ API messages on the bus. It knows no resource
//! family: every route comes from an API declaration in the [`ApiRegistry`](crate::api::ApiRegistry).

pub mod jobs;
mod metrics;
mod openapi;
mod router;
mod webhook;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix::ArbiterHandle;
use sea_orm::SqlErr;
use tokio::sync::Notify;

use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::api::{ApiDescriptor, ApiInput, BodyKey, HttpMethod, Schema, validate};
use crate::error::{ApiError, ErrorCode};
use crate::identity::{CheckAccessMsg, CheckSessionMsg, OwnResourceMsg};
use crate::message::{Event, SessionInfo, is_v4_uuid, new_uuid};
use crate::node::NodeContext;
use crate::query::QueryRequest;
use crate::tags::{AttachTagsMsg, ValidateTagsMsg};
use metrics::Metrics;
use router::{Lookup, Matched, Router};
use webhook::WebhookPlan;

/// Published on the bus when an async API's job has finished.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiJobCompleted {
    pub api_id: String,
    pub api_name: String,
    pub success: bool,
}

impl Event for ApiJobCompleted {
    const NAME: &'static str = "ApiJobCompleted";
}

/// Malformed HTTP (400/404/405) or a failed API (503), answered in ZStack's error format.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Api(ErrorCode),
}

impl From<ErrorCode> for HttpError {
    fn from(e: ErrorCode) -> Self {
        HttpError::Api(e)
    }
}

impl From<sea_orm::DbErr> for HttpError {
    fn from(e: sea_orm::DbErr) -> Self {
        HttpError::Api(e.into())
    }
}

impl ResponseError for HttpError {
    fn status_code(&self) -> StatusCode {
        match self {
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::Api(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            HttpError::Api(e) => e.clone(),
            HttpError::BadRequest(m) => ErrorCode::new("SYS.1007", "Bad request", m.as_str()),
            HttpError::NotFound(m) => ErrorCode::new("SYS.1009", "Not found", m.as_str()),
            HttpError::MethodNotAllowed(m) => {
                ErrorCode::new("SYS.1009", "Method not allowed", m.as_str())
            }
        };
        HttpResponse::build(self.status_code()).json(error.to_body())
    }
}

/// Async jobs running on this node, so a stopping node can let them finish first.
#[derive(Default)]
pub struct JobTracker {
    running: AtomicUsize,
    idle: Notify,
}

struct JobGuard(Arc<JobTracker>);

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl JobTracker {
    fn enter(self: &Arc<Self>) -> JobGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        JobGuard(self.clone())
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Waits until no job runs, at most `within`; tells whether that happened.
    pub async fn wait_idle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.idle.notified();
            if self.running() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.running() == 0;
            }
        }
    }
}

pub struct Gateway {
    node: NodeContext,
    jobs: Arc<JobTracker>,
    // Jobs run on the node's own arbiter, not an HTTP worker's, so they outlive the HTTP server
    // while the node stops.
    job_runner: ArbiterHandle,
    router: Router,
    openapi: String,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    webhook_plan: Arc<WebhookPlan>,
}

/// The parameters of one request, before the API pipeline checks them.
enum Input {
    Params(Map<String, Value>),
    Query(QueryRequest),
}

struct Prepared {
    api: Arc<ApiDescriptor>,
    input: Input,
    session: Option<SessionInfo>,
    api_id: String,
    timeout: Duration,
    with_schema: bool,
    web_hook: Option<String>,
    /// For the message envelope: the client's address (`identity::CLIENT_ADDRESS`).
    headers: crate::message::Headers,
}

fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, HttpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(HttpError::BadRequest(
            "the request body must be a JSON object".into(),
        )),
        Err(e) => Err(HttpError::BadRequest(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
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

impl Gateway {
    pub fn new(node: NodeContext, jobs: Arc<JobTracker>, job_runner: ArbiterHandle) -> Self {
        let apis = node.apis.all();
        let router = Router::new(&apis);
        let openapi = openapi::document(&apis, env!("CARGO_PKG_VERSION")).to_string();
        let webhook_plan = Arc::new(WebhookPlan {
            tries: node.config.webhook_tries,
            max_backoff: node.config.webhook_max_backoff,
        });
        Gateway {
            node,
            jobs,
            job_runner,
            router,
            openapi,
            metrics: Arc::new(Metrics::default()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            webhook_plan,
        }
    }

    fn location(req: &HttpRequest, job_uuid: &str) -> String {
        let info = req.connection_info();
        format!(
            "{}://{}/zstack/v1/api-jobs/{job_uuid}",
            info.scheme(),
            info.host()
        )
    }

    async fn handle(&self, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, HttpError> {
        let method = match *req.method() {
            Method::GET => HttpMethod::Get,
            Method::POST => HttpMethod::Post,
            Method::PUT => HttpMethod::Put,
            Method::DELETE => HttpMethod::Delete,
            ref other => {
                return Err(HttpError::MethodNotAllowed(format!(
                    "the method {other} is not allowed on {}",
                    req.path()
                )));
            }
        };
        // `//` collapses: empty segments are dropped.
        let segments: Vec<&str> = req.path().split('/').filter(|s| !s.is_empty()).collect();
        let rest = match segments.as_slice() {
            ["zstack", "v1", rest @ ..] | ["v1", rest @ ..] => rest,
            _ => {
                return Err(HttpError::NotFound(format!(
                    "no api mapping to {}",
                    req.path()
                )));
            }
        };
        if let ["api-jobs", uuid] = rest {
            return self.poll(req, method, uuid).await;
        }
        if rest == ["openapi.json"] && method == HttpMethod::Get {
            return Ok(HttpResponse::Ok()
                .content_type("application/json")
                .body(self.openapi.clone()));
        }
        let found = match self.router.lookup(method, rest) {
            Lookup::NoPath => {
                return Err(HttpError::NotFound(format!(
                    "no api mapping to {}",
                    req.path()
                )));
            }
            Lookup::WrongMethod => {
                return Err(HttpError::MethodNotAllowed(format!(
                    "the method {} is not allowed on {}",
                    req.method(),
                    req.path()
                )));
            }
            Lookup::Found(found) => found,
        };
        let prepared = self.prepare(req, body, method, found).await?;
        if prepared.api.route.sync {
            self.answer_sync(prepared).await
        } else {
            self.answer_async(req, prepared).await
        }
    }

    /// Everything the gateway checks before the API pipeline: body shape, action key, job uuid,
    /// parameter types and the session.
    async fn prepare(
        &self,
        req: &HttpRequest,
        body: &[u8],
        method: HttpMethod,
        found: Vec<Matched>,
    ) -> Result<Prepared, HttpError> {
        let body = match method {
            HttpMethod::Post | HttpMethod::Put => body_object(body)?,
            HttpMethod::Get | HttpMethod::Delete => Map::new(),
        };
        let chosen = if found.len() == 1 && found[0].api.action.is_none() {
            found.into_iter().next()
        } else {
            found.into_iter().find(|m| match &m.api.action {
                Some(action) => body.contains_key(action),
                None => false,
            })
        };
        let Some(Matched { api, vars }) = chosen else {
            return Err(HttpError::BadRequest(format!(
                "the body doesn't contain action mapping to the URL[{}]",
                req.path()
            )));
        };

        // Who is asking comes before anything else is looked at.
        let session = if api.route.needs_session {
            Some(self.check_session(req).await?)
        } else {
            None
        };

        let job_uuid = match header(req, "X-Job-UUID") {
            None => None,
            Some(v) if is_v4_uuid(v) => Some(v.to_string()),
            Some(v) => {
                return Err(HttpError::BadRequest(format!(
                    "Invalid header[X-Job-UUID]: it must be a v4 UUID written as 32 lower-case hex digits without '-', but was [{v}]"
                )));
            }
        };
        // Async writes learn of a reused id from the job insert; sync writes store no job, so
        // they look it up.
        if let Some(uuid) = &job_uuid
            && method != HttpMethod::Get
            && api.route.sync
            && jobs::exists(&self.node.db, uuid).await?
        {
            return Err(HttpError::BadRequest(format!("Duplicate job uuid[{uuid}]")));
        }
        let web_hook = match header(req, "X-Web-Hook") {
            None => None,
            // The node is built without TLS, so an https receiver could never be reached.
            Some(url) => match reqwest::Url::parse(url) {
                Ok(u) if u.scheme() == "http" && u.host().is_some() => Some(url.to_string()),
                _ => {
                    return Err(HttpError::BadRequest(format!(
                        "Invalid header[X-Web-Hook]: [{url}] is not an http:// URL (https receivers are not supported)"
                    )));
                }
            },
        };
        let timeout = match header(req, "X-API-Timeout") {
            Some(v) => Duration::from_secs(v.parse::<u64>().map_err(|_| {
                HttpError::BadRequest(format!(
                    "Invalid header[X-API-Timeout]: expected seconds, but was [{v}]"
                ))
            })?),
            None if api.route.sync => self.node.config.sync_api_timeout,
            None => self.node.config.api_timeout,
        };

        let input = read_input(&api, vars, body, req.query_string())?;

        let with_schema = matches!(api.input, ApiInput::Query(_))
            || header(req, "X-JSON-Schema").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Ok(Prepared {
            api,
            input,
            session,
            api_id: job_uuid.unwrap_or_else(new_uuid),
            timeout,
            with_schema,
            web_hook,
            headers: req
                .peer_addr()
                .map(|peer| {
                    let ip = peer.ip().to_canonical().to_string();
                    [(crate::identity::CLIENT_ADDRESS.to_string(), ip)].into()
                })
                .unwrap_or_default(),
        })
    }

    async fn check_session(&self, req: &HttpRequest) -> Result<SessionInfo, HttpError> {
        let Some(auth) = header(req, "Authorization") else {
            return Err(HttpError::BadRequest(
                "missing header 'Authorization'".into(),
            ));
        };
        let Some(session_uuid) = auth.trim().strip_prefix("OAuth") else {
            return Err(HttpError::BadRequest(
                "Authorization type must be 'OAuth', as in 'Authorization: OAuth <session uuid>'"
                    .into(),
            ));
        };
        let msg = CheckSessionMsg {
            session_uuid: session_uuid.trim().to_string(),
        };
        Ok(self
            .node
            .bus
            .call_with_timeout(msg, self.node.config.sync_api_timeout)
            .await?)
    }

    /// The API pipeline: declared checks, then the message to its service, then the reply body.
    #[allow(clippy::too_many_arguments)]
    async fn run(
        node: &NodeContext,
        api: &ApiDescriptor,
        input: Input,
        session: Option<SessionInfo>,
        api_id: &str,
        timeout: Duration,
        with_schema: bool,
        headers: crate::message::Headers,
    ) -> Result<Value, ErrorCode> {
        // Accounts other than admin see and touch only what they own.
        let owner = session
            .as_ref()
            .filter(|s| !s.is_admin)
            .map(|s| s.account_uuid.clone());
        let mut tags = RequestTags::default();
        let envelope = match (input, &api.input) {
            (Input::Params(mut params), ApiInput::Params(decode)) => {
                validate::validate(&node.db, api.name, &api.params, &mut params).await?;
                if let Some(account) = &owner {
                    check_access(node, api, &params, account).await?;
                }
                tags = RequestTags::read(&params);
                if let Some(resource_type) = api.creates
                    && !tags.system.is_empty()
                {
                    let check = ValidateTagsMsg {
                        resource_type: resource_type.to_string(),
                        system_tags: tags.system.clone(),
                    };
                    node.bus.call_with_timeout(check, timeout).await?;
                }
                decode(Value::Object(params))?
            }
            (Input::Query(mut request), ApiInput::Query(decode)) => {
                request.owner = owner;
                decode(request)
            }
            _ => return Err(ApiError::Internal("request and API kind disagree".into()).into()),
        };
        let mut envelope = envelope.with_id(api_id).with_session(session.clone());
        envelope.headers.extend(headers);
        let reply = node.bus.call_envelope(envelope, timeout).await?;
        let (body, schema) = (api.encode)(reply)?;
        if let Some(resource_type) = api.creates
            && let Some(uuid) = body["inventory"]["uuid"].as_str()
        {
            created(node, resource_type, uuid, session.as_ref(), tags, timeout).await?;
        }
        Ok(if with_schema {
            add_schema(body, schema)
        } else {
            body
        })
    }

    async fn answer_sync(&self, p: Prepared) -> Result<HttpResponse, HttpError> {
        let span = tracing::info_span!("api", api_id = %p.api_id, api = p.api.name);
        let started = Instant::now();
        let outcome = Self::run(
            &self.node,
            &p.api,
            p.input,
            p.session,
            &p.api_id,
            p.timeout,
            p.with_schema,
            p.headers,
        )
        .instrument(span)
        .await;
        self.metrics
            .result(p.api.name, outcome.is_ok(), started.elapsed());
        match outcome {
            Ok(body) => Ok(HttpResponse::Ok().json(body)),
            Err(e) => Err(HttpError::Api(e)),
        }
    }

    async fn answer_async(
        &self,
        req: &HttpRequest,
        p: Prepared,
    ) -> Result<HttpResponse, HttpError> {
        let node = self.node.clone();
        if let Err(e) = jobs::create(
            &node.db,
            &p.api_id,
            p.api.name,
            p.web_hook.as_deref(),
            &node.config.node_uuid,
        )
        .await
        {
            if let Some(SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
                return Err(HttpError::BadRequest(format!(
                    "Duplicate job uuid[{}]",
                    p.api_id
                )));
            }
            return Err(e.into());
        }
        let location = Self::location(req, &p.api_id);
        let timeout_ms = u64::try_from(p.timeout.as_millis()).unwrap_or(u64::MAX);
        let http = self.http.clone();
        let plan = self.webhook_plan.clone();
        let span = tracing::info_span!("api", api_id = %p.api_id, api = p.api.name);
        let running = self.jobs.enter();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        self.job_runner.spawn(
            async move {
                let _running = running;
                let outcome = Self::run(
                    &node,
                    &p.api,
                    p.input,
                    p.session,
                    &p.api_id,
                    p.timeout,
                    p.with_schema,
                    p.headers,
                )
                .await;
                let (success, body) = match outcome {
                    Ok(body) => (true, body),
                    Err(e) => {
                        tracing::info!(error = %e, "api failed");
                        (false, e.to_body())
                    }
                };
                let body = body.to_string();
                metrics.result(p.api.name, success, started.elapsed());
                match jobs::complete(&node.db, &p.api_id, success, &body).await {
                    Ok(true) => {}
                    Ok(false) => {
                        // Another node declared this one dead and failed the job meanwhile.
                        tracing::warn!(
                            "the job had already ended as failed; its result is dropped"
                        );
                        return;
                    }
                    Err(e) => tracing::error!(error = %e, "could not record the job result"),
                }
                node.bus.publish(ApiJobCompleted {
                    api_id: p.api_id.clone(),
                    api_name: p.api.name.to_string(),
                    success,
                });
                if let Some(url) = p.web_hook {
                    let delivered =
                        webhook::deliver(&http, &plan, &url, &p.api_id, success, body).await;
                    metrics.webhook(delivered);
                }
            }
            .instrument(span),
        );
        Ok(
            HttpResponse::Accepted()
                .json(json!({ "location": location, "apiTimeout": timeout_ms })),
        )
    }

    async fn poll(
        &self,
        req: &HttpRequest,
        method: HttpMethod,
        uuid: &str,
    ) -> Result<HttpResponse, HttpError> {
        if method != HttpMethod::Get {
            return Err(HttpError::MethodNotAllowed(
                "only GET method is allowed for querying job status".into(),
            ));
        }
        let expired = || HttpError::NotFound(format!("the job[uuid:{uuid}] has been expired"));
        match jobs::view(&self.node.db, uuid, self.node.config.job_retention).await? {
            jobs::JobView::Gone => Err(expired()),
            jobs::JobView::Running => {
                Ok(HttpResponse::Accepted().json(json!({ "location": Self::location(req, uuid) })))
            }
            jobs::JobView::Done { success, body } => {
                let status = if success {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                Ok(HttpResponse::build(status)
                    .content_type("application/json")
                    .body(body))
            }
        }
    }
}

/// The `systemTags` and `userTags` of a request.
#[derive(Default)]
struct RequestTags {
    system: Vec<String>,
    user: Vec<String>,
}

impl RequestTags {
    fn read(params: &Map<String, Value>) -> Self {
        let list = |name: &str| -> Vec<String> {
            match params.get(name) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect(),
                Some(Value::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            }
        };
        RequestTags {
            system: list("systemTags"),
            user: list("userTags"),
        }
    }
}

/// The uuids of the resources a request acts on: the `uuid` parameter and every parameter
/// declared as a reference to a resource.
fn referenced_uuids(api: &ApiDescriptor, params: &Map<String, Value>) -> Vec<String> {
    let mut uuids = Vec::new();
    for spec in &api.params {
        if spec.name != "uuid" && spec.checks.resource.is_none() && spec.checks.references.is_none()
        {
            continue;
        }
        match params.get(&spec.name) {
            Some(Value::String(uuid)) => uuids.push(uuid.clone()),
            Some(Value::Array(items)) => {
                uuids.extend(items.iter().filter_map(|v| v.as_str().map(String::from)))
            }
            _ => {}
        }
    }
    uuids
}

/// ID.1002 when `account` acts on a resource it does not own.
async fn check_access(
    node: &NodeContext,
    api: &ApiDescriptor,
    params: &Map<String, Value>,
    account: &str,
) -> Result<(), ErrorCode> {
    let uuids = referenced_uuids(api, params);
    if uuids.is_empty() {
        return Ok(());
    }
    let check = CheckAccessMsg {
        account_uuid: account.to_string(),
        resource_uuids: uuids,
    };
    node.bus.call(check).await?;
    Ok(())
}

/// After a create: its creator owns the new resource, and the request's tags attach to it.
async fn created(
    node: &NodeContext,
    resource_type: &str,
    uuid: &str,
    session: Option<&SessionInfo>,
    tags: RequestTags,
    timeout: Duration,
) -> Result<(), ErrorCode> {
    // Admin's resources need no record: an account may touch only what it is recorded to own.
    if let Some(session) = session.filter(|s| !s.is_admin) {
        let own = OwnResourceMsg {
            account_uuid: session.account_uuid.clone(),
            resource_uuid: uuid.to_string(),
            resource_type: resource_type.to_string(),
        };
        node.bus.call_with_timeout(own, timeout).await?;
    }
    if tags.system.is_empty() && tags.user.is_empty() {
        return Ok(());
    }
    let attach = AttachTagsMsg {
        resource_type: resource_type.to_string(),
        resource_uuid: uuid.to_string(),
        system_tags: tags.system,
        user_tags: tags.user,
        inherent: false,
    };
    node.bus.call_with_timeout(attach, timeout).await?;
    Ok(())
}

/// Query-string parameters by name; a repeated name (`uuids=a&uuids=b`, as ZStack's SDK sends
/// lists) becomes a list of its values.
fn query_string_params(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut params = Map::new();
    for (name, value) in pairs {
        match params.get_mut(&name) {
            None => {
                params.insert(name, Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(first) => {
                let first = first.take();
                params.insert(name, Value::Array(vec![first, Value::String(value)]));
            }
        }
    }
    params
}

/// The request's parameters for `api`: a query request, or typed parameters from the query
/// string or the body key, with URL variables and body-level tags merged in.
fn read_input(
    api: &ApiDescriptor,
    vars: std::collections::HashMap<&'static str, String>,
    mut body: Map<String, Value>,
    query_string: &str,
) -> Result<Input, HttpError> {
    let query_pairs: Vec<(String, String)> = form_urlencoded::parse(query_string.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(match &api.input {
        ApiInput::Query(_) => {
            let mut request =
                QueryRequest::from_pairs(query_pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .map_err(HttpError::BadRequest)?;
            if let Some(uuid) = vars.get("uuid") {
                request.conditions.push(crate::query::Condition {
                    path: "uuid".into(),
                    op: crate::query::QueryOp::Eq,
                    value: Some(uuid.clone()),
                });
            }
            Input::Query(request)
        }
        ApiInput::Params(_) => {
            let (mut raw, from_query_string) = match api.route.body {
                BodyKey::None => (query_string_params(query_pairs), true),
                BodyKey::Params | BodyKey::Action => {
                    let key = api.action.as_deref().unwrap_or("params");
                    let mut raw = match body.remove(key) {
                        None | Some(Value::Null) => Map::new(),
                        Some(Value::Object(map)) => map,
                        Some(_) => {
                            return Err(HttpError::BadRequest(format!(
                                "the value of [{key}] in the body must be a JSON object"
                            )));
                        }
                    };
                    // systemTags and userTags sit beside the parameters.
                    for tags in ["systemTags", "userTags"] {
                        if let Some(v) = body.remove(tags) {
                            raw.entry(tags).or_insert(v);
                        }
                    }
                    (raw, false)
                }
            };
            for (name, value) in vars {
                raw.insert(name.to_string(), Value::String(value));
            }
            Input::Params(
                validate::typecheck(&api.params, raw, from_query_string)
                    .map_err(HttpError::BadRequest)?,
            )
        }
    })
}

async fn dispatch(req: HttpRequest, body: web::Bytes, gw: web::Data<Gateway>) -> HttpResponse {
    if req.path() == "/metrics" && req.method() == Method::GET {
        return HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(gw.metrics.render(gw.jobs.running(), &gw.node.bus));
    }
    let rsp = match gw.handle(&req, &body).await {
        Ok(rsp) => rsp,
        Err(e) => e.error_response(),
    };
    gw.metrics.response(rsp.status().as_u16());
    rsp
}

/// Ends the jobs node `owner` left running as failed (SYS.1012), announces them and fires their
/// webhooks. Safe to run on several nodes at once: each job is ended, and its webhook fired, by
/// one of them.
pub async fn fail_jobs_of(
    node: &NodeContext,
    owner: &str,
    why: &str,
) -> Result<usize, sea_orm::DbErr> {
    let ended = jobs::end_orphans(&node.db, owner, why).await?;
    let count = ended.len();
    if count == 0 {
        return Ok(0);
    }
    tracing::warn!(
        node = owner,
        jobs = count,
        "jobs of a management node that is gone ended as failed"
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let plan = Arc::new(WebhookPlan {
        tries: node.config.webhook_tries,
        max_backoff: node.config.webhook_max_backoff,
    });
    for orphan in ended {
        node.bus.publish(ApiJobCompleted {
            api_id: orphan.uuid.clone(),
            api_name: orphan.api_name.clone(),
            success: false,
        });
        if let Some(url) = orphan.web_hook {
            let (http, plan) = (http.clone(), plan.clone());
            // Not a local task: this may run on the heartbeat's task, outside the actix system.
            tokio::spawn(async move {
                webhook::deliver(&http, &plan, &url, &orphan.uuid, false, orphan.body).await;
            });
        }
    }
    Ok(count)
}

/// Fails the jobs this node left running in an earlier life, then expires old jobs periodically.
pub async fn prepare_jobs(node: &NodeContext) -> Result<(), sea_orm::DbErr> {
    let me = node.config.node_uuid.clone();
    fail_jobs_of(
        node,
        &me,
        &format!("management node[uuid:{me}] stopped while the job was running"),
    )
    .await?;
    let db = node.db.clone();
    let retention = node.config.job_retention;
    let every = (retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match jobs::expire(&db, retention).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(expired = n, "expired finished jobs"),
                Err(e) => tracing::warn!(error = %e, "could not expire jobs"),
            }
        }
    });
    Ok(())
}

/// After the HTTP server has stopped: lets running jobs finish within `grace`, then fails the
/// rest so none is left "processing".
pub async fn drain_jobs(node: &NodeContext, jobs: &JobTracker, grace: Duration) {
    if jobs.wait_idle(grace).await {
        return;
    }
    tracing::warn!(
        running = jobs.running(),
        "jobs still running at shutdown end as failed"
    );
    let me = node.config.node_uuid.clone();
    let why = format!("management node[uuid:{me}] stopped while the job was running");
    if let Err(e) = fail_jobs_of(node, &me, &why).await {
        tracing::error!(error = %e, "could not fail the jobs left running");
    }
}

/// The HTTP server of the node, on an already bound listener. Call it inside the node's actix
/// system: async jobs run on that system's arbiter and are counted in `jobs`.
pub fn server(
    node: NodeContext,
    listener: TcpListener,
    workers: usize,
    jobs: Arc<JobTracker>,
) -> std::io::Result<actix_web::dev::Server> {
    let job_runner = actix::System::current().arbiter().clone();
    let gateway = web::Data::new(Gateway::new(node, jobs, job_runner));
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(gateway.clone())
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .default_service(web::to(dispatch))
    })
    .workers(workers)
    // Idle connections stay open well beyond actix's 5 s, as most servers and proxies keep
    // them (75 s): clients that pool connections then rarely send on one just being closed.
    .keep_alive(Duration::from_secs(75))
    .disable_signals()
    .listen(listener)?
    .run())
}
