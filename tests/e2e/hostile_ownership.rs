//! A uuid names one resource across every family, owner records name the resource's type, and
//! deleting one's own resource never takes another account's with it.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::accounts::account;
use crate::common::{Rsp, TestNode};

/// Submits an async API and polls its job with `session` until it ends.
pub(crate) async fn run_job(
    t: &TestNode,
    method: Method,
    path: &str,
    session: &str,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Rsp {
    let accepted = t.send(method, path, Some(session), body, headers).await;
    assert_eq!(accepted.status, 202, "{path}: {:?}", accepted.body);
    let location = accepted.body["location"].as_str().expect("a location");
    finish(t, session, location).await
}

/// Polls job `location` with `session` until it is no longer running.
pub(crate) async fn finish(t: &TestNode, session: &str, location: &str) -> Rsp {
    for _ in 0..1500 {
        let rsp = t
            .send(Method::GET, location, Some(session), None, &[])
            .await;
        if rsp.status != 202 {
            return rsp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("job {location} did not finish");
}

fn uuid_of(v: &Value) -> String {
    v["uuid"].as_str().expect("a uuid").to_string()
}

/// A simulator cluster named `name` in `zone`, created by `session`.
async fn cluster_in(t: &TestNode, session: &str, zone: &Value, name: &str) -> Value {
    t.create(
        session,
        "/clusters",
        json!({"name": name, "zoneUuid": uuid_of(zone), "hypervisorType": "Simulator"}),
    )
    .await
}

#[actix_web::test]
async fn a_resource_uuid_already_used_by_any_family_is_refused() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let zone = t.create_zone(&admin, json!({"name": "admin-zone"})).await;
    let cluster = cluster_in(&t, &admin, &zone, "admin-c").await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;

    // Alice names her new zone after admin's cluster, then after the admin account.
    for taken in [uuid_of(&cluster), zstack_account::ADMIN_UUID.to_string()] {
        let done = run_job(
            &t,
            Method::POST,
            "/zones",
            &alice,
            Some(json!({"params": {"name": "mine", "resourceUuid": taken}})),
            &[],
        )
        .await;
        assert_eq!(done.status, 503, "{:?}", done.body);
        assert_eq!(done.code(), "SYS.1007");
        assert!(done.details().contains(&taken), "{}", done.details());
    }
    // Nothing of admin's became hers.
    assert_eq!(t.query_names(&alice, "/zones").await, Vec::<String>::new());
    assert_eq!(
        t.query_names(&alice, "/clusters").await,
        Vec::<String>::new()
    );
    let accounts = t.get("/accounts", &alice).await;
    let names: Vec<&str> = accounts.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["alice"], "{:?}", accounts.body);
    let rename = run_job(
        &t,
        Method::PUT,
        &format!("/clusters/{}/actions", uuid_of(&cluster)),
        &alice,
        Some(json!({"updateCluster": {"name": "stolen"}})),
        &[],
    )
    .await;
    assert_eq!(rename.code(), "ID.1002", "{:?}", rename.body);

    // Admin too: a cluster cannot take a zone's uuid, nor an account's.
    for taken in [uuid_of(&zone), alice_uuid] {
        let done = run_job(
            &t,
            Method::POST,
            "/clusters",
            &admin,
            Some(json!({"params": {"name": "dup", "zoneUuid": uuid_of(&zone),
                "hypervisorType": "Simulator", "resourceUuid": taken}})),
            &[],
        )
        .await;
        assert_eq!(done.code(), "SYS.1007", "{:?}", done.body);
    }
    assert_eq!(t.query_names(&admin, "/clusters").await, ["admin-c"]);
    t.stop().await;
}

/// A database from before uuids were unique across families may hold an owner record of one
/// type for a uuid another family also used: it grants nothing on the other resource.
#[actix_web::test]
async fn owner_records_count_only_for_the_type_they_name() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let zone = t.create_zone(&admin, json!({"name": "admin-zone"})).await;
    let cluster = cluster_in(&t, &admin, &zone, "admin-c").await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;
    let db = Database::connect(t.db.url.as_str()).await.unwrap();
    db.execute_unprepared(&format!(
        "INSERT INTO account_resource_ref (resource_uuid, account_uuid, resource_type, create_date) \
         VALUES ('{}', '{alice_uuid}', 'ZoneVO', CURRENT_TIMESTAMP)",
        uuid_of(&cluster)
    ))
    .await
    .unwrap();
    db.close().await.unwrap();

    assert_eq!(
        t.query_names(&alice, "/clusters").await,
        Vec::<String>::new()
    );
    let path = format!("/clusters/{}", uuid_of(&cluster));
    let rename = run_job(
        &t,
        Method::PUT,
        &format!("{path}/actions"),
        &alice,
        Some(json!({"updateCluster": {"name": "stolen"}})),
        &[],
    )
    .await;
    assert_eq!(rename.code(), "ID.1002", "{:?}", rename.body);
    let delete = run_job(&t, Method::DELETE, &path, &alice, None, &[]).await;
    assert_eq!(delete.status, 503, "{:?}", delete.body);
    assert_eq!(delete.code(), "ID.1002");
    let tag = t
        .send(
            Method::POST,
            "/user-tags",
            Some(&alice),
            Some(json!({"params": {"resourceType": "ClusterVO",
                "resourceUuid": uuid_of(&cluster), "tag": "mine"}})),
            &[],
        )
        .await;
    let tag = finish(&t, &alice, tag.body["location"].as_str().unwrap()).await;
    assert_eq!(tag.code(), "ID.1002", "{:?}", tag.body);
    assert_eq!(t.query_names(&admin, "/clusters").await, ["admin-c"]);
    t.stop().await;
}

#[actix_web::test]
async fn deleting_ones_zone_refuses_while_another_accounts_resources_are_inside() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let (_, alice) = account(&t, &admin, "alice").await;
    let zone = t.create_zone(&alice, json!({"name": "alice-zone"})).await;
    let mine = cluster_in(&t, &alice, &zone, "alice-c").await;
    let foreign = cluster_in(&t, &admin, &zone, "admin-c").await;
    let host = t
        .create(
            &admin,
            "/hosts/simulators",
            json!({"name": "admin-h", "clusterUuid": uuid_of(&foreign),
                "managementIp": "10.0.0.9", "cpuCapacity": 8, "memoryCapacity": 8589934592u64}),
        )
        .await;

    for mode in ["Permissive", "Enforcing"] {
        let done = run_job(
            &t,
            Method::DELETE,
            &format!("/zones/{}?deleteMode={mode}", uuid_of(&zone)),
            &alice,
            None,
            &[],
        )
        .await;
        assert_eq!(done.status, 503, "{mode}: {:?}", done.body);
        assert_eq!(done.code(), "ID.1002", "{mode}: {:?}", done.body);
        assert!(
            done.details()
                .contains(&format!("ClusterVO[uuid:{}]", uuid_of(&foreign))),
            "{}",
            done.details()
        );
        assert!(
            !done.details().contains(&uuid_of(&mine)),
            "{}",
            done.details()
        );
    }
    // Nothing went: her own cluster, admin's cluster and host, the zone.
    assert_eq!(t.query_names(&alice, "/zones").await, ["alice-zone"]);
    assert_eq!(t.query_names(&alice, "/clusters").await, ["alice-c"]);
    assert_eq!(
        t.query_names(&admin, "/clusters").await,
        ["admin-c", "alice-c"]
    );
    assert_eq!(t.query_names(&admin, "/hosts").await, ["admin-h"]);
    let _ = host;

    // Once admin takes its cluster away, her delete goes through, her cluster with it.
    let gone = run_job(
        &t,
        Method::DELETE,
        &format!("/clusters/{}", uuid_of(&foreign)),
        &admin,
        None,
        &[],
    )
    .await;
    assert_eq!(gone.status, 200, "{:?}", gone.body);
    let done = run_job(
        &t,
        Method::DELETE,
        &format!("/zones/{}", uuid_of(&zone)),
        &alice,
        None,
        &[],
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(
        t.query_names(&admin, "/clusters").await,
        Vec::<String>::new()
    );
    // Its uuid is free again once it is gone.
    let again = run_job(
        &t,
        Method::POST,
        "/zones",
        &admin,
        Some(json!({"params": {"name": "reborn", "resourceUuid": uuid_of(&zone)}})),
        &[],
    )
    .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    t.stop().await;
}

/// An image whose only copy is on the backup storage being deleted goes with it, so it is a
/// dependent: another account's image there stops the delete.
#[actix_web::test]
async fn deleting_ones_backup_storage_refuses_while_another_accounts_image_lives_only_there() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let (_, alice) = account(&t, &admin, "alice").await;
    let bs = t
        .create(
            &alice,
            "/backup-storage/image-store",
            json!({"name": "alice-bs", "url": "/alice-bs", "hostname": "10.1.0.1",
                "username": "root", "password": "secret", "totalCapacity": 1u64 << 40}),
        )
        .await;
    let image = t
        .create(
            &admin,
            "/images",
            json!({"name": "admin-iso", "url": "http://images.example/tools.iso",
                "mediaType": "ISO", "backupStorageUuids": [uuid_of(&bs)]}),
        )
        .await;
    let done = run_job(
        &t,
        Method::DELETE,
        &format!("/backup-storage/{}?deleteMode=Enforcing", uuid_of(&bs)),
        &alice,
        None,
        &[],
    )
    .await;
    assert_eq!(done.code(), "ID.1002", "{:?}", done.body);
    assert!(
        done.details()
            .contains(&format!("ImageVO[uuid:{}]", uuid_of(&image))),
        "{}",
        done.details()
    );
    assert_eq!(t.query_names(&admin, "/images").await, ["admin-iso"]);
    assert_eq!(t.query_names(&alice, "/backup-storage").await, ["alice-bs"]);
    t.stop().await;
}
