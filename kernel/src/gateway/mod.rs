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

use crate::api::{ApiDescriptor, ApiInput, BodyKey, HttpMethod, validate};
use crate::error::ErrorCode;
use crate::identity::CheckSessionMsg;
use crate::jobs::store as jobs;
use crate::jobs::{Announcer, Ended, JobTracker};
use crate::message::{SessionInfo, is_v4_uuid, new_uuid};
use crate::node::NodeContext;
use crate::pipeline::{ApiCall, CallInput};
use crate::query::QueryRequest;
use metrics::Metrics;
use router::{Lookup, Matched, Router};

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

/// A request turned into an API call, and what only HTTP has: where to push the result.
struct Prepared {
    call: ApiCall,
    web_hook: Option<String>,
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
        if prepared.call.api.route.sync {
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
        let credentials = if api.route.needs_session {
            Some(credentials(req)?)
        } else {
            None
        };
        let mut call = ApiCall::new(
            api.clone(),
            CallInput::Params(Map::new()),
            new_uuid(),
            self.node.config.sync_api_timeout,
        );
        call.credentials = credentials;
        self.node.pipeline.admit(&self.node, &mut call).await?;

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
        call.input = read_input(&api, vars, body, req.query_string(), limits)?;
        call.with_schema = matches!(api.input, ApiInput::Query(_))
            || header(req, "X-JSON-Schema").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        call.timeout = timeout;
        call.job = !api.route.sync;
        if let Some(uuid) = job_uuid {
            call.api_id = uuid;
        }
        if let Some(peer) = req.peer_addr() {
            let ip = peer.ip().to_canonical().to_string();
            call.headers
                .insert(crate::identity::CLIENT_ADDRESS.to_string(), ip);
        }
        Ok(Prepared { call, web_hook })
    }

    /// The session a poll comes with; `None` when it has none or an invalid one (the poll then
    /// answers as for an unknown job), an error only when the session could not be checked.
    async fn poll_session(&self, req: &HttpRequest) -> Result<Option<SessionInfo>, HttpError> {
        let Ok(token) = credentials(req) else {
            return Ok(None);
        };
        let check = CheckSessionMsg {
            session_uuid: token,
        };
        match self
            .node
            .bus
            .call_with_timeout(check, self.node.config.sync_api_timeout)
            .await
        {
            Ok(session) => Ok(Some(session)),
            Err(e) if e.code == "ID.1001" => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn answer_sync(&self, p: Prepared) -> Result<HttpResponse, HttpError> {
        let (api_id, api) = (p.call.api_id.clone(), p.call.api.name);
        let span = tracing::info_span!("api", api_id = %api_id, api);
        let started = Instant::now();
        let outcome = self
            .node
            .pipeline
            .execute(&self.node, p.call)
            .instrument(span)
            .await;
        self.metrics.result(api, outcome.is_ok(), started.elapsed());
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
        let Prepared { call, web_hook } = p;
        let (api_id, api) = (call.api_id.clone(), call.api.name);
        let job = jobs::NewJob {
            uuid: &api_id,
            api_name: api,
            web_hook: web_hook.as_deref(),
            node_uuid: &node.config.node_uuid,
            account_uuid: call.session.as_ref().map(|s| s.account_uuid.as_str()),
        };
        if let Err(e) = jobs::create(&node.db, job).await {
            if let Some(SqlErr::UniqueConstraintViolation(_)) = e.sql_err() {
                return Err(HttpError::BadRequest(format!(
                    "Duplicate job uuid[{api_id}]"
                )));
            }
            return Err(e.into());
        }
        let location = self.location(req, &api_id);
        let timeout_ms = u64::try_from(call.timeout.as_millis()).unwrap_or(u64::MAX);
        let announcer = self.announcer.clone();
        let span = tracing::info_span!("api", api_id = %api_id, api);
        let running = self.jobs.enter();
        let metrics = self.metrics.clone();
        let started = Instant::now();
        self.job_runner.spawn(
            async move {
                let _running = running;
                let (success, body) = match node.pipeline.execute(&node, call).await {
                    Ok(body) => (true, body),
                    Err(e) => {
                        tracing::info!(error = %e, "api failed");
                        (false, e.to_body())
                    }
                };
                metrics.result(api, success, started.elapsed());
                let ended = Ended {
                    uuid: &api_id,
                    api_name: api,
                    success,
                    body: body.to_string(),
                    web_hook: web_hook.clone(),
                };
                if let Some(delivered) = announcer.finish(&node, ended).await
                    && web_hook.is_some()
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

/// The session token of `Authorization: OAuth <session uuid>`; a missing or malformed header
/// is malformed HTTP (400).
fn credentials(req: &HttpRequest) -> Result<String, HttpError> {
    let Some(auth) = header(req, "Authorization") else {
        return Err(HttpError::BadRequest(
            "missing header 'Authorization'".into(),
        ));
    };
    let Some(token) = auth.trim().strip_prefix("OAuth") else {
        return Err(HttpError::BadRequest(
            "Authorization type must be 'OAuth', as in 'Authorization: OAuth <session uuid>'"
                .into(),
        ));
    };
    Ok(token.trim().to_string())
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
) -> Result<CallInput, HttpError> {
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
            CallInput::Query(request)
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
            CallInput::Params(
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
