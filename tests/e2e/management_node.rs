//! The management-node APIs.

use reqwest::Method;
use serde_json::json;

use crate::common::{TestNode, is_zstack_date};

#[actix_web::test]
async fn the_node_lists_itself_and_answers_version_time_and_readiness() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let me = t.node_uuid();

    let nodes = t.get("/management-nodes", &sid).await;
    assert_eq!(nodes.status, 200);
    let row = &nodes.body["inventories"][0];
    assert_eq!(row["uuid"], me.as_str());
    assert_eq!(row["hostName"], "127.0.0.1");
    assert!(is_zstack_date(row["joinDate"].as_str().unwrap()));
    assert!(is_zstack_date(row["heartBeat"].as_str().unwrap()));
    let one = t.get(&format!("/management-nodes/{me}"), &sid).await;
    assert_eq!(one.body["inventories"].as_array().unwrap().len(), 1);

    let ready = t.get("/management-nodes/ready", &sid).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.body["managementNodeId"], me.as_str());

    let version = t
        .send(
            Method::PUT,
            "/management-nodes/actions",
            None,
            Some(json!({"getVersion": {}})),
            &[],
        )
        .await;
    assert_eq!(version.status, 200);
    assert!(version.body["version"].is_string());

    let before = chrono::Utc::now().timestamp_millis() as f64;
    let time = t
        .send(
            Method::PUT,
            "/management-nodes/actions",
            None,
            Some(json!({"getCurrentTime": {}, "systemTags": [], "userTags": []})),
            &[],
        )
        .await;
    assert_eq!(time.status, 200);
    let millis = time.body["currentTime"]["MillionSeconds"].as_f64().unwrap();
    let seconds = time.body["currentTime"]["Seconds"].as_f64().unwrap();
    assert!((millis - before).abs() < 5000.0);
    assert_eq!((millis / 1000.0).floor(), seconds);
    t.stop().await;
}

#[actix_web::test]
async fn the_heartbeat_moves_forward() {
    let t = TestNode::start_with(|s| s.heartbeat_interval = 1).await;
    let sid = t.login().await;
    let first = t.get("/management-nodes", &sid).await.body["inventories"][0]["heartBeat"].clone();
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let later = t.get("/management-nodes", &sid).await.body["inventories"][0]["heartBeat"].clone();
    assert_ne!(first, later);
    t.stop().await;
}
