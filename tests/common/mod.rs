//! Helpers for end-to-end tests: a real node on a loopback port with its own database (SQLite, or
//! PostgreSQL when `TEST_DATABASE_URL` is set), an HTTP client, and a real webhook receiver.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use zstack::{RunningNode, Settings};

pub const ADMIN_PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";

/// A database for one test: a fresh PostgreSQL database, or a SQLite file in a fresh directory.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("TEST_DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                // With TEST_DATABASE_URL set, an unreachable server fails the test: never a skip.
                let admin = Database::connect(base.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {base} is unreachable: {e}"));
                let name = format!("zstack_test_{id}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create a test database");
                let (server, _) = base.rsplit_once('/').expect("a database name in the URL");
                TestDb {
                    url: format!("{server}/{name}"),
                    postgres: Some((base, name)),
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("zstack-test-{id}"));
                std::fs::create_dir_all(&dir).expect("a temp dir");
                TestDb {
                    url: format!("sqlite://{}/zstack.db?mode=rwc", dir.display()),
                    postgres: None,
                }
            }
        }
    }

    /// A fresh PostgreSQL database, whichever database the other tests use: several nodes share
    /// one. `None` (skip) when PostgreSQL is unreachable, except under `CI=true`, where that fails.
    pub async fn postgres() -> Option<TestDb> {
        let base = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => url,
            _ => "postgres://postgres@127.0.0.1:5432/test".to_string(),
        };
        if let Err(e) = Database::connect(base.as_str()).await {
            require_service(&format!("PostgreSQL at {base} is unreachable: {e}"));
            return None;
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("zstack_test_{id}");
        let admin = Database::connect(base.as_str()).await.expect("PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let (server, _) = base.rsplit_once('/').expect("a database name in the URL");
        Some(TestDb {
            url: format!("{server}/{name}"),
            postgres: Some((base, name)),
        })
    }

    /// Another handle on the same database, which does not drop it.
    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            postgres: None,
        }
    }

    pub async fn drop_database(&self) {
        if let Some((base, name)) = &self.postgres
            && let Ok(admin) = Database::connect(base.as_str()).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// A service the test needs is missing: under `CI=true` that fails the test, elsewhere the test
/// is skipped (the caller returns).
pub fn require_service(why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{why} (CI=true: tests needing it must not be skipped)"
    );
    eprintln!("skipped: {why}");
}

/// The RabbitMQ the multi-node tests use, if it is reachable (see [`require_service`]).
pub fn amqp_url() -> Option<String> {
    let url = std::env::var("ZSTACK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let addr = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(5672))))
        .unwrap_or_else(|| "127.0.0.1:5672".into());
    match std::net::TcpStream::connect(&addr) {
        Ok(_) => Some(url),
        Err(e) => {
            require_service(&format!("RabbitMQ at {addr} is unreachable: {e}"));
            None
        }
    }
}

pub fn test_settings(db_url: &str) -> Settings {
    Settings {
        port: 0,
        bind: "127.0.0.1".into(),
        db_url: db_url.to_string(),
        http_workers: 2,
        webhook_max_backoff_ms: 200,
        ..Settings::default()
    }
}

pub struct TestNode {
    pub node: Option<RunningNode>,
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Rsp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Rsp {
    /// The `details` of an error body, or "" when there is none.
    pub fn details(&self) -> &str {
        self.body["error"]["details"].as_str().unwrap_or_default()
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

impl TestNode {
    pub async fn start() -> TestNode {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut Settings)) -> TestNode {
        let db = TestDb::new().await;
        let mut settings = test_settings(&db.url);
        tune(&mut settings);
        let node = zstack::start(&settings).await.expect("the node starts");
        TestNode {
            base: format!("http://127.0.0.1:{}", node.port),
            node: Some(node),
            client: reqwest::Client::new(),
            db,
        }
    }

    pub fn bus(&self) -> &zstack_kernel::bus::Bus {
        &self.node.as_ref().expect("running").node.bus
    }

    pub fn node_uuid(&self) -> String {
        self.node
            .as_ref()
            .expect("running")
            .node
            .config
            .node_uuid
            .clone()
    }

    pub async fn stop(mut self) {
        if let Some(node) = self.node.take() {
            node.stop().await;
        }
        self.db.drop_database().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/zstack/v1{path}", self.base)
    }

    /// Sends a request with optional session, body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        session: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Rsp {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            self.url(path)
        };
        let mut req = self.client.request(method, url);
        if let Some(s) = session {
            req = req.header("Authorization", format!("OAuth {s}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let rsp = req.send().await.expect("the node answers");
        let status = rsp.status();
        let headers = rsp.headers().clone();
        let text = rsp.text().await.expect("a body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Rsp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, session: &str) -> Rsp {
        self.send(Method::GET, path, Some(session), None, &[]).await
    }

    /// `POST /zones` with `params` and extra headers, answered as is (202 or an error).
    pub async fn post_zone(&self, session: &str, params: Value, headers: &[(&str, &str)]) -> Rsp {
        self.send(
            Method::POST,
            "/zones",
            Some(session),
            Some(json!({ "params": params })),
            headers,
        )
        .await
    }

    pub async fn login(&self) -> String {
        let rsp = self
            .send(
                Method::PUT,
                "/accounts/login",
                None,
                Some(json!({"logInByAccount": {"accountName": "admin", "password": ADMIN_PASSWORD_SHA512}})),
                &[],
            )
            .await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        rsp.body["inventory"]["uuid"]
            .as_str()
            .expect("a session uuid")
            .to_string()
    }

    /// Polls a job location as admin until it is no longer 202.
    pub async fn wait_job(&self, location: &str) -> Rsp {
        let admin = self.login().await;
        self.wait_job_as(location, &admin).await
    }

    /// Polls a job location with `session` (a job answers only its submitter and admin) until
    /// it is no longer 202.
    pub async fn wait_job_as(&self, location: &str, session: &str) -> Rsp {
        for _ in 0..300 {
            let rsp = self
                .send(Method::GET, location, Some(session), None, &[])
                .await;
            if rsp.status != 202 {
                return rsp;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {location} did not finish");
    }

    /// Sends an async API, checks the 202, and returns the finished job's response.
    pub async fn call_async(
        &self,
        method: Method,
        path: &str,
        session: &str,
        body: Option<Value>,
    ) -> Rsp {
        let accepted = self.send(method, path, Some(session), body, &[]).await;
        assert_eq!(accepted.status, 202, "{:?}", accepted.body);
        let location = accepted.body["location"].as_str().expect("a location");
        self.wait_job_as(location, session).await
    }

    /// `POST path` with `{"params": ...}`, waited for; the created inventory.
    pub async fn create(&self, session: &str, path: &str, params: Value) -> Value {
        let done = self
            .call_async(
                Method::POST,
                path,
                session,
                Some(json!({ "params": params })),
            )
            .await;
        assert_eq!(done.status, 200, "POST {path}: {:?}", done.body);
        done.body["inventory"].clone()
    }

    /// `PUT path` with `{"<action>": params}`, waited for: the finished job's response.
    pub async fn action(&self, session: &str, path: &str, action: &str, params: Value) -> Rsp {
        self.call_async(Method::PUT, path, session, Some(json!({ action: params })))
            .await
    }

    /// `updateSimulatorState` of a simulated host or storage (admin only), answered as is.
    pub async fn simulate(&self, session: &str, uuid: &str, state: Value) -> Rsp {
        self.action(
            session,
            &format!("/simulators/{uuid}/actions"),
            "updateSimulatorState",
            state,
        )
        .await
    }

    /// [`Self::simulate`], which must succeed.
    pub async fn simulate_ok(&self, session: &str, uuid: &str, state: Value) -> Rsp {
        let rsp = self.simulate(session, uuid, state).await;
        assert_eq!(rsp.status, 200, "updateSimulatorState: {:?}", rsp.body);
        rsp
    }

    /// `GET path` (a query); the `name`s of the inventories, sorted.
    pub async fn query_names(&self, session: &str, path: &str) -> Vec<String> {
        let rsp = self.get(path, session).await;
        assert_eq!(rsp.status, 200, "GET {path}: {:?}", rsp.body);
        let mut names: Vec<String> = rsp.body["inventories"]
            .as_array()
            .unwrap_or_else(|| panic!("inventories in {:?}", rsp.body))
            .iter()
            .map(|i| i["name"].as_str().unwrap_or_default().to_string())
            .collect();
        names.sort();
        names
    }

    pub async fn create_zone(&self, session: &str, params: Value) -> Value {
        let done = self
            .call_async(
                Method::POST,
                "/zones",
                session,
                Some(json!({ "params": params })),
            )
            .await;
        assert_eq!(done.status, 200, "{:?}", done.body);
        done.body["inventory"].clone()
    }
}

/// What a webhook receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub headers: HashMap<String, String>,
    pub body: Value,
}

/// A real HTTP server on a loopback port that records every POST; it answers 500 to the first
/// `fail_first` requests.
pub struct WebhookReceiver {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    rx: tokio::sync::mpsc::UnboundedReceiver<Delivery>,
    server: actix_web::dev::ServerHandle,
}

impl WebhookReceiver {
    pub async fn start(fail_first: usize) -> WebhookReceiver {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let server = HttpServer::new(move || {
            let tx = tx.clone();
            let counter = counter.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let tx = tx.clone();
                let counter = counter.clone();
                async move {
                    let n = counter.fetch_add(1, Ordering::SeqCst);
                    if n < fail_first {
                        return HttpResponse::InternalServerError().finish();
                    }
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| {
                            (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                        })
                        .collect();
                    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    let _ = tx.send(Delivery { headers, body });
                    HttpResponse::Ok().finish()
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind a webhook receiver");
        let url = format!("http://{}/rest-webhook", server.addrs()[0]);
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        WebhookReceiver {
            url,
            hits,
            rx,
            server: handle,
        }
    }

    pub async fn next(&mut self, within: Duration) -> Option<Delivery> {
        tokio::time::timeout(within, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    pub async fn stop(self) {
        self.server.stop(false).await;
    }
}

/// ZStack's date format: `Jan 6, 2017 3:51:16 AM`.
pub fn is_zstack_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split(' ').collect();
    parts.len() == 5
        && parts[0].len() == 3
        && parts[1].ends_with(',')
        && parts[2].len() == 4
        && parts[3].split(':').count() == 3
        && (parts[4] == "AM" || parts[4] == "PM")
}

pub fn is_job_location(location: &str, base: &str) -> bool {
    location
        .strip_prefix(&format!("{base}/zstack/v1/api-jobs/"))
        .is_some_and(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}
