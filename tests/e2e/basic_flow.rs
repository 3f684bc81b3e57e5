//! The seed document's basic flow: login, create a zone, poll, query, logout.

use reqwest::Method;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::common::{ADMIN_PASSWORD_SHA512, TestNode, is_job_location, is_zstack_date};

#[actix_web::test]
async fn login_create_poll_query_logout() {
    let t = TestNode::start().await;

    let login = t
        .send(
            Method::PUT,
            "/accounts/login",
            None,
            Some(json!({"logInByAccount": {"password": ADMIN_PASSWORD_SHA512, "accountName": "admin"}})),
            &[],
        )
        .await;
    assert_eq!(login.status, 200);
    let session = &login.body["inventory"];
    assert_eq!(session["accountUuid"], "36c27e8ff05c4780bf6d2fa65700f22e");
    assert_eq!(session["userUuid"], "36c27e8ff05c4780bf6d2fa65700f22e");
    assert!(is_zstack_date(session["createDate"].as_str().unwrap()));
    assert!(is_zstack_date(session["expiredDate"].as_str().unwrap()));
    let sid = session["uuid"].as_str().unwrap().to_string();

    let accepted = t
        .post_zone(&sid, json!({"name": "Zone1", "description": "Test"}), &[])
        .await;
    assert_eq!(accepted.status, 202);
    let location = accepted.body["location"].as_str().unwrap();
    assert!(is_job_location(location, &t.base), "{location}");

    let done = t.wait_job(location).await;
    assert_eq!(done.status, 200);
    let zone = &done.body["inventory"];
    assert_eq!(zone["name"], "Zone1");
    assert_eq!(zone["description"], "Test");
    assert_eq!(zone["state"], "Enabled");
    assert_eq!(zone["type"], "zstack");
    assert!(is_zstack_date(zone["createDate"].as_str().unwrap()));
    assert!(is_zstack_date(zone["lastOpDate"].as_str().unwrap()));
    let uuid = zone["uuid"].as_str().unwrap();

    let got = t.get(&format!("/zones/{uuid}"), &sid).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["inventories"][0], *zone);
    assert_eq!(
        got.body["schema"]["inventories[0]"],
        "org.zstack.header.zone.ZoneInventory"
    );

    let valid = t
        .get(&format!("/accounts/sessions/{sid}/valid"), &sid)
        .await;
    assert_eq!(valid.body["valid"], true);

    let logout = t
        .send(
            Method::DELETE,
            &format!("/accounts/sessions/{sid}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(logout.status, 200);

    let after = t.get("/zones", &sid).await;
    assert_eq!(after.status, 503);
    assert_eq!(after.code(), "ID.1001");
    t.stop().await;
}

#[actix_web::test]
async fn wrong_credentials_are_id_1000() {
    let t = TestNode::start().await;
    for (name, password) in [("admin", "0123"), ("nobody", ADMIN_PASSWORD_SHA512)] {
        let rsp = t
            .send(
                Method::PUT,
                "/accounts/login",
                None,
                Some(json!({"logInByAccount": {"accountName": name, "password": password}})),
                &[],
            )
            .await;
        assert_eq!(rsp.status, 503);
        assert_eq!(rsp.code(), "ID.1000");
    }
    t.stop().await;
}

#[actix_web::test]
async fn sessions_expire_after_the_configured_timeout() {
    let t = TestNode::start_with(|s| s.session_timeout = 1).await;
    let sid = t.login().await;
    assert_eq!(t.get("/zones", &sid).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let rsp = t.get("/zones", &sid).await;
    assert_eq!(rsp.status, 503);
    assert_eq!(rsp.code(), "ID.1001");
    let fresh = t.login().await;
    let valid = t
        .get(&format!("/accounts/sessions/{sid}/valid"), &fresh)
        .await;
    assert_eq!(valid.body["valid"], false);

    // Expired sessions are swept from the database, not only refused.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let db = &t.node.as_ref().unwrap().node.db;
    let left = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM session",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(left, 0);
    t.stop().await;
}

/// `PRAGMA synchronous` as the node's database connections have it (2: FULL, 1: NORMAL).
async fn sqlite_synchronous(t: &TestNode) -> Option<i64> {
    let db = &t.node.as_ref().unwrap().node.db;
    if db.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return None;
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "PRAGMA synchronous",
        ))
        .await
        .unwrap()
        .unwrap();
    Some(row.try_get_by_index::<i64>(0).unwrap())
}

#[actix_web::test]
async fn sqlite_commits_wait_for_the_disk_unless_the_operator_says_otherwise() {
    let t = TestNode::start().await;
    if let Some(synchronous) = sqlite_synchronous(&t).await {
        assert_eq!(synchronous, 2, "FULL by default");
    }
    t.stop().await;
    let t = TestNode::start_with(|s| s.sqlite_synchronous = "NORMAL".into()).await;
    if let Some(synchronous) = sqlite_synchronous(&t).await {
        assert_eq!(synchronous, 1, "NORMAL when asked");
        // The node works as before.
        let session = t.login().await;
        assert_eq!(t.get("/zones", &session).await.status, 200);
    }
    t.stop().await;
}
