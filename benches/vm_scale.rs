//! VMs at scale, over REST against the release node in its own process (SQLite, or a fresh
//! PostgreSQL database beside `BENCH_DATABASE_URL`):
//! - a data center of `BENCH_VM_HOSTS` (1,000) simulator hosts with zero delay, 100 per cluster,
//!   each with room for 32 VMs of 1 CPU and 1 GiB;
//! - `BENCH_VMS` (10,000) CreateVmInstance jobs submitted at once over `BENCH_VM_CLIENTS` (64)
//!   connections, each with `X-Web-Hook` to a receiver in this bench, which notes when each job
//!   ends: jobs/s from the first submit to the last end, p50 and p99 submit-to-done, how many
//!   succeeded, failed or never ended, whether any host is over-committed (its available CPU or
//!   memory below zero, or its running VMs' CPUs and memory above its total), and the node's peak
//!   RSS (VmHWM);
//! - then more VMs up to `BENCH_QUERY_VMS` (25,000; 0 skips), and `GET /vm-instances?limit=100`
//!   (with each VM's vmNics and allVolumes) `BENCH_QUERY_RUNS` (100) times: p50 and p99;
//! - with `BENCH_AMQP_URL` (and PostgreSQL): the node joins that broker, two more nodes that run
//!   only the zone service join it, and the same page is read through one of them, so it crosses
//!   the bus.
//!
//! `cargo bench --bench vm_scale`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use support::*;

const GB: i64 = 1 << 30;
const HOSTS_PER_CLUSTER: u64 = 100;

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, run());
}

/// A client of the node: one connection per call site, the session on every request.
#[derive(Clone)]
struct Api {
    addr: SocketAddr,
    session: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let host = self.addr.to_string();
        let req = match body {
            Some(body) => body_request(method, &host, path, Some(&self.session), &body.to_string()),
            None => get_request(&host, path, &self.session).to_vec(),
        };
        let (status, body) = one_request(self.addr, &req).await;
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// An async API, polled to its end; its reply.
    async fn run(&self, method: &str, path: &str, body: Value) -> Value {
        let (status, accepted) = self.call(method, path, Some(body)).await;
        assert_eq!(status, 202, "{path}: {accepted}");
        let location = accepted["location"].as_str().unwrap();
        let job = &location[location.find("/zstack/").unwrap()..];
        loop {
            let (status, reply) = self.call("GET", job, None).await;
            match status {
                202 => tokio::time::sleep(Duration::from_millis(2)).await,
                200 => return reply,
                _ => panic!("{path}: {status} {reply}"),
            }
        }
    }

    async fn create(&self, path: &str, params: Value) -> String {
        let reply = self.run("POST", path, json!({ "params": params })).await;
        reply["inventory"]["uuid"].as_str().unwrap().to_string()
    }
}

struct Dc {
    offering: String,
    image: String,
    l3: String,
}

async fn data_center(api: &Api, hosts: u64) -> Dc {
    let zone = api.create("/zstack/v1/zones", json!({"name": "z"})).await;
    let ps = api
        .create(
            "/zstack/v1/primary-storage/local-storage",
            json!({"name": "ps", "url": "/ps", "zoneUuid": zone, "totalCapacity": 1i64 << 60}),
        )
        .await;
    let bs = api
        .create(
            "/zstack/v1/backup-storage/image-store",
            json!({"name": "bs", "url": "/bs", "hostname": "10.0.0.2", "username": "root",
                   "password": "x", "totalCapacity": 1000 * GB}),
        )
        .await;
    api.run(
        "POST",
        &format!("/zstack/v1/zones/{zone}/backup-storage/{bs}"),
        json!({"params": {}}),
    )
    .await;
    let image = api
        .create(
            "/zstack/v1/images",
            json!({"name": "img", "url": "http://x/img.qcow2#size=104857600", "format": "qcow2",
                   "backupStorageUuids": [bs]}),
        )
        .await;
    let l2 = api
        .create(
            "/zstack/v1/l2-networks/no-vlan",
            json!({"name": "l2", "zoneUuid": zone, "physicalInterface": "eth0"}),
        )
        .await;
    let l3 = api
        .create(
            "/zstack/v1/l3-networks",
            json!({"name": "l3", "l2NetworkUuid": l2}),
        )
        .await;
    api.run(
        "POST",
        &format!("/zstack/v1/l3-networks/{l3}/ip-ranges"),
        json!({"params": {"name": "r", "startIp": "10.0.0.2", "endIp": "10.0.255.254",
                          "netmask": "255.255.0.0", "gateway": "10.0.0.1"}}),
    )
    .await;
    let offering = api
        .create(
            "/zstack/v1/instance-offerings",
            json!({"name": "small", "cpuNum": 1, "memorySize": GB}),
        )
        .await;
    let clusters = hosts.div_ceil(HOSTS_PER_CLUSTER);
    let next = Arc::new(AtomicU64::new(0));
    for c in 0..clusters {
        let cluster = api
            .create(
                "/zstack/v1/clusters",
                json!({"name": format!("c{c}"), "zoneUuid": zone, "hypervisorType": "Simulator"}),
            )
            .await;
        api.run(
            "POST",
            &format!("/zstack/v1/clusters/{cluster}/primary-storage/{ps}"),
            json!({"params": {}}),
        )
        .await;
        api.run(
            "POST",
            &format!("/zstack/v1/l2-networks/{l2}/clusters/{cluster}"),
            json!({"params": {}}),
        )
        .await;
        let in_cluster = HOSTS_PER_CLUSTER.min(hosts - c * HOSTS_PER_CLUSTER);
        let mut adders = Vec::new();
        for _ in 0..16 {
            let (api, next, cluster) = (api.clone(), next.clone(), cluster.clone());
            let end = c * HOSTS_PER_CLUSTER + in_cluster;
            adders.push(tokio::task::spawn_local(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end {
                        next.fetch_sub(1, Ordering::Relaxed);
                        break;
                    }
                    api.create(
                        "/zstack/v1/hosts/simulators",
                        json!({"name": format!("h{i}"),
                               "managementIp": format!("172.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
                               "clusterUuid": cluster, "cpuCapacity": 32,
                               "memoryCapacity": 32 * GB}),
                    )
                    .await;
                }
            }));
        }
        for a in adders {
            a.await.unwrap();
        }
    }
    Dc {
        offering,
        image,
        l3,
    }
}

/// The body of the first failed job's webhook, to say why.
static FIRST_FAILURE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// When each job ended, and whether it succeeded, as the node's webhooks say.
type Ended = Arc<Mutex<HashMap<String, (Instant, bool)>>>;

/// A webhook receiver: keep-alive HTTP/1.1, 200 to every POST, the job's end noted.
async fn receiver() -> (SocketAddr, Ended) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ended: Ended = Arc::default();
    let sink = ended.clone();
    tokio::task::spawn_local(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let sink = sink.clone();
            tokio::task::spawn_local(async move {
                let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
                loop {
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        let mut chunk = [0u8; 8192];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let header = |name: &str| {
                        head.lines().find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                        })
                    };
                    let length: usize = header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + length {
                        let mut chunk = [0u8; 8192];
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    if let Some(job) = header("x-job-uuid") {
                        let ok = header("x-job-success").as_deref() == Some("true");
                        if !ok && FIRST_FAILURE.get().is_none() {
                            let body = String::from_utf8_lossy(&buf[head_end..head_end + length]);
                            let _ = FIRST_FAILURE.set(body.into_owned());
                        }
                        sink.lock()
                            .unwrap()
                            .entry(job)
                            .or_insert((Instant::now(), ok));
                    }
                    buf.drain(..head_end + length);
                    if stream
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (addr, ended)
}

struct Burst {
    submitted: HashMap<String, Instant>,
    first: Instant,
    refused: u64,
}

/// Submits `count` CreateVm over `clients` connections as fast as they go.
async fn submit(
    api: &Api,
    dc: &Dc,
    hook: SocketAddr,
    from: u64,
    count: u64,
    clients: u64,
) -> Burst {
    let next = Arc::new(AtomicU64::new(from));
    let end = from + count;
    let submitted: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let refused = Arc::new(AtomicU64::new(0));
    let first = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (api, next, submitted, refused) = (
            api.clone(),
            next.clone(),
            submitted.clone(),
            refused.clone(),
        );
        let (offering, image, l3) = (dc.offering.clone(), dc.image.clone(), dc.l3.clone());
        tasks.push(tokio::task::spawn_local(async move {
            let mut conn = Conn::open(api.addr).await;
            let host = api.addr.to_string();
            let mut body = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let params = json!({"params": {"name": format!("vm-{i}"),
                    "instanceOfferingUuid": offering, "imageUuid": image,
                    "l3NetworkUuids": [l3]}})
                .to_string();
                let req = format!(
                    "POST /zstack/v1/vm-instances HTTP/1.1\r\nHost: {host}\r\nAuthorization: OAuth {}\r\nX-Web-Hook: http://{hook}/hook\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{params}",
                    api.session,
                    params.len()
                );
                let at = Instant::now();
                let status = conn.exchange(req.as_bytes(), Some(&mut body)).await;
                if status != 202 {
                    refused.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let v: Value = serde_json::from_slice(&body).unwrap();
                let location = v["location"].as_str().unwrap();
                let job = location.rsplit('/').next().unwrap().to_string();
                submitted.lock().unwrap().insert(job, at);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let submitted = std::mem::take(&mut *submitted.lock().unwrap());
    Burst {
        submitted,
        first,
        refused: refused.load(Ordering::Relaxed),
    }
}

struct BurstResult {
    ok: u64,
    failed: u64,
    stuck: u64,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

/// Waits for every submitted job's webhook (at most `patience` without progress).
async fn settle(burst: &Burst, ended: &Ended, patience: Duration) -> BurstResult {
    let mut seen = 0;
    let mut last_progress = Instant::now();
    loop {
        let now_seen = {
            let ended = ended.lock().unwrap();
            burst
                .submitted
                .keys()
                .filter(|k| ended.contains_key(*k))
                .count()
        };
        if now_seen == burst.submitted.len() {
            break;
        }
        if now_seen > seen {
            seen = now_seen;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > patience {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ended = ended.lock().unwrap();
    let (mut ok, mut failed, mut stuck) = (0, 0, 0);
    let mut last = burst.first;
    let mut latencies_ms = Vec::new();
    for (job, at) in &burst.submitted {
        match ended.get(job) {
            Some((done, success)) => {
                if *success {
                    ok += 1;
                } else {
                    failed += 1;
                }
                last = last.max(*done);
                latencies_ms.push(done.duration_since(*at).as_secs_f64() * 1000.0);
            }
            None => stuck += 1,
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    BurstResult {
        ok,
        failed,
        stuck,
        elapsed: last.duration_since(burst.first),
        latencies_ms,
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// Hosts whose capacity is over-committed: available below zero, or the running VMs on them
/// asking for more than they have.
async fn over_committed(api: &Api) -> Vec<String> {
    let mut totals: HashMap<String, (i64, i64)> = HashMap::new();
    let mut bad = Vec::new();
    let mut start = 0;
    loop {
        let (_, page) = api
            .call(
                "GET",
                &format!("/zstack/v1/hosts?limit=1000&start={start}&fields=uuid,totalCpuCapacity,availableCpuCapacity,totalMemoryCapacity,availableMemoryCapacity"),
                None,
            )
            .await;
        let rows = page["inventories"].as_array().cloned().unwrap_or_default();
        for h in &rows {
            let uuid = h["uuid"].as_str().unwrap().to_string();
            if h["availableCpuCapacity"].as_i64() < Some(0)
                || h["availableMemoryCapacity"].as_i64() < Some(0)
            {
                bad.push(uuid.clone());
            }
            totals.insert(
                uuid,
                (
                    h["totalCpuCapacity"].as_i64().unwrap_or(0),
                    h["totalMemoryCapacity"].as_i64().unwrap_or(0),
                ),
            );
        }
        if rows.len() < 1000 {
            break;
        }
        start += 1000;
    }
    let mut used: HashMap<String, (i64, i64)> = HashMap::new();
    let mut start = 0;
    loop {
        let (_, page) = api
            .call(
                "GET",
                &format!("/zstack/v1/vm-instances?q=state=Running&limit=1000&start={start}&fields=hostUuid,cpuNum,memorySize"),
                None,
            )
            .await;
        let rows = page["inventories"].as_array().cloned().unwrap_or_default();
        for vm in &rows {
            let entry = used
                .entry(vm["hostUuid"].as_str().unwrap_or_default().to_string())
                .or_default();
            entry.0 += vm["cpuNum"].as_i64().unwrap_or(0);
            entry.1 += vm["memorySize"].as_i64().unwrap_or(0);
        }
        if rows.len() < 1000 {
            break;
        }
        start += 1000;
    }
    for (host, (cpu, mem)) in used {
        let (total_cpu, total_mem) = totals.get(&host).copied().unwrap_or((0, 0));
        if cpu > total_cpu || mem > total_mem {
            bad.push(host);
        }
    }
    bad.sort();
    bad.dedup();
    bad
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// `runs` reads of the first page; (p50, p99) in ms and the body's size.
async fn page_latency(addr: SocketAddr, session: &str, runs: u64) -> (f64, f64, usize) {
    let req = get_request(
        &addr.to_string(),
        "/zstack/v1/vm-instances?limit=100",
        session,
    );
    let mut conn = Conn::open(addr).await;
    let mut body = Vec::new();
    let mut times = Vec::new();
    for _ in 0..runs {
        let at = Instant::now();
        let status = conn.exchange(&req, Some(&mut body)).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        times.push(at.elapsed().as_secs_f64() * 1000.0);
    }
    let page: Value = serde_json::from_slice(&body).unwrap();
    let rows = page["inventories"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    assert!(rows[0]["vmNics"].as_array().is_some_and(|n| !n.is_empty()));
    assert!(
        rows[0]["allVolumes"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
    );
    times.sort_by(f64::total_cmp);
    (
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        body.len(),
    )
}

async fn run() {
    let hosts = env_num("BENCH_VM_HOSTS", 1000);
    let vms = env_num("BENCH_VMS", 10_000);
    let clients = env_num("BENCH_VM_CLIENTS", 64);
    let query_vms = env_num("BENCH_QUERY_VMS", 25_000);
    let query_runs = env_num("BENCH_QUERY_RUNS", 100);
    let amqp = std::env::var("BENCH_AMQP_URL").ok();

    let db = BenchDb::new().await;
    let amqp_args: Vec<String> = match &amqp {
        Some(url) if db.kind() == "PostgreSQL" => vec!["--amqp-url".into(), url.clone()],
        Some(_) => panic!("BENCH_AMQP_URL needs BENCH_DATABASE_URL=postgres://..."),
        None => Vec::new(),
    };
    let mut node = Server::node_with(&db.url, &amqp_args);
    let session = login(node.addr).await;
    let api = Api {
        addr: node.addr,
        session: session.clone(),
    };
    println!(
        "vm_scale on {}: {hosts} hosts, {vms} VMs, {clients} clients",
        db.kind()
    );
    let seeded = Instant::now();
    let dc = data_center(&api, hosts).await;
    println!(
        "data center seeded in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let (hook, ended) = receiver().await;
    let burst = submit(&api, &dc, hook, 0, vms, clients).await;
    let result = settle(&burst, &ended, Duration::from_secs(120)).await;
    let peak = peak_rss_kib(node.pid());
    let bad = over_committed(&api).await;
    println!(
        "CreateVm x{vms}: {} ok, {} failed, {} refused at submit, {} never ended; {:.0} jobs/s; submit-to-done p50 {:.0} ms, p99 {:.0} ms; over-committed hosts: {}; node peak RSS {:.1} MB",
        result.ok,
        result.failed,
        burst.refused,
        result.stuck,
        (result.ok + result.failed) as f64 / result.elapsed.as_secs_f64(),
        percentile(&result.latencies_ms, 0.5),
        percentile(&result.latencies_ms, 0.99),
        bad.len(),
        peak as f64 / 1024.0
    );
    if let Some(why) = FIRST_FAILURE.get() {
        println!("first failure: {why}");
    }

    if query_vms > 0 {
        let mut have = result.ok;
        let mut from = vms;
        while have < query_vms {
            let burst = submit(&api, &dc, hook, from, query_vms - have, clients).await;
            let more = settle(&burst, &ended, Duration::from_secs(120)).await;
            from += query_vms - have;
            if more.ok == 0 {
                break;
            }
            have += more.ok;
        }
        let (p50, p99, bytes) = page_latency(node.addr, &session, query_runs).await;
        println!(
            "QueryVmInstance limit=100 over {have} VMs (vmNics, allVolumes): p50 {p50:.1} ms, p99 {p99:.1} ms, {bytes} bytes"
        );
        if amqp.is_some() {
            let mut others: Vec<Server> = (0..2)
                .map(|_| {
                    let mut args = amqp_args.clone();
                    args.extend(["--services".to_string(), "zone".to_string()]);
                    Server::node_with(&db.url, &args)
                })
                .collect();
            let via = others[0].addr;
            // The zone-only node forwards the query to the node that runs the VM service.
            let remote_session = login(via).await;
            let (p50, p99, _) = page_latency(via, &remote_session, query_runs).await;
            println!(
                "QueryVmInstance limit=100 through the AMQP bus (3 nodes, asked of a zone-only node): p50 {p50:.1} ms, p99 {p99:.1} ms"
            );
            for o in &mut others {
                o.stop();
            }
        }
    }
    node.stop();
    db.drop().await;
}
