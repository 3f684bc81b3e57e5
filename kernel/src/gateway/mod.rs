//! The REST gateway: HTTP on `/zstack/v1/...` ↔ API messages on the bus. It knows no resource
//! family: every route comes from an API declaration in the [`ApiRegistry`](crate::api::ApiRegistry).

mod body;
mod conn;
mod location;
mod metrics;
mod openapi;
mod router;

pub use location::check_public_url;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::ArbiterHandle;
use sea_orm::SqlErr;

use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use serde_json::{Map, Value, json};
use tracing::Instrument;

use crate::api::{ApiDescriptor, ApiInput, BodyKey, HttpMethod, Schema, validate};
use crate::error::{ApiError, ErrorCode};
use crate::identity::{CheckAccessMsg, CheckSessionMsg, ResourceKey};
use crate::jobs::store as jobs;
use crate::jobs::{Announcer, Ended, JobTracker};
use crate::message::{SessionInfo, is_v4_uuid, new_uuid};
use crate::node::NodeContext;
use crate::query::QueryRequest;
use crate::tags::{AttachTagsMsg, ValidateTagsMsg};
use metrics::Metrics;
use router::{Lookup, Matched, Router};

/// How long an async API's job waits for its reply past its timeout (see `call_job`): a job is
/// failed only when its work is known not to have happened, so this bounds a handler that
/// never answers, not the API.
const JOB_REPLY_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Malformed HTTP (400/404/405/408/413) or a failed API (503), answered in ZStack's error
/// format.
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
    #[error("{0}")]
    Body(body::BodyError),
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
            HttpError::Body(body::BodyError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Body(body::BodyError::TimedOut(_)) => StatusCode::REQUEST_TIMEOUT,
            HttpError::Body(body::BodyError::Broken(_)) => StatusCode::BAD_REQUEST,
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
            HttpError::Body(e) => ErrorCode::new("SYS.1007", "Bad request", e.to_string()),
        };
        let mut rsp = HttpResponse::build(self.status_code());
        if let HttpError::Body(_) = self {
            // The rest of the body is unread (or never comes): the connection cannot be reused.
            rsp.force_close();
        }
        rsp.json(error.to_body())
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
    announcer: Announcer,
    locator: location::Locator,
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
        Gateway {
            jobs,
            job_runner,
            router,
            openapi,
            metrics: Arc::new(Metrics::default()),
            announcer: Announcer::new(&node),
            locator: location::Locator::new(&node.config),
            node,
        }
    }

    fn location(&self, req: &HttpRequest, job_uuid: &str) -> String {
        self.locator.job(req, job_uuid)
    }

    async fn handle(&self, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, HttpError> {
        let method = match *req.method() {
            // HEAD is answered as GET; actix leaves the body out (and keeps its length).
            Method::GET | Method::HEAD => HttpMethod::Get,
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
        let web_hook = match req.headers().get("X-Web-Hook").map(|v| v.to_str()) {
            None => None,
            // Not dropped as if absent: the client expects its result pushed.
            Some(Err(_)) => {
                return Err(HttpError::BadRequest(
                    "Invalid header[X-Web-Hook]: it must be a URL in visible ASCII".into(),
                ));
            }
            Some(Ok(url)) => {
                if let Err(why) = self.announcer.check_receiver(url).await {
                    return Err(HttpError::BadRequest(format!(
                        "Invalid header[X-Web-Hook]: [{url}] {why}"
                    )));
                }
                Some(url.to_string())
            }
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

        let limits = &self.node.config.query_limits;
        let input = read_input(&api, vars, body, req.query_string(), limits)?;

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

    /// The session a poll comes with; `None` when it has none or an invalid one (the poll then
    /// answers as for an unknown job), an error only when the session could not be checked.
    async fn poll_session(&self, req: &HttpRequest) -> Result<Option<SessionInfo>, HttpError> {
        match self.check_session(req).await {
            Ok(session) => Ok(Some(session)),
            Err(HttpError::BadRequest(_)) => Ok(None),
            Err(HttpError::Api(e)) if e.code == "ID.1001" => Ok(None),
            Err(e) => Err(e),
        }
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
    /// `job` is set for async APIs: the job's uuid travels with the message so the work marks
    /// its job in its own transaction.
    #[allow(clippy::too_many_arguments)]
    async fn run(
        node: &NodeContext,
        api: &ApiDescriptor,
        input: Input,
        session: Option<SessionInfo>,
        api_id: &str,
        timeout: Duration,
        with_schema: bool,
        job: bool,
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
                // Tags are bounded before anything else looks at the request.
                tags = RequestTags::read(&params, node.config.max_tags_per_request)?;
                validate::validate(&node.db, api.name, &api.params, &mut params).await?;
                if let Some(account) = &owner {
                    check_access(node, api, &params, account).await?;
                }
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
        let reply = if job {
            envelope
                .headers
                .insert(jobs::JOB_HEADER.to_string(), api_id.to_string());
            Self::call_job(node, api, envelope, api_id, timeout).await?
        } else {
            node.bus.call_envelope(envelope, timeout).await?
        };
        let (body, schema) = (api.encode)(reply)?;
        if let Some(resource_type) = api.creates
            && let Some(uuid) = body["inventory"]["uuid"].as_str()
        {
            attach_tags(node, resource_type, uuid, tags, timeout).await?;
        }
        Ok(if with_schema {
            add_schema(body, schema)
        } else {
            body
        })
    }

    /// Sends an async API's message and waits for its reply. Past the timeout a create is
    /// stopped if its work has not committed (then SYS.1001 is the truth: nothing was created);
    /// otherwise the job keeps running and ends with the real result, because its work may
    /// have happened and a client told SYS.1001 would retry it.
    async fn call_job(
        node: &NodeContext,
        api: &ApiDescriptor,
        envelope: crate::message::Envelope,
        api_id: &str,
        timeout: Duration,
    ) -> Result<crate::message::Payload, ErrorCode> {
        let what = format!("Message[name: {}, id: {api_id}]", api.name);
        let call = node.bus.call_envelope(envelope, JOB_REPLY_LIMIT);
        tokio::pin!(call);
        if let Ok(reply) = tokio::time::timeout(timeout, &mut call).await {
            return reply;
        }
        if api.creates.is_some() && jobs::stop(&node.db, api_id).await? {
            return Err(ApiError::Timeout(format!(
                "{what} timeout after {} seconds; it was stopped before it created anything",
                timeout.as_secs_f64()
            ))
            .into());
        }
        tracing::warn!(
            timeout_s = timeout.as_secs_f64(),
            "the API is past its timeout; its job keeps running until it answers"
        );
        call.await
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
            false,
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
            p.session.as_ref().map(|s| s.account_uuid.as_str()),
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
        let location = self.location(req, &p.api_id);
        let timeout_ms = u64::try_from(p.timeout.as_millis()).unwrap_or(u64::MAX);
        let announcer = self.announcer.clone();
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
                    true,
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
                metrics.result(p.api.name, success, started.elapsed());
                let ended = Ended {
                    uuid: &p.api_id,
                    api_name: p.api.name,
                    success,
                    body: body.to_string(),
                    web_hook: p.web_hook.clone(),
                };
                if let Some(delivered) = announcer.finish(&node, ended).await
                    && p.web_hook.is_some()
                {
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
        // Only the submitting account and admin learn anything of a job, even that it exists.
        let Some(session) = self.poll_session(req).await? else {
            return Err(expired());
        };
        if !jobs::readable_by(&self.node.db, uuid, &session.account_uuid, session.is_admin).await? {
            return Err(expired());
        }
        match jobs::view(&self.node.db, uuid, self.node.config.job_retention).await? {
            jobs::JobView::Gone => Err(expired()),
            jobs::JobView::Running => {
                Ok(HttpResponse::Accepted().json(json!({ "location": self.location(req, uuid) })))
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

/// The longest tag, as the tag APIs take it.
const MAX_TAG_LENGTH: usize = 2048;

impl RequestTags {
    /// The request's tags, checked as the tag APIs check theirs (trimmed, not empty, at most
    /// 2,048 characters, no NUL), and at most `max` of them in all.
    fn read(params: &Map<String, Value>, max: usize) -> Result<Self, ErrorCode> {
        let list = |name: &str| -> Vec<&Value> {
            match params.get(name) {
                Some(Value::Array(items)) => items.iter().collect(),
                Some(one @ Value::String(_)) => vec![one],
                _ => Vec::new(),
            }
        };
        let (system, user) = (list("systemTags"), list("userTags"));
        if system.len() + user.len() > max {
            return Err(crate::error::argerr(format!(
                "a request carries at most {max} tags in systemTags and userTags together, but this one has {}",
                system.len() + user.len()
            )));
        }
        let check = |name: &str, items: Vec<&Value>| -> Result<Vec<String>, ErrorCode> {
            items
                .into_iter()
                .map(|v| {
                    let tag = v.as_str().unwrap_or_default().trim();
                    let len = tag.chars().count();
                    if tag.is_empty() {
                        Err(crate::error::argerr(format!(
                            "a tag in [{name}] is empty"
                        )))
                    } else if len > MAX_TAG_LENGTH {
                        Err(crate::error::argerr(format!(
                            "a tag in [{name}] exceeds max length of string. expected was <= {MAX_TAG_LENGTH}, actual was {len}"
                        )))
                    } else if tag.contains('\0') {
                        Err(crate::error::argerr(format!(
                            "a tag in [{name}] contains a NUL character"
                        )))
                    } else {
                        Ok(tag.to_string())
                    }
                })
                .collect()
        };
        Ok(RequestTags {
            system: check("systemTags", system)?,
            user: check("userTags", user)?,
        })
    }
}

/// The resources a request acts on: the `uuid` parameter and every parameter declared as a
/// reference to a resource, with their types where declared.
fn referenced_resources(api: &ApiDescriptor, params: &Map<String, Value>) -> Vec<ResourceKey> {
    let mut found = Vec::new();
    for spec in &api.params {
        let declared = spec.checks.resource.or(spec.checks.references);
        if spec.name != "uuid" && declared.is_none() {
            continue;
        }
        let vo = declared.map(|r| r.vo_name);
        match params.get(&spec.name) {
            Some(Value::String(uuid)) => found.push(ResourceKey::new(uuid.clone(), vo)),
            Some(Value::Array(items)) => found.extend(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|uuid| ResourceKey::new(uuid, vo)),
            ),
            _ => {}
        }
    }
    found
}

/// ID.1002 when `account` acts on a resource it does not own.
async fn check_access(
    node: &NodeContext,
    api: &ApiDescriptor,
    params: &Map<String, Value>,
    account: &str,
) -> Result<(), ErrorCode> {
    let resources = referenced_resources(api, params);
    if resources.is_empty() {
        return Ok(());
    }
    let check = CheckAccessMsg {
        account_uuid: account.to_string(),
        resources,
    };
    node.bus.call(check).await?;
    Ok(())
}

/// After a create: the request's tags attach to the new resource (its owner record was written
/// with it, in the create's transaction).
async fn attach_tags(
    node: &NodeContext,
    resource_type: &str,
    uuid: &str,
    tags: RequestTags,
    timeout: Duration,
) -> Result<(), ErrorCode> {
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
    query_limits: &crate::query::QueryLimits,
) -> Result<Input, HttpError> {
    let query_pairs: Vec<(String, String)> = form_urlencoded::parse(query_string.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(match &api.input {
        ApiInput::Query(_) => {
            let mut request = QueryRequest::from_query_string(query_string, query_limits)
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

async fn dispatch(
    req: HttpRequest,
    mut payload: web::Payload,
    gw: web::Data<Gateway>,
) -> HttpResponse {
    let body = match body::read(&req, &mut payload, gw.node.config.body_timeout).await {
        Ok(body) => body,
        Err(e) => {
            let rsp = HttpError::Body(e).error_response();
            gw.metrics.response(rsp.status().as_u16());
            return rsp;
        }
    };
    if req.path() == "/metrics" && matches!(*req.method(), Method::GET | Method::HEAD) {
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

/// The HTTP server of the node, on an already bound listener. Call it inside the node's actix
/// system: async jobs run on that system's arbiter and are counted in `jobs`.
pub fn server(
    node: NodeContext,
    listener: TcpListener,
    workers: usize,
    jobs: Arc<JobTracker>,
) -> std::io::Result<actix_web::dev::Server> {
    use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};

    let job_runner = actix::System::current().arbiter().clone();
    let gateway = web::Data::new(Gateway::new(node, jobs, job_runner));
    let addr = listener.local_addr()?;
    // What `HttpServer::listen` builds, with each connection wrapped so that the errors actix
    // answers by itself get a body (conn.rs).
    let builder = actix_server::Server::build()
        .workers(workers)
        .disable_signals();
    let stopping = builder.graceful_shutdown_signal();
    Ok(builder
        .listen("zstack-http", listener, move || {
            let stopping = stopping.clone();
            let app = App::new()
                .app_data(gateway.clone())
                .default_service(web::to(dispatch))
                .into_factory()
                .map_err(|e| e.error_response());
            let http = actix_http::HttpService::build()
                // Idle connections close when the node stops, not when keep-alive ends.
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                // Idle connections stay open well beyond actix's 5 s, as most servers and
                // proxies keep them (75 s): clients that pool connections then rarely send on
                // one just being closed.
                .keep_alive(Duration::from_secs(75))
                // The request head must arrive within 5 s (`HttpServer`'s default).
                .client_request_timeout(Duration::from_secs(5))
                // Before closing, a connection reads (and drops) what the client still sends for
                // up to 1 s, so that a client sending a refused body reads the answer rather
                // than a reset (`HttpServer`'s default).
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .h1(map_config(app, |_| actix_web::dev::AppConfig::default()));
            fn_service(|io: actix_web::rt::net::TcpStream| {
                let peer = io.peer_addr().ok();
                std::future::ready(Ok::<_, actix_http::error::DispatchError>((
                    conn::ErrorBodies::new(io),
                    peer,
                )))
            })
            .and_then(http)
        })?
        .run())
}
