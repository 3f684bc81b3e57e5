//! Notifications: written by the node itself for finished APIs (and status changes, see
//! simulator.rs), queryable with every operator, marked read, deleted.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};

/// Polls `GET path` until its inventories are not empty (the writer is asynchronous).
async fn eventually(t: &TestNode, sid: &str, path: &str) -> Rsp {
    for _ in 0..100 {
        let rsp = t.get(path, sid).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        if rsp.body["inventories"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            return rsp;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing appeared at {path}");
}

#[actix_web::test]
async fn finished_apis_are_notified_and_failed_creates_are_not() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z1"})).await;
    let uuid = zone["uuid"].as_str().unwrap();
    let found = eventually(&t, &sid, &format!("/notifications?q=resourceUuid={uuid}")).await;
    let n = &found.body["inventories"][0];
    assert_eq!(n["sender"], "api");
    assert_eq!(n["name"], "APICreateZoneMsg");
    assert_eq!(n["type"], "Info");
    assert_eq!(n["status"], "Unread");
    assert_eq!(n["resourceType"], "ZoneVO");
    assert_eq!(n["content"], "API %s succeeded");
    let args: Vec<String> = serde_json::from_str(n["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, vec!["APICreateZoneMsg"]);
    assert_eq!(n["opaque"]["success"], true, "opaque is an object: {n}");
    assert!(n["time"].is_i64());

    // Other APIs are notified too; a failed create is not.
    let failed_create = t
        .call_async(Method::POST, "/zones", &sid, Some(json!({"params": {}})))
        .await;
    assert_eq!(failed_create.status, 503);
    let changed = t
        .send(
            Method::PUT,
            &format!("/zones/{uuid}/actions"),
            Some(&sid),
            Some(json!({"changeZoneState": {"stateEvent": "disable"}})),
            &[],
        )
        .await;
    assert_eq!(changed.status, 202);
    t.wait_job_as(changed.body["location"].as_str().unwrap(), &sid)
        .await;
    let changed = eventually(
        &t,
        &sid,
        "/notifications?q=name=APIChangeZoneStateMsg&q=type=Info",
    )
    .await;
    assert_eq!(changed.body["inventories"][0]["resourceUuid"], uuid);
    // Give the writer time for the failed create, then check nothing came of it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let errors = t
        .get("/notifications?q=name=APICreateZoneMsg&q=type=Error", &sid)
        .await;
    assert_eq!(errors.body["inventories"], json!([]), "{:?}", errors.body);
    t.stop().await;
}

#[actix_web::test]
async fn notifications_are_marked_read_and_deleted_with_uuids_in_the_body() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    for name in ["a", "b", "c"] {
        t.create_zone(&sid, json!({ "name": name })).await;
    }
    let mut all = Vec::new();
    for _ in 0..100 {
        let rsp = t.get("/notifications?q=name~=APICreate%25", &sid).await;
        all = rsp.body["inventories"].as_array().unwrap().clone();
        if all.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(all.len(), 3);
    let uuids: Vec<&str> = all.iter().map(|n| n["uuid"].as_str().unwrap()).collect();
    let read = t
        .action(
            &sid,
            "/notifications/actions",
            "updateNotificationsStatus",
            json!({"uuids": [uuids[0], uuids[1]], "status": "Read"}),
        )
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    let count = |rsp: Rsp| rsp.body["total"].as_i64().unwrap();
    assert_eq!(
        count(t.get("/notifications?q=status=Read&count=true", &sid).await),
        2
    );
    let bad = t
        .action(
            &sid,
            "/notifications/actions",
            "updateNotificationsStatus",
            json!({"uuids": [uuids[0]], "status": "Gone"}),
        )
        .await;
    assert_eq!(bad.status, 503, "{:?}", bad.body);
    assert!(bad.details().contains("status"), "{}", bad.details());

    // The seed sends the uuids of DELETE /notifications in the body.
    let accepted = t
        .send(
            Method::DELETE,
            "/notifications",
            Some(&sid),
            Some(json!({"uuids": [uuids[0], uuids[2]]})),
            &[],
        )
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let done = t
        .wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let left = t.get("/notifications?q=name~=APICreate%25", &sid).await;
    let left: Vec<Value> = left.body["inventories"].as_array().unwrap().clone();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["uuid"], uuids[1]);
    t.stop().await;
}

#[actix_web::test]
async fn api_notifications_can_be_turned_off() {
    let t = TestNode::start_with(|s| s.api_notifications = false).await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "quiet"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rsp = t.get("/notifications", &sid).await;
    assert_eq!(rsp.body["inventories"], json!([]), "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn notifications_older_than_the_retention_go() {
    let t = TestNode::start_with(|s| s.notification_retention = 1).await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "brief"})).await;
    let uuid = zone["uuid"].as_str().unwrap();
    let path = format!("/notifications?q=resourceUuid={uuid}");
    eventually(&t, &sid, &path).await;
    let mut gone = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if t.get(&path, &sid).await.body["inventories"] == json!([]) {
            gone = true;
            break;
        }
    }
    assert!(gone, "the notification outlived its retention");
    t.stop().await;
}

/// The seed's examples of the notification and progress APIs, sent as written.
#[actix_web::test]
async fn the_seed_examples_answer_as_the_seed_shows() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "seeded"})).await;
    let uuid = zone["uuid"].as_str().unwrap();
    let found = eventually(&t, &sid, &format!("/notifications?q=resourceUuid={uuid}")).await;
    let notification = found.body["inventories"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    // GET zstack/v1/notifications and GET zstack/v1/notifications/{uuid}
    let all = t.get("/notifications", &sid).await;
    assert_eq!(all.status, 200);
    let one = t.get(&format!("/notifications/{notification}"), &sid).await;
    assert_eq!(one.body["inventories"][0]["uuid"], notification);
    for field in [
        "name",
        "content",
        "arguments",
        "resourceType",
        "type",
        "time",
        "sender",
        "status",
    ] {
        assert!(
            one.body["inventories"][0].get(field).is_some(),
            "{field}: {:?}",
            one.body
        );
    }
    // PUT zstack/v1/notifications/actions with the body as the seed writes it.
    let read = t
        .call_async(
            Method::PUT,
            "/notifications/actions",
            &sid,
            Some(
                json!({"updateNotificationsStatus": {"uuids": [notification], "status": "Read"},
                        "systemTags": [], "userTags": []}),
            ),
        )
        .await;
    assert_eq!(read.status, 200, "{:?}", read.body);
    assert_eq!(read.body, json!({}));
    // DELETE zstack/v1/notifications, as the curl example sends it (no body).
    let accepted = t
        .send(Method::DELETE, "/notifications", Some(&sid), None, &[])
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let done = t
        .wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    // GET zstack/v1/task-progresses/{apiId}?all=false: an API that reported nothing has none.
    let api_id = "7b016e3d2b4647e9abe3183728f77e57";
    let progress = t
        .get(&format!("/task-progresses/{api_id}?all=false"), &sid)
        .await;
    assert_eq!(progress.status, 200, "{:?}", progress.body);
    assert_eq!(progress.body["inventories"], json!([]));
    t.stop().await;
}
