//! The request path against the hardware: the node (release build, its own process, 2 HTTP
//! workers) and a bare actix-web server (its own process, 2 workers) that sends the very same
//! response bytes, measured side by side in one run by the same client: N keep-alive HTTP/1.1
//! connections over raw tokio sockets.
//!
//! `cargo bench --bench request_path` prints, on SQLite (or a fresh database beside
//! `BENCH_DATABASE_URL=postgres://user@host:port/db`):
//! - `GET /zones?limit=10` with a session and `GET /zones?limit=1000` (1,000 zones): requests/s
//!   of the node and of the bare server, and their ratio;
//! - async CreateZone end to end (202, then polled to 200 every millisecond) with 64 clients:
//!   jobs/s, p50, p99;
//! - the node's RSS idle, after the first 1,000 requests and after 1,000,000.
//!
//! Knobs: `BENCH_SECONDS` (per measurement, 5), `BENCH_CONNECTIONS` (32), `BENCH_CLIENT_THREADS`
//! (2), `BENCH_CREATE_CLIENTS` (64), `BENCH_DRIFT_REQUESTS` (1,000,000; 0 skips the drift run),
//! `BENCH_NODE_BIN` (another `zstack` binary to measure, e.g. an older build),
//! `BENCH_COMPARE_NODE_ARGS` (flags of a second node, e.g. `--api-notifications=false`: CreateZone
//! is then measured on both nodes in turn, twice each, and the second's figure given against the
//! first's).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;

use support::*;

/// Set in the environment of the bench's own child process: it then serves the bodies in this
/// file (a JSON object, path and query → body) as the bare server.
const BARE_ROLE: &str = "REQUEST_PATH_BARE_BODIES";
const ZONES: u64 = 1000;
static NEXT_ZONE: AtomicU64 = AtomicU64::new(0);

fn main() {
    if let Ok(bodies) = std::env::var(BARE_ROLE) {
        bare::serve(&bodies);
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(run());
}

async fn run() {
    let seconds = Duration::from_secs(env_num("BENCH_SECONDS", 5));
    let conns = env_num("BENCH_CONNECTIONS", 32) as usize;
    let threads = env_num("BENCH_CLIENT_THREADS", 2) as usize;
    let creators = env_num("BENCH_CREATE_CLIENTS", 64) as usize;
    let drift_total = env_num("BENCH_DRIFT_REQUESTS", 1_000_000);

    let db = BenchDb::new().await;
    let mut node = Server::node(&db.url);
    let idle_at_start = wait_idle(&node).await;

    let session = login(node.addr).await;
    let host = node.addr.to_string();
    // Seeding doubles as the warm-up: 1,000 creates, polled to their end.
    let seeded = load(
        node.addr,
        Work::Create {
            host: host.clone(),
            session: session.clone(),
        },
        creators,
        threads,
        Stop::Count(ZONES),
    );
    let idle_after_seed = wait_idle(&node).await;

    // The first 1,000 requests after seeding, to read the RSS the drift is measured from.
    let limit10 = "/zstack/v1/zones?limit=10".to_string();
    let limit1000 = "/zstack/v1/zones?limit=1000".to_string();
    let first = load(
        node.addr,
        Work::Get(get_request(&host, &limit10, &session)),
        conns,
        threads,
        Stop::Count(1000),
    );
    let rss_first = rss_kib(node.pid());
    let mut served = first.requests;

    // The bare server gets the node's bodies, byte for byte.
    let mut bodies = HashMap::new();
    for path in [&limit10, &limit1000] {
        let (status, body) = one_request(node.addr, &get_request(&host, path, &session)).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        bodies.insert(
            path.clone(),
            String::from_utf8(body).expect("a JSON body is UTF-8"),
        );
    }
    let mut bare = Server::bare(&bodies);

    let mut lines = Vec::new();
    for (what, path) in [
        ("GET /zones?limit=10 (session)", &limit10),
        ("GET /zones?limit=1000", &limit1000),
    ] {
        let req = get_request(&host, path, &session);
        let on_node = load(
            node.addr,
            Work::Get(req.clone()),
            conns,
            threads,
            Stop::After(seconds),
        );
        served += on_node.requests;
        let bare_req = get_request(&bare.addr.to_string(), path, &session);
        let on_bare = load(
            bare.addr,
            Work::Get(bare_req),
            conns,
            threads,
            Stop::After(seconds),
        );
        let ratio = on_node.rate() / on_bare.rate() * 100.0;
        let line = format!(
            "{what:<30} node {:>8.0} req/s (p50 {:>7.3} ms)   bare {:>8.0} req/s (p50 {:>7.3} ms)   ratio {ratio:>5.1}%",
            on_node.rate(),
            on_node.p(0.5),
            on_bare.rate(),
            on_bare.p(0.5),
        );
        println!("{line}");
        lines.push(line);
    }
    bare.stop();

    let created = load(
        node.addr,
        Work::Create {
            host: host.clone(),
            session: session.clone(),
        },
        creators,
        threads,
        Stop::After(seconds),
    );
    served += created.requests;
    let line = format!(
        "async CreateZone, {creators} clients      {:>8.0} jobs/s   p50 {:>7.3} ms   p99 {:>7.3} ms   ({:.1} requests/job)",
        created.rate(),
        created.p(0.5),
        created.p(0.99),
        created.requests as f64 / created.jobs as f64,
    );
    println!("{line}");
    lines.push(line);

    if let Ok(args) = std::env::var("BENCH_COMPARE_NODE_ARGS") {
        let args: Vec<String> = args.split_whitespace().map(String::from).collect();
        let other_db = BenchDb::new().await;
        let other = Server::node_with(&other_db.url, &args);
        wait_idle(&other).await;
        let other_session = login(other.addr).await;
        let other_host = other.addr.to_string();
        let mut rates = [Vec::new(), Vec::new()];
        for _ in 0..2 {
            for (i, (addr, host, session)) in [
                (node.addr, &host, &session),
                (other.addr, &other_host, &other_session),
            ]
            .into_iter()
            .enumerate()
            {
                let run = load(
                    addr,
                    Work::Create {
                        host: host.clone(),
                        session: session.clone(),
                    },
                    creators,
                    threads,
                    Stop::After(seconds),
                );
                rates[i].push(run.rate());
            }
        }
        let mean = |v: &Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
        let line = format!(
            "async CreateZone, in turn: node {:>8.0} jobs/s   node with [{}] {:>8.0} jobs/s   ratio {:>5.1}%",
            mean(&rates[0]),
            args.join(" "),
            mean(&rates[1]),
            mean(&rates[1]) / mean(&rates[0]) * 100.0,
        );
        println!("{line}");
        lines.push(line);
        let mut other = other;
        other.stop();
    }

    let mut drift = None;
    if drift_total > 0 {
        if served < drift_total {
            let rest = load(
                node.addr,
                Work::Get(get_request(&host, &limit10, &session)),
                conns,
                threads,
                Stop::Count(drift_total - served),
            );
            served += rest.requests;
        }
        drift = Some(rss_kib(node.pid()));
    }
    node.stop();

    println!();
    println!(
        "request_path: {}, {ZONES} zones, {conns} connections, {threads} client threads, {} s per measurement",
        db.kind(),
        seconds.as_secs()
    );
    for line in &lines {
        println!("{line}");
    }
    println!(
        "seeding: {ZONES} CreateZone jobs, {creators} clients: {:.0} jobs/s, p50 {:.3} ms",
        seeded.rate(),
        seeded.p(0.5)
    );
    println!(
        "idle RSS: {:.1} MB at start, {:.1} MB after seeding",
        mb(idle_at_start),
        mb(idle_after_seed)
    );
    match drift {
        Some(last) => println!(
            "RSS: {:.1} MB after the first 1,000 requests, {:.1} MB after {served} requests: {:+.1}%",
            mb(rss_first),
            mb(last),
            (last as f64 / rss_first as f64 - 1.0) * 100.0
        ),
        None => println!(
            "RSS after the first 1,000 requests: {:.1} MB",
            mb(rss_first)
        ),
    }
    db.drop().await;
}

impl Server {
    fn bare(bodies: &HashMap<String, String>) -> Self {
        let file = std::env::temp_dir().join(format!(
            "zstack-bench-bodies-{}.json",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::write(&file, serde_json::to_vec(bodies).expect("JSON")).expect("a temp file");
        let mut child = Command::new(std::env::current_exe().expect("this bench"))
            .env(BARE_ROLE, &file)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bare server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("its port");
        let _ = std::fs::remove_file(&file);
        let port: u16 = line.trim().parse().expect("a port");
        Server {
            child,
            addr: ([127, 0, 0, 1], port).into(),
        }
    }
}

mod bare {
    use std::collections::HashMap;
    use std::io::Write;

    use actix_web::web::Bytes;
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

    /// Serves each stored body at its path and query, as `application/json`.
    pub fn serve(bodies_file: &str) {
        let bodies: HashMap<String, String> =
            serde_json::from_slice(&std::fs::read(bodies_file).expect("the bodies")).expect("JSON");
        let bodies: HashMap<String, Bytes> = bodies
            .into_iter()
            .map(|(k, v)| (k, Bytes::from(v)))
            .collect();
        let bodies = web::Data::new(bodies);
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                App::new().app_data(bodies.clone()).default_service(web::to(
                    |req: HttpRequest, bodies: web::Data<HashMap<String, Bytes>>| async move {
                        let key = req
                            .uri()
                            .path_and_query()
                            .map(|p| p.as_str())
                            .unwrap_or_default();
                        match bodies.get(key) {
                            Some(body) => HttpResponse::Ok()
                                .content_type("application/json")
                                .body(body.clone()),
                            None => HttpResponse::NotFound().finish(),
                        }
                    },
                ))
            })
            .workers(super::WORKERS.parse().expect("workers"))
            .bind(("127.0.0.1", 0))
            .expect("bind");
            let port = server.addrs()[0].port();
            let mut out = std::io::stdout();
            writeln!(out, "{port}").expect("stdout");
            out.flush().expect("stdout");
            server.run().await.expect("the bare server runs");
        });
    }
}

/// What each connection does in a loop.
#[derive(Clone)]
enum Work {
    /// Sends this request, expecting 200.
    Get(Arc<Vec<u8>>),
    /// Creates a zone (202) and polls its job every millisecond to 200.
    Create { host: String, session: String },
}

#[derive(Clone, Copy)]
enum Stop {
    After(Duration),
    /// This many requests (for `Get`) or jobs (for `Create`) in all.
    Count(u64),
}

struct Outcome {
    /// HTTP requests sent.
    requests: u64,
    /// Units of work done: requests, or jobs.
    jobs: u64,
    elapsed: Duration,
    /// The time each unit of work took, sorted.
    latencies: Vec<Duration>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.jobs as f64 / self.elapsed.as_secs_f64()
    }

    /// Percentile `q` of the latencies, in ms.
    fn p(&self, q: f64) -> f64 {
        let n = self.latencies.len();
        if n == 0 {
            return f64::NAN;
        }
        self.latencies[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1e3
    }
}

/// Runs `work` on `conns` connections spread over `threads` client threads until `stop`.
fn load(addr: SocketAddr, work: Work, conns: usize, threads: usize, stop: Stop) -> Outcome {
    let threads = threads.clamp(1, conns.max(1));
    let left = Arc::new(AtomicU64::new(match stop {
        Stop::Count(n) => n,
        Stop::After(_) => u64::MAX,
    }));
    let requests = Arc::new(AtomicU64::new(0));
    let ready = Arc::new(std::sync::Barrier::new(threads + 1));
    let started = Arc::new(std::sync::OnceLock::<Instant>::new());
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (work, left, requests, ready, started) = (
                work.clone(),
                left.clone(),
                requests.clone(),
                ready.clone(),
                started.clone(),
            );
            let mine = conns / threads + usize::from(t < conns % threads);
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                rt.block_on(async move {
                    let mut opened = Vec::with_capacity(mine);
                    for _ in 0..mine {
                        opened.push(Conn::open(addr).await);
                    }
                    ready.wait();
                    let start = *started.wait();
                    let deadline = match stop {
                        Stop::After(d) => Some(start + d),
                        Stop::Count(_) => None,
                    };
                    let tasks: Vec<_> = opened
                        .into_iter()
                        .map(|conn| {
                            let (work, left, requests) =
                                (work.clone(), left.clone(), requests.clone());
                            tokio::spawn(async move {
                                drive(conn, work, left, requests, deadline).await
                            })
                        })
                        .collect();
                    let mut latencies = Vec::new();
                    for task in tasks {
                        latencies.extend(task.await.expect("a client task"));
                    }
                    latencies
                })
            })
        })
        .collect();
    ready.wait();
    let _ = started.set(Instant::now());
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(h.join().expect("a client thread"));
    }
    let elapsed = started.get().expect("started").elapsed();
    latencies.sort();
    Outcome {
        requests: requests.load(Ordering::Relaxed),
        jobs: latencies.len() as u64,
        elapsed,
        latencies,
    }
}

/// Takes one unit of work from `left`; false when none is left.
fn take(left: &AtomicU64) -> bool {
    left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
}

async fn drive(
    mut conn: Conn,
    work: Work,
    left: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
    deadline: Option<Instant>,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut sent = 0u64;
    let mut body = Vec::new();
    while deadline.is_none_or(|d| Instant::now() < d) && take(&left) {
        let t0 = Instant::now();
        match &work {
            Work::Get(req) => {
                let status = conn.exchange(req, None).await;
                assert_eq!(status, 200);
                sent += 1;
            }
            Work::Create { host, session } => {
                let job = NEXT_ZONE.fetch_add(1, Ordering::Relaxed);
                let params = format!(r#"{{"params":{{"name":"bench-{job}"}}}}"#);
                let req = body_request("POST", host, "/zstack/v1/zones", Some(session), &params);
                let status = conn.exchange(&req, Some(&mut body)).await;
                sent += 1;
                assert_eq!(status, 202, "{}", String::from_utf8_lossy(&body));
                let accepted: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
                let location = accepted["location"].as_str().expect("a location");
                let path = &location[location.find("/zstack/").expect("a job path")..];
                let poll = get_request(host, path, session);
                loop {
                    let status = conn.exchange(&poll, Some(&mut body)).await;
                    sent += 1;
                    match status {
                        200 => break,
                        202 => tokio::time::sleep(Duration::from_millis(1)).await,
                        other => panic!("job: {other} {}", String::from_utf8_lossy(&body)),
                    }
                }
            }
        }
        latencies.push(t0.elapsed());
    }
    requests.fetch_add(sent, Ordering::Relaxed);
    latencies
}
