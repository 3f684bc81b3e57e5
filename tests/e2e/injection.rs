//! Message-level injection on the bus, as ZStack's `env.message(Class) {...}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::bus::Intercept;
use zstack_kernel::error::operr;
use zstack_kernel::jobs::ApiJobCompleted;
use zstack_zone::APICreateZoneMsg;

use crate::common::TestNode;

#[actix_web::test]
async fn an_injected_error_fails_create_zone_with_a_503_job() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let guard = t.bus().intercept(move |msg: &APICreateZoneMsg| {
        counter.fetch_add(1, Ordering::SeqCst);
        assert_eq!(msg.name, "doomed");
        Intercept::Fail(operr("create zone failed on purpose"))
    });
    let (completed_tx, mut completed) = tokio::sync::mpsc::unbounded_channel();
    let _completions = t.bus().subscribe(move |e: &ApiJobCompleted| {
        let _ = completed_tx.send(e.clone());
    });
    let done = t
        .call_async(
            Method::POST,
            "/zones",
            &sid,
            Some(json!({"params": {"name": "doomed"}})),
        )
        .await;
    assert_eq!(done.status, 503);
    let event = completed.recv().await.expect("a completion event");
    assert_eq!(
        (event.api_name.as_str(), event.success),
        ("APICreateZoneMsg", false)
    );
    assert_eq!(done.code(), "SYS.1006");
    assert_eq!(done.body["error"]["description"], "An operation failed");
    assert_eq!(
        done.body["error"]["details"],
        "create zone failed on purpose"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert_eq!(
        t.get("/zones?count=true", &sid).await.body["total"],
        0,
        "nothing was created"
    );

    drop(guard);
    let zone = t.create_zone(&sid, json!({"name": "fine"})).await;
    assert_eq!(zone["name"], "fine");
    t.stop().await;
}

#[actix_web::test]
async fn an_injected_reply_answers_instead_of_the_service() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let real = t.create_zone(&sid, json!({"name": "real"})).await;
    let _fake = t.bus().intercept(move |msg: &APICreateZoneMsg| {
        let mut inventory = fake_zone(&msg.name);
        inventory.description = Some("from the interceptor".into());
        Intercept::Reply(InventoryReply { inventory })
    });
    let done = t
        .call_async(
            Method::POST,
            "/zones",
            &sid,
            Some(json!({"params": {"name": "ghost"}})),
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["inventory"]["name"], "ghost");
    assert_eq!(
        done.body["inventory"]["description"],
        "from the interceptor"
    );
    let stored = t.get("/zones", &sid).await;
    assert_eq!(stored.body["inventories"].as_array().unwrap().len(), 1);
    assert_eq!(stored.body["inventories"][0]["uuid"], real["uuid"]);
    t.stop().await;
}

fn fake_zone(name: &str) -> zstack_zone::entity::Model {
    let now = chrono::Utc::now();
    zstack_zone::entity::Model {
        uuid: "0f1e2d3c4b5a49688776a5b4c3d2e1f0".into(),
        name: name.into(),
        description: None,
        state: "Enabled".into(),
        r#type: "zstack".into(),
        is_default: false,
        create_date: now,
        last_op_date: now,
    }
}

#[actix_web::test]
async fn a_delayed_message_past_x_api_timeout_fails_with_sys_1001() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_secs(3)));
    let r = t
        .post_zone(&sid, json!({"name": "late"}), &[("X-API-Timeout", "1")])
        .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.body["apiTimeout"], 1000);
    let done = t.wait_job(r.body["location"].as_str().unwrap()).await;
    assert_eq!(done.status, 503);
    assert_eq!(done.code(), "SYS.1001");
    assert!(done.details().contains("APICreateZoneMsg"));
    t.stop().await;
}
