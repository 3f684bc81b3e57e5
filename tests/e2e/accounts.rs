//! Accounts: admin creates and deletes them; a normal account owns what it creates, sees only
//! that in its queries, and gets ID.1002 when it acts on another's resources.

use reqwest::Method;
use serde_json::json;

use crate::common::{ADMIN_PASSWORD_SHA512, TestNode};

/// sha512("secret"), as clients send passwords.
const SECRET_SHA512: &str = "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2";

pub(crate) async fn login_as(t: &TestNode, name: &str, password: &str) -> crate::common::Rsp {
    t.send(
        Method::PUT,
        "/accounts/login",
        None,
        Some(json!({"logInByAccount": {"accountName": name, "password": password}})),
        &[],
    )
    .await
}

pub(crate) async fn account(t: &TestNode, admin: &str, name: &str) -> (String, String) {
    let inv = t
        .create(
            admin,
            "/accounts",
            json!({"name": name, "password": SECRET_SHA512}),
        )
        .await;
    assert_eq!(inv["name"], name);
    assert_eq!(inv["type"], "Normal");
    assert!(inv.get("password").is_none(), "{inv}");
    let rsp = login_as(t, name, SECRET_SHA512).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    (
        inv["uuid"].as_str().unwrap().to_string(),
        rsp.body["inventory"]["uuid"].as_str().unwrap().to_string(),
    )
}

#[actix_web::test]
async fn each_account_sees_and_touches_only_what_it_owns() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let admin_zone = t.create_zone(&admin, json!({"name": "admin-zone"})).await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;
    let (_bob_uuid, bob) = account(&t, &admin, "bob").await;
    let alice_zone = t.create_zone(&alice, json!({"name": "alice-zone"})).await;
    let alice_cluster = t
        .create(
            &alice,
            "/clusters",
            json!({"name": "alice-c", "zoneUuid": alice_zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;

    // Queries: each normal account sees its own; admin sees everything.
    assert_eq!(t.query_names(&alice, "/zones").await, ["alice-zone"]);
    assert_eq!(t.query_names(&alice, "/clusters").await, ["alice-c"]);
    assert_eq!(t.query_names(&bob, "/zones").await, Vec::<String>::new());
    assert_eq!(
        t.query_names(&admin, "/zones").await,
        ["admin-zone", "alice-zone"]
    );
    let by_uuid = t
        .get(
            &format!("/zones/{}", alice_zone["uuid"].as_str().unwrap()),
            &bob,
        )
        .await;
    assert_eq!(by_uuid.body["inventories"].as_array().unwrap().len(), 0);
    assert_eq!(
        t.query_names(&alice, "/zones?q=cluster.name=alice-c").await,
        ["alice-zone"]
    );

    // Acting on another account's resources is ID.1002, whatever the API.
    let zone_path =
        |z: &serde_json::Value| format!("/zones/{}/actions", z["uuid"].as_str().unwrap());
    let denied = t
        .action(
            &bob,
            &zone_path(&alice_zone),
            "updateZone",
            json!({"name": "mine"}),
        )
        .await;
    assert_eq!(denied.status, 503, "{:?}", denied.body);
    assert_eq!(denied.code(), "ID.1002");
    let denied = t
        .action(
            &alice,
            &zone_path(&admin_zone),
            "changeZoneState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(denied.code(), "ID.1002");
    let denied = t
        .call_async(
            Method::DELETE,
            &format!("/clusters/{}", alice_cluster["uuid"].as_str().unwrap()),
            &bob,
            None,
        )
        .await;
    assert_eq!(denied.code(), "ID.1002");
    let denied = t
        .call_async(
            Method::POST,
            "/clusters",
            &bob,
            Some(json!({"params": {"name": "sneaky", "zoneUuid": alice_zone["uuid"], "hypervisorType": "KVM"}})),
        )
        .await;
    assert_eq!(denied.code(), "ID.1002");
    let denied = t
        .call_async(
            Method::POST,
            "/user-tags",
            &bob,
            Some(json!({"params": {"resourceType": "ZoneVO", "resourceUuid": alice_zone["uuid"], "tag": "x"}})),
        )
        .await;
    assert_eq!(denied.code(), "ID.1002");
    // Lists of references are checked too: admin's backup storage, admin's zone capacity.
    let store = t
        .create(
            &admin,
            "/backup-storage/sftp",
            json!({"name": "store", "url": "/s", "hostname": "10.0.0.2", "username": "root", "password": "p"}),
        )
        .await;
    let denied = t
        .call_async(
            Method::POST,
            "/images",
            &alice,
            Some(json!({"params": {"name": "img", "url": "http://x/img.qcow2", "backupStorageUuids": [store["uuid"]]}})),
        )
        .await;
    assert_eq!(denied.code(), "ID.1002", "{:?}", denied.body);
    let denied = t
        .get(
            &format!(
                "/hosts/capacities/cpu-memory?zoneUuids={}",
                admin_zone["uuid"].as_str().unwrap()
            ),
            &alice,
        )
        .await;
    assert_eq!(denied.code(), "ID.1002", "{:?}", denied.body);
    let mine = t
        .get(
            &format!(
                "/hosts/capacities/cpu-memory?zoneUuids={}",
                alice_zone["uuid"].as_str().unwrap()
            ),
            &alice,
        )
        .await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);

    // Nothing changed; the owner can act.
    assert_eq!(t.query_names(&admin, "/clusters").await, ["alice-c"]);
    let done = t
        .action(
            &alice,
            &zone_path(&alice_zone),
            "updateZone",
            json!({"description": "ok"}),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    // Admin acts on anyone's.
    let done = t
        .action(
            &admin,
            &zone_path(&alice_zone),
            "changeZoneState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.status, 200);

    // Accounts are admin's to manage; a normal account sees only itself.
    let denied = t
        .call_async(
            Method::POST,
            "/accounts",
            &alice,
            Some(json!({"params": {"name": "eve", "password": SECRET_SHA512}})),
        )
        .await;
    assert_eq!(denied.code(), "ID.1002");
    assert_eq!(t.query_names(&alice, "/accounts").await, ["alice"]);
    assert_eq!(
        t.query_names(&admin, "/accounts").await,
        ["admin", "alice", "bob"]
    );
    let dup = t
        .call_async(
            Method::POST,
            "/accounts",
            &admin,
            Some(json!({"params": {"name": "bob", "password": SECRET_SHA512}})),
        )
        .await;
    assert_eq!(dup.code(), "SYS.1007");

    // Deleting an account ends its sessions; what it created stays for admin.
    let done = t
        .call_async(
            Method::DELETE,
            &format!("/accounts/{alice_uuid}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let gone = t.get("/zones", &alice).await;
    assert_eq!(gone.code(), "ID.1001");
    assert_eq!(login_as(&t, "alice", SECRET_SHA512).await.code(), "ID.1000");
    assert_eq!(
        t.query_names(&admin, "/zones").await,
        ["admin-zone", "alice-zone"]
    );
    let refused = t
        .call_async(
            Method::DELETE,
            "/accounts/36c27e8ff05c4780bf6d2fa65700f22e",
            &admin,
            None,
        )
        .await;
    assert_eq!(refused.code(), "SYS.1006");
    assert_eq!(
        login_as(&t, "admin", ADMIN_PASSWORD_SHA512).await.status,
        200
    );
    t.stop().await;
}
