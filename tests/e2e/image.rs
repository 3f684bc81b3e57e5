//! Images added over REST to simulated backup storage: the download's progress rows, capacity
//! accounting, refusals, cross-resource queries, delete / recover / expunge, and what deleting a
//! backup storage does to its images.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode, is_zstack_date};

const GB: i64 = 1 << 30;

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

async fn backup_storage(t: &TestNode, sid: &str, name: &str, capacity: i64) -> String {
    uuid_of(
        &t.create(
            sid,
            "/backup-storage/image-store",
            json!({
                "name": name, "url": format!("/{name}"), "hostname": "10.1.0.1",
                "username": "root", "password": "secret", "totalCapacity": capacity,
            }),
        )
        .await,
    )
}

async fn add_image(t: &TestNode, sid: &str, params: Value) -> Rsp {
    t.call_async(
        Method::POST,
        "/images",
        sid,
        Some(json!({ "params": params })),
    )
    .await
}

async fn available(t: &TestNode, sid: &str, bs: &str) -> i64 {
    t.get(&format!("/backup-storage/{bs}"), sid).await.body["inventories"][0]["availableCapacity"]
        .as_i64()
        .expect("a capacity")
}

async fn image(t: &TestNode, sid: &str, uuid: &str) -> Value {
    t.get(&format!("/images/{uuid}"), sid).await.body["inventories"][0].clone()
}

#[actix_web::test]
async fn adding_an_image_downloads_it_with_progress_and_takes_backup_storage_capacity() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let z1 = uuid_of(&t.create_zone(&sid, json!({ "name": "z1" })).await);
    let bs1 = backup_storage(&t, &sid, "bs1", 10 * GB).await;
    let rsp = t
        .call_async(
            Method::POST,
            &format!("/zones/{z1}/backup-storage/{bs1}"),
            &sid,
            Some(json!({ "params": {} })),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // The API id is the job uuid the caller chose.
    let api_id = uuid::Uuid::new_v4().simple().to_string();
    let accepted = t
        .send(
            Method::POST,
            "/images",
            Some(&sid),
            Some(json!({ "params": {
                "name": "img1", "url": "http://images.example/centos7.qcow2#size=2147483648",
                "backupStorageUuids": [bs1], "guestOsType": "CentOS 7",
            }})),
            &[("X-Job-UUID", api_id.as_str()), ("X-JSON-Schema", "true")],
        )
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let location = accepted.body["location"].as_str().expect("a location");
    // While the job runs the image is visible, Downloading, and its progress can be polled.
    let mut seen_downloading = false;
    let mut progress_seen: Vec<String> = Vec::new();
    for _ in 0..200 {
        let rsp = t.get("/images?q=name=img1", &sid).await;
        if rsp.body["inventories"][0]["status"] == "Downloading" {
            seen_downloading = true;
            assert_eq!(rsp.body["inventories"][0]["size"], 0);
        }
        let progress = t.get(&format!("/task-progresses/{api_id}"), &sid).await;
        assert_eq!(progress.status, 200, "{:?}", progress.body);
        if let Some(p) = progress.body["inventories"][0]["subTasks"][0]["content"].as_str() {
            progress_seen.push(p.to_string());
            if p == "100" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        seen_downloading,
        "the image is Downloading while the job runs"
    );
    let done = t.wait_job(location).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let inv = &done.body["inventory"];
    assert_eq!(
        done.body["schema"]["inventory"],
        "org.zstack.header.image.ImageInventory"
    );
    assert_eq!(inv["name"], "img1");
    assert_eq!(inv["status"], "Ready");
    assert_eq!(inv["state"], "Enabled");
    assert_eq!(inv["size"], 2 * GB);
    assert_eq!(inv["actualSize"], 2 * GB);
    assert_eq!(inv["mediaType"], "RootVolumeTemplate");
    assert_eq!(inv["format"], "qcow2");
    assert_eq!(inv["platform"], "Linux");
    assert_eq!(inv["architecture"], "x86_64");
    assert_eq!(inv["guestOsType"], "CentOS 7");
    assert_eq!(inv["system"], false);
    assert_eq!(inv["type"], "zstack");
    assert_eq!(inv["md5Sum"].as_str().map(str::len), Some(32));
    assert!(is_zstack_date(inv["createDate"].as_str().unwrap()));
    let img1 = uuid_of(inv);
    let refs = inv["backupStorageRefs"].as_array().expect("the copies");
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0]["backupStorageUuid"], bs1.as_str());
    assert_eq!(refs[0]["imageUuid"], img1.as_str());
    assert_eq!(refs[0]["status"], "Ready");
    assert!(refs[0]["installPath"].as_str().unwrap().contains(&img1));

    // The whole tree: the download stage with its progress 0..100 under it.
    let all = t
        .get(&format!("/task-progresses/{api_id}?all=true"), &sid)
        .await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    let stage = &all.body["inventories"][0];
    assert_eq!(stage["type"], "Task");
    assert_eq!(stage["taskName"], "APIAddImageMsg");
    assert!(stage.get("parentUuid").is_none(), "{stage}");
    let steps: Vec<&str> = stage["subTasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["type"], "Progress");
            assert_eq!(p["parentUuid"], stage["taskUuid"]);
            p["content"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        steps,
        [
            "0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"
        ]
    );
    assert_eq!(stage["subTasks"][10]["currentStep"], 10);
    assert_eq!(stage["subTasks"][10]["totalSteps"], 10);
    // By default, the latest entry inside the stages above it.
    let latest = t.get(&format!("/task-progresses/{api_id}"), &sid).await;
    let chain = &latest.body["inventories"];
    assert_eq!(chain.as_array().unwrap().len(), 1);
    assert_eq!(chain[0]["taskUuid"], stage["taskUuid"]);
    assert_eq!(chain[0]["subTasks"].as_array().unwrap().len(), 1);
    assert_eq!(chain[0]["subTasks"][0]["content"], "100");
    assert!(
        progress_seen.iter().any(|p| p != "100"),
        "progress was visible during the download: {progress_seen:?}"
    );

    // The copy took its size from the backup storage.
    assert_eq!(available(&t, &sid, &bs1).await, 8 * GB);
    // A query shows the Ready image with its copy.
    let queried = image(&t, &sid, &img1).await;
    assert_eq!(queried["status"], "Ready");
    assert_eq!(queried["size"], 2 * GB);
    assert_eq!(
        queried["backupStorageRefs"][0]["backupStorageUuid"],
        bs1.as_str()
    );
    assert_eq!(queried["backupStorageRefs"][0]["status"], "Ready");

    // An image with no size hint is 1 GiB; an ISO defaults to the iso format.
    let rsp = add_image(
        &t,
        &sid,
        json!({ "name": "iso1", "url": "http://images.example/tools.iso", "mediaType": "ISO",
                "backupStorageUuids": [bs1] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["size"], GB);
    assert_eq!(rsp.body["inventory"]["format"], "iso");
    assert_eq!(available(&t, &sid, &bs1).await, 7 * GB);

    // Queries both ways, and through the zone.
    assert_eq!(
        t.query_names(&sid, "/images?q=backupStorage.name=bs1")
            .await,
        ["img1", "iso1"]
    );
    assert_eq!(
        t.query_names(&sid, "/images?q=backupStorage.zone.name=z1")
            .await,
        ["img1", "iso1"]
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=image.name=img1")
            .await,
        ["bs1"]
    );
    assert_eq!(
        t.query_names(&sid, "/zones?q=backupStorage.image.mediaType=ISO")
            .await,
        ["z1"]
    );
    assert_eq!(
        t.query_names(&sid, "/images?q=size>1073741824").await,
        ["img1"]
    );
    t.stop().await;
}

#[actix_web::test]
async fn adding_an_image_is_refused_without_usable_backup_storage() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs1 = backup_storage(&t, &sid, "bs1", 4 * GB).await;
    let bs2 = backup_storage(&t, &sid, "bs2", 100 * GB).await;

    // Too big for bs1: nothing is written and no capacity is taken anywhere.
    let rsp = add_image(
        &t,
        &sid,
        json!({ "name": "big", "url": "http://x/big.qcow2#size=5368709120", "backupStorageUuids": [bs2, bs1] }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains("capacity"), "{}", rsp.details());
    assert!(t.query_names(&sid, "/images").await.is_empty());
    assert_eq!(available(&t, &sid, &bs1).await, 4 * GB);
    assert_eq!(available(&t, &sid, &bs2).await, 100 * GB);

    // A backup storage that does not exist, none at all, a bad size hint.
    let missing = "0123456789abcdef0123456789abcdef";
    for (uuids, url) in [
        (json!([missing]), "http://x/a.qcow2"),
        (json!([]), "http://x/a.qcow2"),
        (json!([bs1]), "http://x/a.qcow2#size=lots"),
    ] {
        let rsp = add_image(
            &t,
            &sid,
            json!({ "name": "a", "url": url, "backupStorageUuids": uuids }),
        )
        .await;
        assert_eq!(rsp.code(), "SYS.1007", "{uuids} {url}: {:?}", rsp.body);
    }
    let rsp = add_image(&t, &sid, json!({ "name": "a", "url": "http://x/a.qcow2" })).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = add_image(
        &t,
        &sid,
        json!({ "name": "a", "url": "http://x/a.qcow2", "format": "vmdk", "backupStorageUuids": [bs1] }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // A Disabled backup storage takes no image.
    let rsp = t
        .action(
            &sid,
            &format!("/backup-storage/{bs1}/actions"),
            "changeBackupStorageState",
            json!({ "stateEvent": "disable" }),
        )
        .await;
    assert_eq!(rsp.status, 200);
    let rsp = add_image(
        &t,
        &sid,
        json!({ "name": "a", "url": "http://x/a.qcow2", "backupStorageUuids": [bs1] }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains("Disabled"), "{}", rsp.details());
    assert!(t.query_names(&sid, "/images").await.is_empty());
    t.stop().await;
}

#[actix_web::test]
async fn images_are_updated_deleted_recovered_and_expunged() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs1 = backup_storage(&t, &sid, "bs1", 10 * GB).await;
    let rsp = add_image(
        &t,
        &sid,
        json!({ "name": "img1", "url": "http://x/a.qcow2#size=3221225472", "backupStorageUuids": [bs1] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let img1 = uuid_of(&rsp.body["inventory"]);
    assert_eq!(available(&t, &sid, &bs1).await, 7 * GB);
    let actions = format!("/images/{img1}/actions");

    let rsp = t
        .action(
            &sid,
            &actions,
            "updateImage",
            json!({ "name": "img1b", "description": "base", "platform": "Windows", "system": true }),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["name"], "img1b");
    assert_eq!(rsp.body["inventory"]["platform"], "Windows");
    assert_eq!(rsp.body["inventory"]["system"], true);
    let rsp = t
        .action(
            &sid,
            &actions,
            "changeImageState",
            json!({ "stateEvent": "disable" }),
        )
        .await;
    assert_eq!(rsp.body["inventory"]["state"], "Disabled", "{:?}", rsp.body);
    assert_eq!(
        t.query_names(&sid, "/images?q=state=Disabled&q=platform=Windows")
            .await,
        ["img1b"]
    );

    // Only a Deleted image can be expunged or recovered.
    let rsp = t.action(&sid, &actions, "expungeImage", json!({})).await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    let rsp = t.action(&sid, &actions, "recoverImage", json!({})).await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);

    // Delete: still queryable as Deleted, capacity still held.
    let rsp = t
        .call_async(Method::DELETE, &format!("/images/{img1}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(image(&t, &sid, &img1).await["status"], "Deleted");
    assert_eq!(
        t.query_names(&sid, "/images?q=status=Deleted").await,
        ["img1b"]
    );
    assert_eq!(available(&t, &sid, &bs1).await, 7 * GB);

    let rsp = t.action(&sid, &actions, "recoverImage", json!({})).await;
    assert_eq!(rsp.body["inventory"]["status"], "Ready", "{:?}", rsp.body);

    // Delete again, then expunge: the image and its copy go, the capacity comes back.
    let rsp = t
        .call_async(Method::DELETE, &format!("/images/{img1}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200);
    let rsp = t.action(&sid, &actions, "expungeImage", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        t.get(&format!("/images/{img1}"), &sid).await.body["inventories"],
        json!([])
    );
    assert!(
        t.query_names(&sid, &format!("/backup-storage?q=image.uuid={img1}"))
            .await
            .is_empty()
    );
    assert_eq!(available(&t, &sid, &bs1).await, 10 * GB);
    // Expunging what is gone is SYS.1003.
    let rsp = t.action(&sid, &actions, "expungeImage", json!({})).await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn deleting_a_backup_storage_takes_its_image_copies() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs1 = backup_storage(&t, &sid, "bs1", 10 * GB).await;
    let bs2 = backup_storage(&t, &sid, "bs2", 10 * GB).await;
    for (name, on) in [("both", json!([bs1, bs2])), ("only1", json!([bs1]))] {
        let rsp = add_image(
            &t,
            &sid,
            json!({ "name": name, "url": "http://x/a.qcow2", "backupStorageUuids": on }),
        )
        .await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    }
    assert_eq!(available(&t, &sid, &bs1).await, 8 * GB);
    assert_eq!(available(&t, &sid, &bs2).await, 9 * GB);
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=image.name=both")
            .await,
        ["bs1", "bs2"]
    );

    let rsp = t
        .call_async(
            Method::DELETE,
            &format!("/backup-storage/{bs1}"),
            &sid,
            None,
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    // The image left with no copy is gone; the other keeps its copy on bs2.
    assert_eq!(t.query_names(&sid, "/images").await, ["both"]);
    assert_eq!(
        t.query_names(&sid, "/backup-storage?q=image.name=both")
            .await,
        ["bs2"]
    );
    assert_eq!(
        t.query_names(&sid, "/images?q=backupStorage.name=bs2")
            .await,
        ["both"]
    );
    assert!(
        t.query_names(&sid, "/images?q=backupStorage.name=bs1")
            .await
            .is_empty()
    );
    t.stop().await;
}

#[actix_web::test]
async fn task_progress_goes_a_delay_after_its_api_ends() {
    let t = TestNode::start_with(|s| s.progress_delete_delay = 1).await;
    let sid = t.login().await;
    let z1 = uuid_of(&t.create_zone(&sid, json!({ "name": "z1" })).await);
    let bs1 = backup_storage(&t, &sid, "bs1", 10 * GB).await;
    t.call_async(
        Method::POST,
        &format!("/zones/{z1}/backup-storage/{bs1}"),
        &sid,
        Some(json!({ "params": {} })),
    )
    .await;
    let api_id = uuid::Uuid::new_v4().simple().to_string();
    let accepted = t
        .send(
            Method::POST,
            "/images",
            Some(&sid),
            Some(json!({ "params": {"name": "i", "url": "http://x/i.qcow2", "backupStorageUuids": [bs1]}})),
            &[("X-Job-UUID", api_id.as_str())],
        )
        .await;
    let done = t
        .wait_job(accepted.body["location"].as_str().unwrap())
        .await;
    assert_eq!(done.status, 200);
    let path = format!("/task-progresses/{api_id}?all=true");
    assert_ne!(t.get(&path, &sid).await.body["inventories"], json!([]));
    let mut gone = false;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if t.get(&path, &sid).await.body["inventories"] == json!([]) {
            gone = true;
            break;
        }
    }
    assert!(gone, "the progress outlived its delete delay");
    t.stop().await;
}
