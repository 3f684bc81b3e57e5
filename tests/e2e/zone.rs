//! The zone service through REST: create, update, state, default flag, delete.

use reqwest::Method;
use serde_json::json;

use crate::common::TestNode;

#[actix_web::test]
async fn update_change_state_and_delete_a_zone() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z1"})).await;
    let uuid = zone["uuid"].as_str().unwrap();
    assert!(
        zone.get("description").is_none(),
        "nulls are omitted: {zone}"
    );
    let actions = format!("/zones/{uuid}/actions");

    let updated = t
        .call_async(
            Method::PUT,
            &actions,
            &sid,
            Some(json!({"updateZone": {"name": "z1-renamed", "description": "d"}})),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["inventory"]["name"], "z1-renamed");
    assert_eq!(updated.body["inventory"]["description"], "d");

    let disabled = t
        .call_async(
            Method::PUT,
            &actions,
            &sid,
            Some(json!({"changeZoneState": {"stateEvent": "disable"}})),
        )
        .await;
    assert_eq!(disabled.body["inventory"]["state"], "Disabled");
    let stored = t.get(&format!("/zones/{uuid}"), &sid).await;
    assert_eq!(stored.body["inventories"][0]["state"], "Disabled");
    assert_eq!(stored.body["inventories"][0]["name"], "z1-renamed");

    let enabled = t
        .call_async(
            Method::PUT,
            &actions,
            &sid,
            Some(json!({"changeZoneState": {"stateEvent": "enable"}})),
        )
        .await;
    assert_eq!(enabled.body["inventory"]["state"], "Enabled");

    let deleted = t
        .call_async(
            Method::DELETE,
            &format!("/zones/{uuid}?deleteMode=Enforcing"),
            &sid,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.body, json!({}));
    assert_eq!(
        t.get(&format!("/zones/{uuid}"), &sid).await.body["inventories"],
        json!([])
    );

    // Deleting what is already gone succeeds; acting on it is SYS.1003.
    let again = t
        .call_async(Method::DELETE, &format!("/zones/{uuid}"), &sid, None)
        .await;
    assert_eq!(again.status, 200);
    let missing = t
        .call_async(
            Method::PUT,
            &actions,
            &sid,
            Some(json!({"updateZone": {"name": "x"}})),
        )
        .await;
    assert_eq!(missing.status, 503);
    assert_eq!(missing.code(), "SYS.1003");
    t.stop().await;
}

#[actix_web::test]
async fn one_default_zone_at_most_and_client_chosen_uuids() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let chosen = "0f1e2d3c4b5a49688776a5b4c3d2e1f0";
    let a = t
        .create_zone(
            &sid,
            json!({"name": "a", "isDefault": true, "resourceUuid": chosen}),
        )
        .await;
    assert_eq!(a["uuid"], chosen);
    assert_eq!(a["isDefault"], true);
    let b = t
        .create_zone(&sid, json!({"name": "b", "isDefault": true}))
        .await;
    assert_eq!(b["isDefault"], true);
    let defaults = t.get("/zones?q=isDefault=true", &sid).await;
    let uuids: Vec<&str> = defaults.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(uuids, vec![b["uuid"].as_str().unwrap()]);

    let reused = t
        .call_async(
            Method::POST,
            "/zones",
            &sid,
            Some(json!({"params": {"name": "c", "resourceUuid": chosen}})),
        )
        .await;
    assert_eq!(reused.status, 503);
    assert_eq!(reused.code(), "SYS.1007");
    t.stop().await;
}

async fn count(t: &TestNode, sid: &str, query: &str) -> serde_json::Value {
    t.get(&format!("/zones?count=true&{query}"), sid).await.body["total"].clone()
}

/// Creates a zone, then sets its default flag, and returns the flag the update answered.
async fn create_then_set_default(
    t: &TestNode,
    sid: &str,
    name: String,
    first: bool,
    then: bool,
) -> bool {
    let zone = t
        .create_zone(sid, json!({"name": name, "isDefault": first}))
        .await;
    let actions = format!("/zones/{}/actions", zone["uuid"].as_str().unwrap());
    let updated = t
        .call_async(
            Method::PUT,
            &actions,
            sid,
            Some(json!({"updateZone": {"isDefault": then}})),
        )
        .await;
    updated.body["inventory"]["isDefault"].as_bool().unwrap()
}

#[actix_web::test]
async fn concurrent_default_zones_leave_exactly_one_default() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let creates: Vec<_> = (0..10)
        .map(|i| t.create_zone(&sid, json!({"name": format!("z{i}"), "isDefault": true})))
        .collect();
    futures_util::future::join_all(creates).await;
    assert_eq!(count(&t, &sid, "q=isDefault=true").await, 1);
    assert_eq!(count(&t, &sid, "").await, 10);

    let updates: Vec<_> = (0..10)
        .map(|i| create_then_set_default(&t, &sid, format!("u{i}"), false, true))
        .collect();
    assert!(
        futures_util::future::join_all(updates)
            .await
            .into_iter()
            .all(|d| d)
    );
    assert_eq!(count(&t, &sid, "q=isDefault=true").await, 1);
    let first = t
        .get("/zones?sortBy=isDefault&sortDirection=desc&limit=1", &sid)
        .await;
    assert_eq!(first.body["inventories"][0]["isDefault"], true);

    let unsets: Vec<_> = (0..10)
        .map(|i| create_then_set_default(&t, &sid, format!("x{i}"), true, false))
        .collect();
    assert!(
        futures_util::future::join_all(unsets)
            .await
            .into_iter()
            .all(|d| !d)
    );
    assert_eq!(count(&t, &sid, "q=isDefault=true").await, 0);
    t.stop().await;
}
