//! The REST gateway: HTTP on `/zstack/v1/...` ↔ API messages on the bus. It knows no resource
//! family: every route comes from an API declaration in the [`ApiRegistry`](crate::api::ApiRegistry).

mod body;
mod conn;
mod location;
mod metadata;
mod metrics;
mod openapi;
mod poll;
mod request;
mod router;
mod server;

pub use location::check_public_url;
pub use server::server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::ArbiterHandle;
use sea_orm::SqlErr;

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::{Map, json};
use tracing::Instrument;

use crate::api::{ApiInput, HttpMethod};
use crate::error::{ErrorCode, RequestError};
use crate::jobs::store as jobs;
use crate::jobs::{Announcer, Ended, JobTracker};
use crate::message::{is_v4_uuid, new_uuid};
use crate::node::NodeContext;
use crate::pipeline::{ApiCall, CallInput};
use metrics::Metrics;
use request::{body_object, credentials, header, read_input};
use router::{Lookup, Matched, Router};

/// Malformed HTTP (its status and code from [`RequestError`]'s table) or a failed API (503),
/// answered in ZStack's error format.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The body could not be read whole: answered, then the connection closes.
    #[error(transparent)]
    Body(RequestError),
    #[error("{0}")]
    Api(ErrorCode),
}

impl HttpError {
    fn bad_request(details: impl Into<String>) -> Self {
        RequestError::BadRequest(details.into()).into()
    }

    fn not_found(details: impl Into<String>) -> Self {
        RequestError::NotFound(details.into()).into()
    }

    fn method_not_allowed(details: impl Into<String>) -> Self {
        RequestError::MethodNotAllowed(details.into()).into()
    }
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
            HttpError::Request(e) | HttpError::Body(e) => {
                StatusCode::from_u16(e.status_and_code().0).unwrap_or(StatusCode::BAD_REQUEST)
            }
            HttpError::Api(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let error = match self {
            HttpError::Api(e) => e.clone(),
            HttpError::Request(e) | HttpError::Body(e) => ErrorCode::from(e),
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
    metadata: String,
    metrics: Arc<Metrics>,
    announcer: Announcer,
    locator: location::Locator,
}

/// A request turned into an API call, and what only HTTP has: where to push the result.
struct Prepared {
    call: ApiCall,
    web_hook: Option<String>,
}

impl Gateway {
    pub fn new(node: NodeContext, jobs: Arc<JobTracker>, job_runner: ArbiterHandle) -> Self {
        let apis = node.apis.all();
        let router = Router::new(&apis);
        let openapi = openapi::document(&apis, env!("CARGO_PKG_VERSION")).to_string();
        let metadata = metadata::document(&apis, &node.queries).to_string();
        Gateway {
            jobs,
            job_runner,
            router,
            openapi,
            metadata,
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
                return Err(HttpError::method_not_allowed(format!(
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
                return Err(HttpError::not_found(format!(
                    "no api mapping to {}",
                    req.path()
                )));
            }
        };
        if let ["api-jobs", uuid] = rest {
            return self.poll(req, method, uuid).await;
        }
        if method == HttpMethod::Get {
            let document = match rest {
                ["openapi.json"] => Some(&self.openapi),
                ["api-metadata"] => Some(&self.metadata),
                _ => None,
            };
            if let Some(document) = document {
                return Ok(HttpResponse::Ok()
                    .content_type("application/json")
                    .body(document.clone()));
            }
        }
        let found = match self.router.lookup(method, rest) {
            Lookup::NoPath => {
                return Err(HttpError::not_found(format!(
                    "no api mapping to {}",
                    req.path()
                )));
            }
            Lookup::WrongMethod => {
                return Err(HttpError::method_not_allowed(format!(
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
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Delete => body_object(body)?,
            HttpMethod::Get => Map::new(),
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
            return Err(HttpError::bad_request(format!(
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
                return Err(HttpError::bad_request(format!(
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
            return Err(HttpError::bad_request(format!(
                "Duplicate job uuid[{uuid}]"
            )));
        }
        let web_hook = match req.headers().get("X-Web-Hook").map(|v| v.to_str()) {
            None => None,
            // Not dropped as if absent: the client expects its result pushed.
            Some(Err(_)) => {
                return Err(HttpError::bad_request(
                    "Invalid header[X-Web-Hook]: it must be a URL in visible ASCII",
                ));
            }
            Some(Ok(url)) => {
                if let Err(why) = self.announcer.check_receiver(url).await {
                    return Err(HttpError::bad_request(format!(
                        "Invalid header[X-Web-Hook]: [{url}] {why}"
                    )));
                }
                Some(url.to_string())
            }
        };
        let timeout = match header(req, "X-API-Timeout") {
            Some(v) => Duration::from_secs(v.parse::<u64>().map_err(|_| {
                HttpError::bad_request(format!(
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
                return Err(HttpError::bad_request(format!(
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
}
