//! The HTTP server: actix-web's parts assembled so that each connection is wrapped (conn.rs),
//! and every request goes to the gateway.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::Method;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};

use super::{Gateway, HttpError, body, conn};
use crate::jobs::JobTracker;
use crate::node::NodeContext;

async fn dispatch(
    req: HttpRequest,
    mut payload: web::Payload,
    gw: web::Data<Gateway>,
) -> HttpResponse {
    let body = match body::read(&req, &mut payload, gw.node.config.body_timeout).await {
        Ok(body) => body,
        Err(e) => {
            let rsp = HttpError::Body(e.into()).error_response();
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
