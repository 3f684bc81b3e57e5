//! Latency of the REST API end to end over loopback, against an in-process node on SQLite (or on
//! `BENCH_DATABASE_URL`): a sync `GET /zones`, and an async CreateZone from the 202 to its result
//! by polling and by webhook. Run with `cargo bench --bench api_latency`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

const ADMIN_PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let n = samples.len();
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)];
    let mean = samples.iter().sum::<Duration>() / n as u32;
    println!(
        "{what:<44} n={n:<5} mean={:>8.3} ms  p50={:>8.3} ms  p99={:>8.3} ms",
        mean.as_secs_f64() * 1e3,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
}

#[actix_web::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("zstack-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let db_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display()));
    let settings = zstack::Settings {
        port: 0,
        bind: "127.0.0.1".into(),
        db_url: db_url.clone(),
        ..zstack::Settings::default()
    };
    let node = zstack::start(&settings).await.expect("the node starts");
    let base = format!("http://127.0.0.1:{}/zstack/v1", node.port);
    let http = reqwest::Client::new();

    let login: Value = http
        .put(format!("{base}/accounts/login"))
        .body(
            json!({"logInByAccount": {"accountName": "admin", "password": ADMIN_PASSWORD_SHA512}})
                .to_string(),
        )
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("a session");
    let auth = format!(
        "OAuth {}",
        login["inventory"]["uuid"].as_str().expect("uuid")
    );

    // Webhook receiver: records when each job's result arrives.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let hook = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
            let tx = tx.clone();
            async move {
                let job = req
                    .headers()
                    .get("X-Job-UUID")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let _ = tx.send((job, Instant::now()));
                HttpResponse::Ok().finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind");
    let hook_url = format!("http://{}/hook", hook.addrs()[0]);
    actix_web::rt::spawn(hook.run());

    let create = |name: String, hooked: bool| {
        let mut req = http
            .post(format!("{base}/zones"))
            .header("Authorization", &auth)
            .body(json!({"params": {"name": name}}).to_string());
        if hooked {
            req = req.header("X-Web-Hook", &hook_url);
        }
        req.send()
    };

    for i in 0..100 {
        let r = create(format!("warm-{i}"), false).await.expect("create");
        assert_eq!(r.status(), 202);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut get = Vec::new();
    for _ in 0..2000 {
        let t0 = Instant::now();
        let r = http
            .get(format!("{base}/zones?limit=10"))
            .header("Authorization", &auth)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        r.bytes().await.expect("body");
        get.push(t0.elapsed());
    }

    let (mut accepted, mut polled, mut pushed) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..300 {
        let t0 = Instant::now();
        let r = create(format!("polled-{i}"), false).await.expect("create");
        assert_eq!(r.status(), 202);
        let body: Value = r.json().await.expect("json");
        accepted.push(t0.elapsed());
        let location = body["location"].as_str().expect("location").to_string();
        loop {
            let r = http.get(&location).send().await.expect("poll");
            if r.status() == 200 {
                break;
            }
            assert_eq!(r.status(), 202);
        }
        polled.push(t0.elapsed());
    }
    for i in 0..300 {
        let t0 = Instant::now();
        let r = create(format!("hooked-{i}"), true).await.expect("create");
        assert_eq!(r.status(), 202);
        let (_, at) = rx.recv().await.expect("a webhook call");
        pushed.push(at - t0);
    }

    println!(
        "database: {}",
        if db_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    report("GET /zones (sync, 200)", get);
    report("POST /zones → 202", accepted);
    report("POST /zones → 200 by polling", polled);
    report("POST /zones → webhook received", pushed);
    node.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
