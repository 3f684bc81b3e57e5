//! The REST rules of the seed's "API规范概述": status codes, headers, body keys, path hygiene.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use zstack_kernel::bus::Intercept;
use zstack_zone::APICreateZoneMsg;

use crate::common::TestNode;

#[actix_web::test]
async fn unknown_paths_wrong_methods_and_bad_bodies_are_refused() {
    let t = TestNode::start().await;
    let sid = t.login().await;

    let r = t
        .send(Method::GET, "/no-such-things", Some(&sid), None, &[])
        .await;
    assert_eq!(r.status, 404);
    assert!(r.details().contains("/no-such-things"));

    let r = t
        .send(Method::DELETE, "/zones", Some(&sid), None, &[])
        .await;
    assert_eq!(r.status, 405);
    let r = t.send(Method::PATCH, "/zones", Some(&sid), None, &[]).await;
    assert_eq!(r.status, 405);

    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let actions = format!("/zones/{}/actions", zone["uuid"].as_str().unwrap());
    let r = t
        .send(
            Method::PUT,
            &actions,
            Some(&sid),
            Some(json!({"startVmInstance": {}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.details().contains("action"));

    let r = t
        .client
        .post(t.url("/zones"))
        .header("Authorization", format!("OAuth {sid}"))
        .body("{\"params\": {\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    let r = t
        .post_zone(&sid, json!({"name": "z", "isDefault": "yes"}), &[])
        .await;
    assert_eq!(r.status, 400);
    assert!(r.details().contains("isDefault"), "{:?}", r.body);
    t.stop().await;
}

#[actix_web::test]
async fn double_slashes_collapse_and_unknown_or_empty_parameters_are_ignored() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let uuid = zone["uuid"].as_str().unwrap();

    let r = t
        .client
        .get(format!("{}//zstack//v1//zones?foo=bar&q=&limit=", t.base))
        .header("Authorization", format!("OAuth {sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["inventories"][0]["uuid"], uuid);

    let deleted = t
        .call_async(
            Method::DELETE,
            &format!("/zones/{uuid}?deleteMode=&whatever=1"),
            &sid,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200);
    t.stop().await;
}

#[actix_web::test]
async fn sessions_are_required_except_for_login_logout_version_and_time() {
    let t = TestNode::start().await;
    let r = t.send(Method::GET, "/zones", None, None, &[]).await;
    assert_eq!(r.status, 400);
    assert!(r.details().contains("Authorization"));

    let r = t
        .send(
            Method::GET,
            "/zones",
            None,
            None,
            &[("Authorization", "Basic abc")],
        )
        .await;
    assert_eq!(r.status, 400);

    let r = t.get("/zones", "d825b1a26f4e474b8c59306081920ff2").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.code(), "ID.1001");

    let r = t
        .send(
            Method::POST,
            "/zones",
            Some("d825b1a26f4e474b8c59306081920ff2"),
            Some(json!({"params": {"name": "z"}})),
            &[],
        )
        .await;
    assert_eq!(
        r.status, 503,
        "an async API with a bad session is refused at once"
    );
    assert_eq!(r.code(), "ID.1001");

    for action in ["getVersion", "getCurrentTime"] {
        let r = t
            .send(
                Method::PUT,
                "/management-nodes/actions",
                None,
                Some(json!({ action: {} })),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{action}");
    }
    let r = t
        .send(
            Method::DELETE,
            "/accounts/sessions/d825b1a26f4e474b8c59306081920ff2",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    t.stop().await;
}

#[actix_web::test]
async fn x_job_uuid_must_be_a_dashless_v4_uuid_and_is_not_reusable_on_writes() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let body = || json!({"name": "z"});
    for bad in [
        "d825b1a2-6f4e-474b-8c59-306081920ff2",
        "D825B1A26F4E474B8C59306081920FF2",
        "d825b1a26f4e174b8c59306081920ff2",
        "short",
    ] {
        let r = t.post_zone(&sid, body(), &[("X-Job-UUID", bad)]).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.details().contains("X-Job-UUID"));
    }
    let job = "d825b1a26f4e474b8c59306081920ff2";
    let r = t.post_zone(&sid, body(), &[("X-Job-UUID", job)]).await;
    assert_eq!(r.status, 202);
    let location = r.body["location"].as_str().unwrap();
    assert!(location.ends_with(&format!("/api-jobs/{job}")));
    assert_eq!(t.wait_job(location).await.status, 200);

    let again = t.post_zone(&sid, body(), &[("X-Job-UUID", job)]).await;
    assert_eq!(again.status, 400);
    assert!(again.details().contains("Duplicate"));
    let zones = t.get("/zones?count=true", &sid).await;
    assert_eq!(
        zones.body["total"], 1,
        "the refused request created nothing"
    );
    let read = t
        .send(
            Method::GET,
            "/zones",
            Some(&sid),
            None,
            &[("X-Job-UUID", job)],
        )
        .await;
    assert_eq!(read.status, 200, "a reused id on a read is fine");
    t.stop().await;
}

#[actix_web::test]
async fn api_jobs_answer_202_while_running_then_200_and_only_to_get() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_millis(600)));
    let r = t.post_zone(&sid, json!({"name": "z"}), &[]).await;
    let location = r.body["location"].as_str().unwrap().to_string();
    let running = t.send(Method::GET, &location, Some(&sid), None, &[]).await;
    assert_eq!(running.status, 202);
    assert_eq!(running.body["location"], location.as_str());
    let wrong = t.send(Method::DELETE, &location, None, None, &[]).await;
    assert_eq!(wrong.status, 405);
    assert_eq!(t.wait_job(&location).await.status, 200);

    let unknown = t
        .send(
            Method::GET,
            "/api-jobs/d825b1a26f4e474b8c59306081920ff2",
            Some(&sid),
            None,
            &[],
        )
        .await;
    assert_eq!(unknown.status, 404);
    t.stop().await;
}

#[actix_web::test]
async fn finished_jobs_expire_after_the_retention_period() {
    let t = TestNode::start_with(|s| s.job_retention = 1).await;
    let sid = t.login().await;
    let r = t.post_zone(&sid, json!({"name": "z"}), &[]).await;
    let location = r.body["location"].as_str().unwrap().to_string();
    assert_eq!(t.wait_job(&location).await.status, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        t.send(Method::GET, &location, Some(&sid), None, &[])
            .await
            .status,
        404
    );
    t.stop().await;
}

#[actix_web::test]
async fn invalid_parameters_fail_the_job_with_the_field_named() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let actions = format!("/zones/{}/actions", zone["uuid"].as_str().unwrap());
    let cases = [
        (
            Method::POST,
            "/zones".to_string(),
            json!({"params": {"description": "no name"}}),
            "SYS.1007",
            "name",
        ),
        (
            Method::POST,
            "/zones".to_string(),
            json!({"params": {"name": "x".repeat(256)}}),
            "SYS.1007",
            "max length",
        ),
        (
            Method::POST,
            "/zones".to_string(),
            json!({"params": {"name": "x", "resourceUuid": "not-a-uuid"}}),
            "SYS.1007",
            "resourceUuid",
        ),
        (
            Method::PUT,
            actions.clone(),
            json!({"changeZoneState": {"stateEvent": "explode"}}),
            "SYS.1007",
            "stateEvent",
        ),
        (
            Method::PUT,
            "/zones/0f1e2d3c4b5a49688776a5b4c3d2e1f0/actions".to_string(),
            json!({"updateZone": {"name": "x"}}),
            "SYS.1003",
            "0f1e2d3c4b5a49688776a5b4c3d2e1f0",
        ),
    ];
    for (method, path, body, code, mentions) in cases {
        let done = t.call_async(method, &path, &sid, Some(body.clone())).await;
        assert_eq!(done.status, 503, "{body}");
        assert_eq!(done.code(), code, "{body}");
        let details = done.details();
        assert!(details.contains(mentions), "{details}");
    }
    // Names are trimmed, as ZStack does.
    let z = t.create_zone(&sid, json!({"name": "  spaced  "})).await;
    assert_eq!(z["name"], "spaced");
    t.stop().await;
}

#[actix_web::test]
async fn x_json_schema_adds_the_schema_map_to_other_replies() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let r = t
        .post_zone(&sid, json!({"name": "z"}), &[("X-JSON-Schema", "true")])
        .await;
    let done = t.wait_job(r.body["location"].as_str().unwrap()).await;
    assert_eq!(
        done.body["schema"]["inventory"],
        "org.zstack.header.zone.ZoneInventory"
    );
    let plain = t.create_zone(&sid, json!({"name": "y"})).await;
    assert!(plain.get("schema").is_none());
    t.stop().await;
}
