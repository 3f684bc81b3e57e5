//! Cross-resource query latency over a data center of 10,000 simulator hosts in 100 clusters
//! (10 zones), built through the REST API. Run with `cargo bench --bench query_scale`, on SQLite
//! in a temp directory or on `BENCH_DATABASE_URL=postgres://...` (an empty database).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

const ADMIN_PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
const ZONES: usize = 10;
const CLUSTERS_PER_ZONE: usize = 10;
const HOSTS_PER_CLUSTER: usize = 100;
const RUNS: usize = 200;

fn report(what: &str, mut samples: Vec<Duration>, rows: usize) {
    samples.sort();
    let n = samples.len();
    let pct = |p: f64| samples[((n as f64 * p) as usize).min(n - 1)];
    let mean = samples.iter().sum::<Duration>() / n as u32;
    println!(
        "{what:<62} rows={rows:<5} mean={:>7.2} ms  p50={:>7.2} ms  p99={:>7.2} ms",
        mean.as_secs_f64() * 1e3,
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
}

struct Api {
    http: reqwest::Client,
    base: String,
    auth: String,
}

impl Api {
    /// POSTs a create and polls it to its inventory.
    async fn create(&self, path: &str, params: Value) -> Value {
        let accepted: Value = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .body(json!({ "params": params }).to_string())
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("a location");
        let location = accepted["location"]
            .as_str()
            .expect("a location")
            .to_string();
        loop {
            let r = self.http.get(&location).send().await.expect("poll");
            if r.status() == 200 {
                let done: Value = r.json().await.expect("a result");
                return done["inventory"].clone();
            }
            assert_eq!(r.status(), 202, "{path} failed");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn query(&self, path: &str) -> (Duration, usize) {
        let t0 = Instant::now();
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .send()
            .await
            .expect("query");
        assert_eq!(r.status(), 200, "{path}");
        let body: Value = r.json().await.expect("json");
        let rows = body["inventories"]
            .as_array()
            .map(Vec::len)
            .or(body["total"].as_u64().map(|t| t as usize))
            .unwrap_or(0);
        (t0.elapsed(), rows)
    }
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
        http_workers: 2,
        ..zstack::Settings::default()
    };
    let node = zstack::start(&settings).await.expect("the node starts");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}/zstack/v1", node.port);
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
    let api = Api {
        http,
        base,
        auth: format!(
            "OAuth {}",
            login["inventory"]["uuid"].as_str().expect("uuid")
        ),
    };

    let built = Instant::now();
    let mut clusters = Vec::new();
    for z in 0..ZONES {
        let zone = api
            .create("/zones", json!({"name": format!("zone-{z}")}))
            .await;
        for c in 0..CLUSTERS_PER_ZONE {
            let cluster = api
                .create(
                    "/clusters",
                    json!({"name": format!("cluster-{z}-{c}"), "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
                )
                .await;
            clusters.push((
                z * CLUSTERS_PER_ZONE + c,
                cluster["uuid"].as_str().expect("uuid").to_string(),
            ));
        }
    }
    let hosts: Vec<(usize, usize, String)> = clusters
        .iter()
        .flat_map(|(n, uuid)| (0..HOSTS_PER_CLUSTER).map(move |h| (*n, h, uuid.clone())))
        .collect();
    // Sixteen adds in flight: the node queues them per resource and runs them in parallel.
    futures_util::stream::iter(hosts)
        .map(|(n, h, cluster)| {
            let api = &api;
            async move {
                api.create(
                    "/hosts/simulators",
                    json!({
                        "name": format!("host-{n}-{h}"), "clusterUuid": cluster,
                        "managementIp": format!("10.{}.{}.{}", n / 250, n % 250, h + 1),
                        "cpuCapacity": 32, "memoryCapacity": 128i64 << 30,
                    }),
                )
                .await
            }
        })
        .buffer_unordered(16)
        .for_each(|_| async {})
        .await;
    let total = api.query("/hosts?count=true").await.1;
    assert_eq!(total, ZONES * CLUSTERS_PER_ZONE * HOSTS_PER_CLUSTER);
    println!(
        "database: {}; built {ZONES} zones, {} clusters, {total} hosts through REST in {:.1} s",
        if db_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        clusters.len(),
        built.elapsed().as_secs_f64()
    );

    let queries = [
        (
            "two levels, host → cluster → zone (1000 hosts)",
            "/hosts?q=cluster.zone.name=zone-3&limit=1000".to_string(),
        ),
        (
            "two levels, host → cluster → zone, count only",
            "/hosts?q=cluster.zone.name=zone-3&count=true".to_string(),
        ),
        (
            "two levels, zone → cluster → host (one host's zone)",
            "/zones?q=cluster.host.managementIp=10.0.37.5".to_string(),
        ),
        (
            "two levels, cluster → zone → host, by name",
            "/clusters?q=zone.host.name=host-42-7".to_string(),
        ),
        (
            "one level, host → cluster (100 hosts)",
            "/hosts?q=cluster.name=cluster-4-2".to_string(),
        ),
    ];
    for (what, path) in queries {
        let mut samples = Vec::with_capacity(RUNS);
        let mut rows = 0;
        for _ in 0..RUNS {
            let (took, n) = api.query(&path).await;
            samples.push(took);
            rows = n;
        }
        report(what, samples, rows);
    }
    node.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
