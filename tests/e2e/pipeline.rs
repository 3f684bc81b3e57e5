//! The API pipeline runs for every caller: an API sent as a message on the bus, without HTTP,
//! gets the same session, access and tag checks as a REST request; and what a create writes
//! (the row, its owner record, its tags) commits together or not at all.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use zstack_kernel::ErrorCode;
use zstack_kernel::pipeline::RunApiMsg;

use crate::accounts::account;
use crate::common::TestNode;
use crate::hostile_ownership::run_job;

async fn on_bus(
    t: &TestNode,
    api: &str,
    params: Value,
    query: &str,
    session: Option<&str>,
) -> Result<Value, ErrorCode> {
    let msg = RunApiMsg {
        api: api.to_string(),
        params: params.as_object().cloned().unwrap_or_default(),
        query: query.to_string(),
        session_uuid: session.map(String::from),
    };
    t.bus().call(msg).await
}

#[actix_web::test]
async fn an_api_sent_on_the_bus_gets_the_same_checks_as_over_http() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let admin_zone = t.create_zone(&admin, json!({"name": "admin-zone"})).await;
    let cluster = t
        .create(
            &admin,
            "/clusters",
            json!({"name": "admin-c", "zoneUuid": admin_zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;
    let (_, alice) = account(&t, &admin, "alice").await;

    // Who is asking.
    let none = on_bus(&t, "APICreateZoneMsg", json!({"name": "z"}), "", None).await;
    assert_eq!(none.unwrap_err().code, "ID.1001");
    let bad = on_bus(
        &t,
        "APICreateZoneMsg",
        json!({"name": "z"}),
        "",
        Some("0123456789abcdef0123456789abcdef"),
    )
    .await;
    assert_eq!(bad.unwrap_err().code, "ID.1001");

    // Declared parameter checks, ownership and uniqueness of uuids.
    let missing = on_bus(&t, "APICreateZoneMsg", json!({}), "", Some(&alice)).await;
    assert_eq!(missing.unwrap_err().code, "SYS.1007");
    let taken = on_bus(
        &t,
        "APICreateZoneMsg",
        json!({"name": "mine", "resourceUuid": cluster["uuid"]}),
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(taken.unwrap_err().code, "SYS.1007");
    let foreign = on_bus(
        &t,
        "APIUpdateZoneMsg",
        json!({"uuid": admin_zone["uuid"], "name": "stolen"}),
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(foreign.unwrap_err().code, "ID.1002");

    // Tags.
    let long = on_bus(
        &t,
        "APICreateZoneMsg",
        json!({"name": "t", "userTags": ["x".repeat(2049)]}),
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(long.unwrap_err().code, "SYS.1007");
    let unknown = on_bus(
        &t,
        "APICreateZoneMsg",
        json!({"name": "t", "systemTags": ["no::such::tag"]}),
        "",
        Some(&alice),
    )
    .await;
    assert_eq!(unknown.unwrap_err().code, "SYS.1007");

    // A good create: hers, with its tag; her query sees it and nothing of admin's.
    let created = on_bus(
        &t,
        "APICreateZoneMsg",
        json!({"name": "alice-zone", "userTags": ["mine"]}),
        "",
        Some(&alice),
    )
    .await
    .expect("the create");
    let uuid = created["inventory"]["uuid"].as_str().unwrap().to_string();
    let mine = on_bus(&t, "APIQueryZoneMsg", json!({}), "", Some(&alice))
        .await
        .expect("the query");
    let names: Vec<&str> = mine["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|z| z["name"].as_str())
        .collect();
    assert_eq!(names, ["alice-zone"]);
    assert_eq!(t.query_names(&alice, "/zones").await, ["alice-zone"]);
    let tags = t
        .get(&format!("/user-tags?q=resourceUuid={uuid}"), &admin)
        .await;
    assert_eq!(
        tags.body["inventories"][0]["tag"], "mine",
        "{:?}",
        tags.body
    );
    t.stop().await;
}

#[actix_web::test]
async fn a_create_whose_tags_cannot_be_written_leaves_nothing_behind() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let (_, alice) = account(&t, &admin, "alice").await;
    // The tag table goes away under the node, as a failing disk or a bad migration would.
    let db = Database::connect(t.db.url.as_str()).await.unwrap();
    db.execute_unprepared("DROP TABLE user_tag").await.unwrap();
    db.close().await.unwrap();

    let done = run_job(
        &t,
        Method::POST,
        "/zones",
        &alice,
        Some(json!({"params": {"name": "tagged"}, "userTags": ["mine"]})),
        &[],
    )
    .await;
    assert_eq!(done.status, 503, "{:?}", done.body);
    // No zone, no owner record, no claimed uuid: a create without tags goes through.
    assert!(t.query_names(&admin, "/zones").await.is_empty());
    let done = run_job(
        &t,
        Method::POST,
        "/zones",
        &alice,
        Some(json!({"params": {"name": "plain"}})),
        &[],
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(t.query_names(&alice, "/zones").await, ["plain"]);
    let db = Database::connect(t.db.url.as_str()).await.unwrap();
    let owned = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM account_resource_ref WHERE resource_type = 'ZoneVO'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(owned, 1, "only the zone that exists has an owner record");
    db.close().await.unwrap();
    t.stop().await;
}
