//! Primary and backup storage built over REST: adding, attaching to clusters and zones,
//! refusals, cross-resource queries both ways, state changes, and cascade on delete.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode, is_zstack_date};

const GB: i64 = 1 << 30;
const TB: i64 = 1 << 40;

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

async fn zone(t: &TestNode, sid: &str, name: &str) -> String {
    uuid_of(&t.create_zone(sid, json!({ "name": name })).await)
}

async fn cluster(t: &TestNode, sid: &str, name: &str, zone: &str) -> String {
    let inv = t
        .create(
            sid,
            "/clusters",
            json!({ "name": name, "zoneUuid": zone, "hypervisorType": "Simulator" }),
        )
        .await;
    uuid_of(&inv)
}

async fn post(t: &TestNode, sid: &str, path: &str, params: Value) -> Rsp {
    t.call_async(Method::POST, path, sid, Some(json!({ "params": params })))
        .await
}

async fn delete(t: &TestNode, sid: &str, path: &str) -> Rsp {
    t.call_async(Method::DELETE, path, sid, None).await
}

async fn attach_ps(t: &TestNode, sid: &str, cluster: &str, ps: &str) -> Rsp {
    post(
        t,
        sid,
        &format!("/clusters/{cluster}/primary-storage/{ps}"),
        json!({}),
    )
    .await
}

async fn attach_bs(t: &TestNode, sid: &str, zone: &str, bs: &str) -> Rsp {
    post(
        t,
        sid,
        &format!("/zones/{zone}/backup-storage/{bs}"),
        json!({}),
    )
    .await
}

async fn image_store(t: &TestNode, sid: &str, name: &str) -> Value {
    t.create(
        sid,
        "/backup-storage/image-store",
        json!({
            "name": name, "url": format!("/{name}"), "hostname": "10.1.0.1",
            "username": "root", "password": "secret", "totalCapacity": 100 * GB,
        }),
    )
    .await
}

#[actix_web::test]
async fn primary_storage_is_added_attached_queried_and_refused() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let z1 = zone(&t, &sid, "z1").await;
    let z2 = zone(&t, &sid, "z2").await;
    let c1 = cluster(&t, &sid, "c1", &z1).await;
    let c2 = cluster(&t, &sid, "c2", &z1).await;
    let c3 = cluster(&t, &sid, "c3", &z2).await;

    let ps1 = t
        .create(
            &sid,
            "/primary-storage/local-storage",
            json!({ "name": "ps1", "url": "/local_ps", "zoneUuid": z1, "totalCapacity": 100 * GB }),
        )
        .await;
    assert_eq!(ps1["type"], "LocalStorage");
    assert_eq!(ps1["zoneUuid"], z1.as_str());
    assert_eq!(ps1["url"], "/local_ps");
    assert_eq!(ps1["state"], "Enabled");
    assert_eq!(ps1["status"], "Connected");
    assert_eq!(ps1["totalCapacity"], 100 * GB);
    assert_eq!(ps1["availableCapacity"], 100 * GB);
    assert_eq!(ps1["totalPhysicalCapacity"], 100 * GB);
    assert_eq!(ps1["availablePhysicalCapacity"], 100 * GB);
    assert_eq!(ps1["systemUsedCapacity"], 0);
    assert!(is_zstack_date(ps1["createDate"].as_str().unwrap()));
    assert!(is_zstack_date(ps1["lastOpDate"].as_str().unwrap()));
    assert!(ps1.get("description").is_none(), "null fields are omitted");
    let ps1 = uuid_of(&ps1);

    let ps2 = t
        .create(
            &sid,
            "/primary-storage/nfs",
            json!({ "name": "ps2", "url": "10.0.0.5:/nfs/share", "zoneUuid": z1, "description": "shared" }),
        )
        .await;
    assert_eq!(ps2["type"], "NFS");
    assert_eq!(ps2["totalCapacity"], TB);
    assert_eq!(ps2["description"], "shared");
    let ps2 = uuid_of(&ps2);
    assert!(
        t.get(&format!("/primary-storage/{ps2}"), &sid).await.body["inventories"][0]["mountPath"]
            .as_str()
            .unwrap()
            .contains(&ps2)
    );

    // Refusals: an NFS url that is not host:/path, a zone that does not exist.
    for url in ["not-a-url", "/nfs/share", "host:relative"] {
        let rsp = post(
            &t,
            &sid,
            "/primary-storage/nfs",
            json!({ "name": "bad", "url": url, "zoneUuid": z1 }),
        )
        .await;
        assert_eq!(rsp.status, 503, "{url}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007", "{url}");
        assert!(rsp.details().contains(url), "{}", rsp.details());
    }
    let missing = "0123456789abcdef0123456789abcdef";
    let rsp = post(
        &t,
        &sid,
        "/primary-storage/local-storage",
        json!({ "name": "bad", "url": "/x", "zoneUuid": missing }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    assert!(rsp.details().contains(missing));
    // A resourceUuid already taken is refused.
    let rsp = post(
        &t,
        &sid,
        "/primary-storage/local-storage",
        json!({ "name": "dup", "url": "/x", "zoneUuid": z1, "resourceUuid": ps1 }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert_eq!(
        t.query_names(&sid, "/primary-storage").await,
        ["ps1", "ps2"]
    );

    // Attach: the reply is the storage; twice or across zones is refused.
    let rsp = attach_ps(&t, &sid, &c1, &ps1).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["uuid"], ps1.as_str());
    assert_eq!(rsp.body["inventory"]["attachedClusterUuids"], json!([c1]));
    let rsp = attach_ps(&t, &sid, &c1, &ps1).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(rsp.details().contains("already attached"));
    let rsp = attach_ps(&t, &sid, &c3, &ps1).await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains(&z2), "{}", rsp.details());
    for c in [&c1, &c2] {
        assert_eq!(attach_ps(&t, &sid, c, &ps2).await.status, 200);
    }

    // Queries both ways, through the attachments and through the zone.
    assert_eq!(
        t.query_names(&sid, "/clusters?q=primaryStorage.name=ps1")
            .await,
        ["c1"]
    );
    assert_eq!(
        t.query_names(&sid, "/clusters?q=primaryStorage.name=ps2")
            .await,
        ["c1", "c2"]
    );
    assert_eq!(
        t.query_names(&sid, "/primary-storage?q=cluster.name=c1")
            .await,
        ["ps1", "ps2"]
    );
    assert_eq!(
        t.query_names(&sid, "/primary-storage?q=cluster.name=c2")
            .await,
        ["ps2"]
    );
    assert_eq!(
        t.query_names(&sid, "/primary-storage?q=zone.name=z1").await,
        ["ps1", "ps2"]
    );
    assert!(
        t.query_names(&sid, "/primary-storage?q=zone.name=z2")
            .await
            .is_empty()
    );
    assert_eq!(
        t.query_names(&sid, "/zones?q=primaryStorage.type=NFS")
            .await,
        ["z1"]
    );
    assert_eq!(
        t.query_names(&sid, "/zones?q=cluster.primaryStorage.name=ps1")
            .await,
        ["z1"]
    );

    // Detach: the link goes, the storage stays; detaching what is not attached is refused.
    let rsp = delete(&t, &sid, &format!("/clusters/{c2}/primary-storage/{ps2}")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["name"], "ps2");
    assert!(
        t.query_names(&sid, "/primary-storage?q=cluster.name=c2")
            .await
            .is_empty()
    );
    let rsp = delete(&t, &sid, &format!("/clusters/{c2}/primary-storage/{ps2}")).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(rsp.details().contains("not attached"), "{}", rsp.details());

    // Update, state, reconnect.
    let path = format!("/primary-storage/{ps2}/actions");
    let rsp = t
        .action(
            &sid,
            &path,
            "updatePrimaryStorage",
            json!({ "name": "ps2b", "description": "d2", "url": "10.0.0.6:/nfs/other" }),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["name"], "ps2b");
    assert_eq!(rsp.body["inventory"]["url"], "10.0.0.6:/nfs/other");
    let rsp = t
        .action(
            &sid,
            &path,
            "updatePrimaryStorage",
            json!({ "url": "nowhere" }),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    for (event, state) in [
        ("disable", "Disabled"),
        ("maintain", "Maintenance"),
        ("enable", "Enabled"),
    ] {
        let rsp = t
            .action(
                &sid,
                &path,
                "changePrimaryStorageState",
                json!({ "stateEvent": event }),
            )
            .await;
        assert_eq!(rsp.body["inventory"]["state"], state, "{:?}", rsp.body);
    }
    let rsp = t
        .action(
            &sid,
            &path,
            "changePrimaryStorageState",
            json!({ "stateEvent": "explode" }),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = t
        .action(&sid, &path, "reconnectPrimaryStorage", json!({}))
        .await;
    assert_eq!(
        rsp.body["inventory"]["status"], "Connected",
        "{:?}",
        rsp.body
    );
    assert_eq!(
        t.query_names(&sid, "/primary-storage?q=state=Enabled&q=name=ps2b")
            .await,
        ["ps2b"]
    );

    // A cluster's going detaches its storage; the storage stays.
    assert_eq!(
        delete(&t, &sid, &format!("/clusters/{c1}")).await.status,
        200
    );
    assert_eq!(
        t.query_names(&sid, "/primary-storage").await,
        ["ps1", "ps2b"]
    );
    assert!(
        t.query_names(&sid, "/clusters?q=primaryStorage.name=ps1")
            .await
            .is_empty()
    );
    assert_eq!(attach_ps(&t, &sid, &c2, &ps1).await.status, 200);

    // Deleting a primary storage detaches it first.
    assert_eq!(
        delete(&t, &sid, &format!("/primary-storage/{ps1}"))
            .await
            .status,
        200
    );
    let rsp = t.get(&format!("/primary-storage/{ps1}"), &sid).await;
    assert_eq!(rsp.body["inventories"], json!([]));
    assert!(
        t.query_names(&sid, &format!("/clusters?q=primaryStorage.uuid={ps1}"))
            .await
            .is_empty()
    );
    t.stop().await;
}

#[actix_web::test]
async fn backup_storage_is_added_attached_to_zones_and_never_shows_its_password() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let z1 = zone(&t, &sid, "z1").await;
    let z2 = zone(&t, &sid, "z2").await;

    let bs1 = image_store(&t, &sid, "bs1").await;
    assert_eq!(bs1["type"], "ImageStoreBackupStorage");
    assert_eq!(bs1["hostname"], "10.1.0.1");
    assert_eq!(bs1["username"], "root");
    assert_eq!(bs1["sshPort"], 22);
    assert_eq!(bs1["url"], "/bs1");
    assert_eq!(bs1["totalCapacity"], 100 * GB);
    assert_eq!(bs1["availableCapacity"], 100 * GB);
    assert_eq!(bs1["state"], "Enabled");
    assert_eq!(bs1["status"], "Connected");
    assert!(is_zstack_date(bs1["createDate"].as_str().unwrap()));
    assert!(bs1.get("password").is_none(), "{bs1:?}");
    let bs1 = uuid_of(&bs1);
    let bs2 = t
        .create(
            &sid,
            "/backup-storage/sftp",
            json!({
                "name": "bs2", "url": "/sftp", "hostname": "10.1.0.2", "username": "root",
                "password": "secret", "sshPort": 2222,
            }),
        )
        .await;
    assert_eq!(bs2["type"], "SftpBackupStorage");
    assert_eq!(bs2["sshPort"], 2222);
    assert_eq!(bs2["totalCapacity"], TB);
    assert!(bs2.get("password").is_none());
    let bs2 = uuid_of(&bs2);

    // The password is in no reply and cannot be queried.
    let all = t.get("/backup-storage", &sid).await;
    assert_eq!(all.body["inventories"].as_array().unwrap().len(), 2);
    assert!(!all.body.to_string().contains("secret"), "{:?}", all.body);
    let one = t.get(&format!("/backup-storage/{bs1}"), &sid).await;
    assert_eq!(one.body["inventories"][0]["name"], "bs1");
    assert!(one.body["inventories"][0].get("password").is_none());
    let rsp = t.get("/backup-storage?q=password=secret", &sid).await;
    assert_ne!(rsp.status, 200, "{:?}", rsp.body);

    // Refusals.
    let rsp = post(
        &t,
        &sid,
        "/backup-storage/sftp",
        json!({ "name": "x", "url": "/x", "hostname": "h", "username": "u", "password": "p", "sshPort": 70000 }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = post(
        &t,
        &sid,
        "/backup-storage/image-store",
        json!({ "name": "x", "url": "/x", "hostname": "h", "username": "u" }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1007", "a missing password: {:?}", rsp.body);
    assert!(rsp.details().contains("password"), "{}", rsp.details());

    // Attach to zones; twice is refused.
    for (z, bs) in [(&z1, &bs1), (&z2, &bs1), (&z2, &bs2)] {
        let rsp = attach_bs(&t, &sid, z, bs).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        assert_eq!(rsp.body["inventory"]["uuid"], bs.as_str());
        let attached = rsp.body["inventory"]["attachedZoneUuids"]
            .as_array()
            .unwrap()
            .clone();
        assert!(attached.contains(&json!(z)), "{attached:?}");
        assert!(rsp.body["inventory"].get("password").is_none());
    }
    let rsp = attach_bs(&t, &sid, &z1, &bs1).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = attach_bs(&t, &sid, "0123456789abcdef0123456789abcdef", &bs1).await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);

    assert_eq!(
        t.query_names(&sid, "/zones?q=backupStorage.name=bs1").await,
        ["z1", "z2"]
    );
    assert_eq!(
        t.query_names(&sid, "/zones?q=backupStorage.name=bs2").await,
        ["z2"]
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=zone.name=z2").await,
        ["bs1", "bs2"]
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=zone.name=z1").await,
        ["bs1"]
    );

    // Detach.
    let rsp = delete(&t, &sid, &format!("/zones/{z2}/backup-storage/{bs1}")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=zone.name=z2").await,
        ["bs2"]
    );
    let rsp = delete(&t, &sid, &format!("/zones/{z2}/backup-storage/{bs1}")).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // Update, state, reconnect.
    let path = format!("/backup-storage/{bs2}/actions");
    let rsp = t
        .action(
            &sid,
            &path,
            "updateBackupStorage",
            json!({ "name": "bs2b", "description": "renamed" }),
        )
        .await;
    assert_eq!(rsp.body["inventory"]["name"], "bs2b", "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["description"], "renamed");
    let rsp = t
        .action(
            &sid,
            &path,
            "changeBackupStorageState",
            json!({ "stateEvent": "disable" }),
        )
        .await;
    assert_eq!(rsp.body["inventory"]["state"], "Disabled", "{:?}", rsp.body);
    let rsp = t
        .action(
            &sid,
            &path,
            "changeBackupStorageState",
            json!({ "stateEvent": "maintain" }),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = t
        .action(&sid, &path, "reconnectBackupStorage", json!({}))
        .await;
    assert_eq!(
        rsp.body["inventory"]["status"], "Connected",
        "{:?}",
        rsp.body
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=state=Disabled")
            .await,
        ["bs2b"]
    );

    // Delete: the storage and its zone links go.
    let rsp = delete(&t, &sid, &format!("/backup-storage/{bs2}")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(t.query_names(&sid, "/backup-storage").await, ["bs1"]);
    assert!(
        t.query_names(&sid, "/zones?q=backupStorage.name=bs2b")
            .await
            .is_empty()
    );
    t.stop().await;
}

#[actix_web::test]
async fn deleting_a_zone_deletes_its_primary_storage_and_detaches_its_backup_storage() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let z1 = zone(&t, &sid, "z1").await;
    let z2 = zone(&t, &sid, "z2").await;
    let c1 = cluster(&t, &sid, "c1", &z1).await;
    let c2 = cluster(&t, &sid, "c2", &z2).await;
    let ps1 = uuid_of(
        &t.create(
            &sid,
            "/primary-storage/nfs",
            json!({ "name": "ps1", "url": "nfs1:/a", "zoneUuid": z1 }),
        )
        .await,
    );
    let ps2 = uuid_of(
        &t.create(
            &sid,
            "/primary-storage/local-storage",
            json!({ "name": "ps2", "url": "/b", "zoneUuid": z2 }),
        )
        .await,
    );
    assert_eq!(attach_ps(&t, &sid, &c1, &ps1).await.status, 200);
    assert_eq!(attach_ps(&t, &sid, &c2, &ps2).await.status, 200);
    let bs1 = uuid_of(&image_store(&t, &sid, "bs1").await);
    assert_eq!(attach_bs(&t, &sid, &z1, &bs1).await.status, 200);
    assert_eq!(attach_bs(&t, &sid, &z2, &bs1).await.status, 200);

    let rsp = delete(&t, &sid, &format!("/zones/{z1}")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    assert_eq!(t.query_names(&sid, "/zones").await, ["z2"]);
    assert_eq!(t.query_names(&sid, "/clusters").await, ["c2"]);
    assert_eq!(t.query_names(&sid, "/primary-storage").await, ["ps2"]);
    assert_eq!(
        t.get(&format!("/primary-storage/{ps1}"), &sid).await.body["inventories"],
        json!([])
    );
    // The backup storage stays, serving the other zone only.
    assert_eq!(t.query_names(&sid, "/backup-storage").await, ["bs1"]);
    assert_eq!(
        t.query_names(&sid, "/zones?q=backupStorage.name=bs1").await,
        ["z2"]
    );
    assert!(
        t.query_names(&sid, &format!("/backup-storage?q=zone.uuid={z1}"))
            .await
            .is_empty()
    );
    // The other zone's attachments are untouched.
    assert_eq!(
        t.query_names(&sid, "/primary-storage?q=cluster.name=c2")
            .await,
        ["ps2"]
    );

    // Deleting the last zone leaves the backup storage attached nowhere.
    assert_eq!(delete(&t, &sid, &format!("/zones/{z2}")).await.status, 200);
    assert!(t.query_names(&sid, "/primary-storage").await.is_empty());
    assert_eq!(t.query_names(&sid, "/backup-storage").await, ["bs1"]);
    assert!(
        t.query_names(&sid, "/backup-storage?q=zone.name=z2")
            .await
            .is_empty()
    );
    t.stop().await;
}
