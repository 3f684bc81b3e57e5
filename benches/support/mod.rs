//! What the benches share: the node as a process on a fresh database, a session, raw
//! keep-alive HTTP/1.1 connections, and the RSS of a process.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const ADMIN_PASSWORD_SHA512: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
pub const WORKERS: &str = "2";

pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The RSS of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// The node's RSS once it has settled (jobs ended, nothing in flight).
pub async fn wait_idle(node: &Server) -> u64 {
    tokio::time::sleep(Duration::from_secs(2)).await;
    rss_kib(node.pid())
}

/// Where the node keeps its data: a temp SQLite file, or a fresh PostgreSQL database.
pub struct BenchDb {
    pub url: String,
    dir: Option<std::path::PathBuf>,
    postgres: Option<(String, String)>,
}

impl BenchDb {
    pub async fn new() -> Self {
        use sea_orm::{ConnectionTrait, Database};
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("BENCH_DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                let admin = Database::connect(base.as_str()).await.expect("PostgreSQL");
                let name = format!("zstack_bench_{id}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("a bench database");
                let (server, _) = base.rsplit_once('/').expect("a database in the URL");
                BenchDb {
                    url: format!("{server}/{name}"),
                    dir: None,
                    postgres: Some((base, name)),
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("zstack-bench-{id}"));
                std::fs::create_dir_all(&dir).expect("a temp dir");
                BenchDb {
                    url: format!("sqlite://{}/zstack.db?mode=rwc", dir.display()),
                    dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        if self.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    }

    pub async fn drop(self) {
        use sea_orm::{ConnectionTrait, Database};
        if let Some((base, name)) = &self.postgres
            && let Ok(admin) = Database::connect(base.as_str()).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                .await;
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A server process: the node or the bare server.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Server {
    pub fn node(db_url: &str) -> Self {
        Self::node_with(db_url, &[])
    }

    pub fn node_with(db_url: &str, extra: &[String]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        // Another build of the node (an older one, to compare) may stand in.
        let bin = std::env::var("BENCH_NODE_BIN")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_zstack").to_string());
        let child = Command::new(bin)
            .args(["serve", "--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--db-url", db_url, "--http-workers", WORKERS])
            .args(extra)
            // The node's own default.
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the node starts");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the node did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        for _ in 0..200 {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn get_request(host: &str, path: &str, session: &str) -> Arc<Vec<u8>> {
    Arc::new(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: OAuth {session}\r\n\r\n")
            .into_bytes(),
    )
}

pub fn body_request(
    method: &str,
    host: &str,
    path: &str,
    session: Option<&str>,
    body: &str,
) -> Vec<u8> {
    let auth = session
        .map(|s| format!("Authorization: OAuth {s}\r\n"))
        .unwrap_or_default();
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

pub async fn one_request(addr: SocketAddr, req: &[u8]) -> (u16, Vec<u8>) {
    let mut conn = Conn::open(addr).await;
    let mut body = Vec::new();
    let status = conn.exchange(req, Some(&mut body)).await;
    (status, body)
}

pub async fn login(addr: SocketAddr) -> String {
    let body = serde_json::json!({"logInByAccount": {"accountName": "admin", "password": ADMIN_PASSWORD_SHA512}}).to_string();
    let req = body_request(
        "PUT",
        &addr.to_string(),
        "/zstack/v1/accounts/login",
        None,
        &body,
    );
    let started = Instant::now();
    loop {
        let (status, body) = one_request(addr, &req).await;
        if status == 200 {
            let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
            return v["inventory"]["uuid"]
                .as_str()
                .expect("a session")
                .to_string();
        }
        // Still starting (the gateway comes up last).
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "login: {status} {}",
            String::from_utf8_lossy(&body)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One keep-alive HTTP/1.1 connection: a request, then its whole response, in turn.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    /// Sends `req` and reads its response; its body goes to `body` when given. The status.
    pub async fn exchange(&mut self, req: &[u8], body: Option<&mut Vec<u8>>) -> u16 {
        self.stream.write_all(req).await.expect("send");
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).expect("an ASCII head");
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .expect("a status line");
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())?
            })
            .expect("a Content-Length");
        while self.buf.len() < head_end + length {
            self.fill().await;
        }
        if let Some(body) = body {
            body.clear();
            body.extend_from_slice(&self.buf[head_end..head_end + length]);
        }
        status
    }

    pub async fn fill(&mut self) {
        let len = self.buf.len();
        if self.buf.capacity() - len < 16 * 1024 {
            self.buf.reserve(64 * 1024);
        }
        let spare = self.buf.capacity() - len;
        self.buf.resize(len + spare, 0);
        let n = self.stream.read(&mut self.buf[len..]).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        self.buf.truncate(len + n);
    }
}
