//! RabbitMQ restarted under running nodes: calls across nodes fail with a clear error while it is
//! down (never hang), work on each node's own services, and the nodes reconnect by themselves.

use std::time::Duration;

use super::*;
use crate::common::require_service;

/// Makes sure the broker runs again when the test ends, whatever happened.
struct BrokerBack;

impl Drop for BrokerBack {
    fn drop(&mut self) {
        if !broker_is_up() && !start_broker() {
            eprintln!("could not start RabbitMQ again");
        }
    }
}

fn rabbitmqctl(args: &[&str]) -> bool {
    Command::new("rabbitmqctl")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn broker_is_up() -> bool {
    std::net::TcpStream::connect("127.0.0.1:5672").is_ok()
}

fn stop_broker() {
    assert!(rabbitmqctl(&["shutdown"]), "rabbitmqctl shutdown");
    assert!(!broker_is_up());
}

/// Starts the broker and waits until it serves; tells whether it does.
fn start_broker() -> bool {
    let launched = Command::new("rabbitmq-server")
        .arg("-detached")
        .status()
        .is_ok_and(|s| s.success());
    if !launched {
        return false;
    }
    // The node takes a moment to exist before `await_startup` can ask it anything.
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if rabbitmqctl(&["await_startup"]) && broker_is_up() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}

/// Node 1 holds zone updates a while, so one can be in flight when the broker goes.
fn slow_updates_on_node_1(i: usize) -> Vec<String> {
    if i == 1 {
        vec!["--delay-message".into(), "APIUpdateZoneMsg=10000".into()]
    } else {
        Vec::new()
    }
}

#[actix_web::test]
async fn nodes_carry_on_through_a_broker_restart() {
    let _one = ONE_AT_A_TIME.lock().await;
    if !rabbitmqctl(&["status"]) {
        require_service("rabbitmqctl cannot control the local RabbitMQ");
        return;
    }
    let Some(cluster) = TestCluster::start(2, &slow_updates_on_node_1).await else {
        return;
    };
    let _back = BrokerBack;
    let session = cluster.nodes[0].api.login().await;
    let mut zone = String::new();
    for i in 0..100 {
        zone = create_zone(&cluster.nodes[0], &session, &format!("z{i}")).await;
        if cluster.owner_among(&zone, &[0, 1]) == 1 {
            break;
        }
    }
    assert_eq!(cluster.owner_among(&zone, &[0, 1]), 1);

    // An update waiting on node 1 when the broker goes down fails at once.
    let accepted = update_zone(&cluster.nodes[0], &session, &zone, "in flight", &[]).await;
    let job = job_path(&location(&accepted));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_broker();
    // Failed when the connection dropped (`rabbitmqctl shutdown` returns after that), not when
    // node 1 would have answered, nor after the API's timeout.
    let down_at = Instant::now();
    let failed = wait_job_on(&cluster.nodes[0], &session, &job, Duration::from_secs(10)).await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);
    assert_eq!(error_code(&failed.body), "SYS.1012");
    assert!(
        down_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        down_at.elapsed()
    );

    // New calls to the other node are refused at once with a clear error...
    let accepted = update_zone(&cluster.nodes[0], &session, &zone, "broker down", &[]).await;
    let failed = wait_job_on(
        &cluster.nodes[0],
        &session,
        &job_path(&location(&accepted)),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(error_code(&failed.body), "SYS.1012");
    let details = failed.body["error"]["details"].as_str().unwrap();
    assert!(details.contains("message broker"), "{details}");
    assert!(
        !details.contains("guest:guest"),
        "no password in errors: {details}"
    );
    // ...while what a node runs itself keeps working.
    let rsp = cluster.nodes[0]
        .api
        .get(&format!("/zones/{zone}"), &session)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    assert!(start_broker(), "RabbitMQ starts again");
    // Both nodes reconnect by themselves and cross-node calls work again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let accepted = update_zone(&cluster.nodes[0], &session, &zone, "broker back", &[]).await;
        let done = wait_job_on(
            &cluster.nodes[0],
            &session,
            &job_path(&location(&accepted)),
            Duration::from_secs(20),
        )
        .await;
        if done.status == 200 {
            assert_eq!(done.body["inventory"]["description"], "broker back");
            break;
        }
        assert!(Instant::now() < deadline, "no reconnect: {:?}", done.body);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    cluster.stop().await;
}
