//! The real `zstack` binary: it serves, stops cleanly on SIGTERM, and a restart keeps zones,
//! sessions and finished jobs.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::{TestDb, TestNode};

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub(crate) fn spawn_node(port: u16, db_url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zstack"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--db-url",
            db_url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts")
}

/// A client bound to a node started as a process (the database belongs to the caller).
pub(crate) async fn client_for(port: u16, db: TestDb) -> TestNode {
    let t = TestNode {
        node: None,
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::new(),
        db,
    };
    for _ in 0..200 {
        if let Ok(r) = t
            .client
            .put(t.url("/management-nodes/actions"))
            .body(r#"{"getVersion":{}}"#)
            .send()
            .await
            && r.status() == 200
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the node on port {port} did not come up");
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    for _ in 0..200 {
        if let Some(status) = child.try_wait().expect("wait works") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the node did not stop on SIGTERM");
}

#[actix_web::test]
async fn a_restart_keeps_zones_sessions_and_finished_jobs() {
    let db = TestDb::new().await;
    let db_url = db.url.clone();
    let port = free_port();
    let mut first = spawn_node(port, &db_url);
    let t = client_for(port, db).await;
    let sid = t.login().await;
    let accepted = t.post_zone(&sid, json!({"name": "survivor"}), &[]).await;
    let location = accepted.body["location"].as_str().unwrap().to_string();
    let done = t.wait_job(&location).await;
    assert_eq!(done.status, 200);
    let zone_uuid = done.body["inventory"]["uuid"].as_str().unwrap().to_string();
    assert_eq!(
        t.get("/management-nodes", &sid).await.body["inventories"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let status = terminate(&mut first);
    assert!(status.success(), "SIGTERM stops the node cleanly: {status}");

    let mut second = spawn_node(port, &db_url);
    let t = client_for(port, t.db).await;
    let zones = t.get("/zones", &sid).await;
    assert_eq!(zones.status, 200, "the session survived: {:?}", zones.body);
    assert_eq!(zones.body["inventories"][0]["uuid"], zone_uuid.as_str());
    assert_eq!(zones.body["inventories"][0]["name"], "survivor");
    let job = t.send(Method::GET, &location, Some(&sid), None, &[]).await;
    assert_eq!(job.status, 200);
    assert_eq!(job.body, done.body);
    let nodes = t.get("/management-nodes", &sid).await;
    assert_eq!(
        nodes.body["inventories"].as_array().unwrap().len(),
        1,
        "one row per live node"
    );

    assert!(terminate(&mut second).success());
    t.db.drop_database().await;
}

#[test]
fn the_binary_refuses_a_bad_database_url() {
    let out = Command::new(env!("CARGO_BIN_EXE_zstack"))
        .args(["serve", "--port", "0", "--db-url", "mysql://nowhere/x"])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
}

/// The README's walk-through, run as written against the binary (only the port differs).
#[actix_web::test]
async fn the_readme_walk_through_works_as_written() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("## Walk-through")
        .expect("the README has a walk-through");
    let block = &readme[start..];
    let open = block.find("```sh\n").expect("a shell block") + "```sh\n".len();
    let close = open + block[open..].find("```").expect("the block ends");
    let db = TestDb::new().await;
    let port = free_port();
    let mut node = spawn_node(port, &db.url);
    let t = client_for(port, db).await;
    let script = block[open..close].replace("localhost:8080", &format!("localhost:{port}"));
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", &script])
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = stdout
        .lines()
        .find_map(|l| l.strip_prefix("session: "))
        .expect("a session line");
    assert!(
        session.len() == 32 && session.bytes().all(|b| b.is_ascii_hexdigit()),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("job: http://localhost:{port}/zstack/v1/api-jobs/")),
        "{stdout}"
    );
    assert!(stdout.contains("HTTP/1.1 200 OK"), "{stdout}");
    assert!(stdout.contains(r#""name":"Zone1""#), "{stdout}");
    assert!(stdout.contains(r#""total":1"#), "{stdout}");
    assert!(stdout.contains("ID.1001"), "{stdout}");
    assert!(terminate(&mut node).success());
    t.db.drop_database().await;
}
