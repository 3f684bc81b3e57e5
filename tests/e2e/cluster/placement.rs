//! Service placement (`--services`): each message goes to a live node that runs its service;
//! with none alive the caller hears so at once. A node answers a message it does not know with
//! SYS.1008.

use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};

use super::*;

fn split_services(i: usize) -> Vec<String> {
    let services = if i == 0 {
        "account,managementNode"
    } else {
        "zone"
    };
    vec!["--services".into(), services.into()]
}

#[actix_web::test]
async fn each_message_goes_to_a_node_running_its_service_and_none_alive_is_sys_1012_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(2, &split_services).await else {
        return;
    };
    // Login is handled by node 0's account service even when asked on node 1.
    let session = cluster.nodes[1].api.login().await;
    // Zones live on node 1 only; node 0 forwards.
    let zone = create_zone(&cluster.nodes[0], &session, "placed").await;
    assert_eq!(
        cluster.nodes[1]
            .metric(r#"zstack_bus_messages_handled_total{message="APICreateZoneMsg"}"#)
            .await,
        1.0
    );
    assert_eq!(
        cluster.nodes[0]
            .metric(r#"zstack_bus_messages_handled_total{message="APICreateZoneMsg"}"#)
            .await,
        0.0
    );
    let rsp = cluster.nodes[0]
        .api
        .get(&format!("/zones/{zone}"), &session)
        .await;
    assert_eq!(rsp.body["inventories"][0]["name"], "placed");

    // With the only zone node gone, zone APIs fail at once; the rest still work.
    cluster.nodes[1].terminate().await;
    cluster.wait_until_all_see(1).await;
    let started = Instant::now();
    let rsp = cluster.nodes[0].api.get("/zones", &session).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1012");
    assert!(rsp.details().contains("service[zone]"), "{}", rsp.details());
    let accepted = cluster.nodes[0]
        .api
        .post_zone(&session, json!({"name": "nowhere"}), &[])
        .await;
    let failed = wait_job_on(
        &cluster.nodes[0],
        &session,
        &job_path(&location(&accepted)),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(failed.status, 503);
    assert_eq!(error_code(&failed.body), "SYS.1012");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        cluster.nodes[0].listed_nodes(&session).await,
        vec![cluster.nodes[0].uuid.clone()]
    );
    cluster.stop().await;
}

#[test]
fn an_unknown_service_or_services_without_a_broker_are_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_zstack"))
        .args([
            "serve",
            "--port",
            "0",
            "--db-url",
            "sqlite::memory:",
            "--services",
            "zone,warpDrive",
            "--amqp-url",
            "amqp://127.0.0.1:1/%2f",
        ])
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown service [warpDrive]"), "{stderr}");
    assert!(stderr.contains("zone"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_zstack"))
        .args([
            "serve",
            "--port",
            "0",
            "--db-url",
            "sqlite::memory:",
            "--services",
            "zone",
        ])
        .env("RUST_LOG", "error")
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--services needs --amqp-url"), "{stderr}");
}

#[actix_web::test]
async fn a_message_the_node_does_not_know_is_answered_with_sys_1008_over_the_broker() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(1, &|_| Vec::new()).await else {
        return;
    };
    let conn = Connection::connect(&cluster.amqp, ConnectionProperties::default())
        .await
        .expect("a connection");
    let channel = conn.create_channel().await.expect("a channel");
    let mine = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("a reply queue");
    let mut replies = channel
        .basic_consume(
            mine.name().clone(),
            "test".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("a consumer");
    let frame = json!({
        "kind": "request",
        "name": "APIWarpDriveMsg",
        "id": "0123456789abcdef0123456789abcdef",
        "from": "test",
        "needsReply": true,
        "body": {},
    });
    channel
        .basic_publish(
            "".into(),
            format!("zstack.node.{}", cluster.nodes[0].uuid)
                .as_str()
                .into(),
            BasicPublishOptions::default(),
            frame.to_string().as_bytes(),
            BasicProperties::default()
                .with_reply_to(mine.name().clone())
                .with_correlation_id("0123456789abcdef0123456789abcdef".into()),
        )
        .await
        .expect("published");
    let delivery = tokio::time::timeout(Duration::from_secs(5), replies.next())
        .await
        .expect("a reply within 5 s")
        .expect("a delivery")
        .expect("no error");
    let reply: Value = serde_json::from_slice(&delivery.data).expect("JSON");
    assert_eq!(reply["kind"], "reply");
    assert_eq!(reply["correlationId"], "0123456789abcdef0123456789abcdef");
    assert_eq!(reply["result"]["error"]["code"], "SYS.1008");
    assert!(
        reply["result"]["error"]["details"]
            .as_str()
            .unwrap()
            .contains("APIWarpDriveMsg")
    );
    let _ = conn.close(200, "done".into()).await;
    cluster.stop().await;
}
