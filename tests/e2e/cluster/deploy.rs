//! `deploy/cluster.sh`, as the README tells operators to run it: three nodes on consecutive
//! loopback ports, one database, one broker; `stop` takes them all down.

use std::path::Path;

use super::*;

/// A first port with the next `n - 1` free too.
fn free_ports(n: u16) -> u16 {
    for _ in 0..100 {
        let base = free_port();
        if base < u16::MAX - n
            && (1..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok())
        {
            return base;
        }
    }
    panic!("no {n} consecutive free ports");
}

fn cluster_sh(command: &str, env: &[(&str, String)]) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/cluster.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(script).arg(command);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the script runs")
}

#[actix_web::test]
async fn the_deploy_script_starts_three_nodes_that_form_one_cluster_and_stops_them() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(amqp) = crate::common::amqp_url() else {
        return;
    };
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let base = free_ports(3);
    let run_dir =
        std::env::temp_dir().join(format!("zstack-deploy-{}", uuid::Uuid::new_v4().simple()));
    let env = [
        ("ZSTACK_BASE_PORT", base.to_string()),
        ("ZSTACK_DB_URL", db.url.clone()),
        ("ZSTACK_AMQP_URL", amqp),
        ("ZSTACK_BIN", env!("CARGO_BIN_EXE_zstack").to_string()),
        ("ZSTACK_RUN_DIR", run_dir.display().to_string()),
        ("ZSTACK_HEARTBEAT_INTERVAL", "1".to_string()),
    ];
    let started = cluster_sh("start", &env);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let nodes: Vec<TestNode> = (0..3)
        .map(|i| TestNode {
            node: None,
            base: format!("http://127.0.0.1:{}", base + i),
            client: reqwest::Client::new(),
            db: db.shared(),
        })
        .collect();
    let session = nodes[0].login().await;
    let deadline = Instant::now() + Duration::from_secs(15);
    for node in &nodes {
        loop {
            let rsp = node.get("/management-nodes", &session).await;
            if rsp.body["inventories"].as_array().map(Vec::len) == Some(3) {
                break;
            }
            assert!(Instant::now() < deadline, "{:?}", rsp.body);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let zone = nodes[1]
        .create_zone(&session, json!({"name": "deployed"}))
        .await;
    let rsp = nodes[2]
        .get(
            &format!("/zones/{}", zone["uuid"].as_str().unwrap()),
            &session,
        )
        .await;
    assert_eq!(rsp.body["inventories"][0]["name"], "deployed");
    assert!(cluster_sh("status", &env).status.success());

    let stopped = cluster_sh("stop", &env);
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    for i in 0..3 {
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", base + i)).is_err(),
            "port {} still answers",
            base + i
        );
    }
    assert!(!cluster_sh("status", &env).status.success());
    let _ = std::fs::remove_dir_all(&run_dir);
    db.drop_database().await;
}
