//! Several management nodes as real processes of the `zstack` binary, on the real RabbitMQ and one
//! PostgreSQL database. The tests here run one at a time (they restart the broker, kill nodes and
//! load both cores); `scripts/test.sh` runs them once, not again in its PostgreSQL pass.

mod any_node;
mod broker;
mod database;
mod deploy;
mod failover;
mod gc;
mod longjob;
mod membership;
mod placement;
mod progress;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use zstack_kernel::node_ring::HashRing;

use crate::common::{TestDb, TestNode, amqp_url};

/// Held by each test for its whole run.
pub static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub const HEARTBEAT_SECS: u64 = 1;
pub const DEAD_AFTER_SECS: u64 = 3;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One node process and a client for it.
pub struct NodeProc {
    pub uuid: String,
    pub port: u16,
    pub api: TestNode,
    args: Vec<String>,
    child: Option<Child>,
}

impl NodeProc {
    fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_zstack"))
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        self.child = Some(child);
    }

    /// SIGKILL: no leave, no cleanup, as a crash or a power cut.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for the exit (without blocking the test's runtime, which may be relaying
    /// the node's traffic).
    pub async fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..300 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("node {} did not stop on SIGTERM", self.uuid);
    }

    /// Waits until the node answers HTTP.
    pub async fn wait_up(&self) {
        for _ in 0..400 {
            if let Ok(r) = self
                .api
                .client
                .put(self.api.url("/management-nodes/actions"))
                .body(r#"{"getVersion":{}}"#)
                .send()
                .await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node {} on port {} did not come up", self.uuid, self.port);
    }

    /// The uuids of the management nodes this node lists.
    pub async fn listed_nodes(&self, session: &str) -> Vec<String> {
        let rsp = self.api.get("/management-nodes", session).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        let mut uuids: Vec<String> = rsp.body["inventories"]
            .as_array()
            .expect("inventories")
            .iter()
            .map(|n| n["uuid"].as_str().expect("a uuid").to_string())
            .collect();
        uuids.sort();
        uuids
    }

    /// A Prometheus sample of this node's `/metrics`, 0 when absent.
    pub async fn metric(&self, sample: &str) -> f64 {
        let text = self
            .api
            .client
            .get(format!("{}/metrics", self.api.base))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.strip_prefix(' '))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Per-node command-line additions, by node index.
pub type ExtraArgs<'a> = &'a dyn Fn(usize) -> Vec<String>;

pub struct TestCluster {
    pub nodes: Vec<NodeProc>,
    pub db: TestDb,
    pub amqp: String,
}

impl TestCluster {
    /// Starts `n` nodes on one fresh PostgreSQL database and the broker, and waits until each
    /// lists all of them. `None`: the services are missing and the test is skipped (never under
    /// `CI=true`).
    pub async fn start(n: usize, extra: ExtraArgs<'_>) -> Option<TestCluster> {
        Self::start_with(n, extra, &|_, url| url.to_string()).await
    }

    /// As [`TestCluster::start`], with node `i` reaching the database at `db_url(i, url)`.
    pub async fn start_with(
        n: usize,
        extra: ExtraArgs<'_>,
        db_url: &dyn Fn(usize, &str) -> String,
    ) -> Option<TestCluster> {
        let amqp = amqp_url()?;
        let db = TestDb::postgres().await?;
        let mut cluster = TestCluster {
            nodes: Vec::new(),
            db,
            amqp,
        };
        for i in 0..n {
            let node = cluster.node(&db_url(i, &cluster.db.url), extra(i));
            cluster.nodes.push(node);
        }
        // The first node creates the schema; the others start once it is there.
        cluster.nodes[0].spawn();
        cluster.nodes[0].wait_up().await;
        for node in &mut cluster.nodes[1..] {
            node.spawn();
        }
        for node in &cluster.nodes[1..] {
            node.wait_up().await;
        }
        cluster.wait_until_all_see(n).await;
        Some(cluster)
    }

    fn node(&self, db_url: &str, extra: Vec<String>) -> NodeProc {
        let port = free_port();
        let uuid = uuid::Uuid::new_v4().simple().to_string();
        let mut args: Vec<String> = [
            "serve",
            "--bind",
            "127.0.0.1",
            "--http-workers",
            "1",
            "--port",
            &port.to_string(),
            "--node-uuid",
            &uuid,
            "--db-url",
            db_url,
            "--amqp-url",
            &self.amqp,
            "--heartbeat-interval",
            &HEARTBEAT_SECS.to_string(),
            "--node-dead-after",
            &DEAD_AFTER_SECS.to_string(),
            "--webhook-max-backoff-ms",
            "200",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra);
        NodeProc {
            uuid,
            port,
            api: TestNode {
                node: None,
                base: format!("http://127.0.0.1:{port}"),
                // Tests here block for seconds (restarting the broker); a connection idle that
                // long is not reused, so no request races the server closing it.
                client: reqwest::Client::builder()
                    .pool_idle_timeout(Duration::from_secs(2))
                    .build()
                    .expect("an HTTP client"),
                db: self.db.shared(),
            },
            args,
            child: None,
        }
    }

    /// Starts node `i` again (same uuid, port and flags) after it was killed or stopped.
    pub async fn restart(&mut self, i: usize) {
        self.nodes[i].spawn();
        self.nodes[i].wait_up().await;
    }

    pub fn uuids(&self) -> Vec<String> {
        let mut uuids: Vec<String> = self.nodes.iter().map(|n| n.uuid.clone()).collect();
        uuids.sort();
        uuids
    }

    /// Waits until every running node lists exactly the running nodes, `n` of them.
    pub async fn wait_until_all_see(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut agreed = true;
            for node in self.nodes.iter().filter(|p| p.child.is_some()) {
                if node.metric("zstack_cluster_members").await as usize != n {
                    agreed = false;
                }
            }
            if agreed {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the nodes did not agree on {n} members"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The node (index) that owns `uuid` when the nodes `alive` are the live ones.
    pub fn owner_among(&self, uuid: &str, alive: &[usize]) -> usize {
        let ring = HashRing::new(alive.iter().map(|&i| self.nodes[i].uuid.as_str()));
        let owner = ring.owner(uuid).expect("an owner");
        self.nodes
            .iter()
            .position(|n| n.uuid == owner)
            .expect("a node")
    }

    pub async fn stop(mut self) {
        for node in &mut self.nodes {
            node.terminate().await;
        }
        self.db.drop_database().await;
    }
}

/// Creates a zone through node `via`; returns its uuid.
pub async fn create_zone(via: &NodeProc, session: &str, name: &str) -> String {
    let inv = via.api.create_zone(session, json!({ "name": name })).await;
    inv["uuid"].as_str().expect("a zone uuid").to_string()
}

/// `PUT /zones/{uuid}` (UpdateZone), answered as is (202 or an error).
pub async fn update_zone(
    via: &NodeProc,
    session: &str,
    zone: &str,
    description: &str,
    headers: &[(&str, &str)],
) -> crate::common::Rsp {
    via.api
        .send(
            Method::PUT,
            &format!("/zones/{zone}/actions"),
            Some(session),
            Some(json!({"updateZone": {"description": description}})),
            headers,
        )
        .await
}

/// UpdateZone through node `via`, waited for: the finished job's response.
pub async fn update_zone_done(
    via: &NodeProc,
    session: &str,
    zone: &str,
    description: &str,
) -> crate::common::Rsp {
    via.api
        .call_async(
            Method::PUT,
            &format!("/zones/{zone}/actions"),
            session,
            Some(json!({"updateZone": {"description": description}})),
        )
        .await
}

pub fn location(rsp: &crate::common::Rsp) -> String {
    assert_eq!(rsp.status, 202, "{:?}", rsp.body);
    rsp.body["location"]
        .as_str()
        .expect("a location")
        .to_string()
}

/// The job's path, to poll it on any node.
pub fn job_path(location: &str) -> String {
    let (_, job) = location.rsplit_once("/api-jobs/").expect("a job location");
    format!("/api-jobs/{job}")
}

/// Polls a job on `via` with `session` until it is no longer 202, for up to `within`.
pub async fn wait_job_on(
    via: &NodeProc,
    session: &str,
    path: &str,
    within: Duration,
) -> crate::common::Rsp {
    let deadline = Instant::now() + within;
    loop {
        let rsp = via
            .api
            .send(Method::GET, path, Some(session), None, &[])
            .await;
        if rsp.status != 202 {
            return rsp;
        }
        assert!(
            Instant::now() < deadline,
            "job {path} still running after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}
