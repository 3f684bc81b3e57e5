//! The simulator control surface: simulated hosts and storage made unreachable, slow or
//! bandwidth-bound over REST, the pings that notice, and what follows (status, events,
//! notifications, failed reconnects and downloads).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::common::TestNode;

const GB: i64 = 1 << 30;

async fn fast_pings() -> TestNode {
    TestNode::start_with(|s| s.ping_interval = 1).await
}

async fn host(t: &TestNode, sid: &str) -> String {
    let zone = t.create_zone(sid, json!({"name": "z"})).await;
    let cluster = t
        .create(
            sid,
            "/clusters",
            json!({"name": "c", "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;
    let host = t
        .create(
            sid,
            "/hosts/simulators",
            json!({"name": "h", "clusterUuid": cluster["uuid"], "managementIp": "10.0.0.1",
                   "cpuCapacity": 8, "memoryCapacity": 8 * GB}),
        )
        .await;
    host["uuid"].as_str().unwrap().to_string()
}

async fn host_status(t: &TestNode, sid: &str, uuid: &str) -> String {
    t.get(&format!("/hosts/{uuid}"), sid).await.body["inventories"][0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn wait_status(t: &TestNode, sid: &str, uuid: &str, want: &str) {
    for _ in 0..100 {
        if host_status(t, sid, uuid).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("host[{uuid}] never became {want}");
}

#[actix_web::test]
async fn only_admin_changes_a_simulator_and_only_of_simulated_resources() {
    let t = fast_pings().await;
    let sid = t.login().await;
    let host = host(&t, &sid).await;
    let ok = t
        .simulate(&sid, &host, json!({"operationDelayMs": 0}))
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["inventory"]["resourceType"], "HostVO");
    assert_eq!(ok.body["inventory"]["connected"], true);
    let zone = t.create_zone(&sid, json!({"name": "not-simulated"})).await;
    let refused = t
        .simulate(
            &sid,
            zone["uuid"].as_str().unwrap(),
            json!({"connected": false}),
        )
        .await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(refused.code(), "SYS.1003");
    let bad = t
        .simulate(&sid, &host, json!({"operationDelayMs": -1}))
        .await;
    assert_eq!(bad.status, 503, "{:?}", bad.body);

    // A normal account may not.
    let (_, tenant) = crate::accounts::account(&t, &sid, "tenant").await;
    let denied = t
        .send(
            Method::PUT,
            &format!("/simulators/{host}/actions"),
            Some(&tenant),
            Some(json!({"updateSimulatorState": {"connected": false}})),
            &[],
        )
        .await;
    let denied = if denied.status == 202 {
        t.wait_job_as(denied.body["location"].as_str().unwrap(), &tenant)
            .await
    } else {
        denied
    };
    assert!(
        denied.status == 403 || denied.status == 503,
        "{:?}",
        denied.body
    );
    assert!(denied.code().starts_with("ID."), "{:?}", denied.body);
    assert_eq!(host_status(&t, &sid, &host).await, "Connected");
    t.stop().await;
}

#[actix_web::test]
async fn a_disconnected_host_turns_disconnected_is_notified_refuses_reconnect_and_comes_back() {
    let t = fast_pings().await;
    let sid = t.login().await;
    let host = host(&t, &sid).await;
    let rsp = t.simulate(&sid, &host, json!({"connected": false})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    wait_status(&t, &sid, &host, "Disconnected").await;

    // Operators are told, once.
    let mut found = Vec::new();
    for _ in 0..50 {
        let rsp = t
            .get(
                &format!("/notifications?q=resourceUuid={host}&q=type=Warning"),
                &sid,
            )
            .await;
        found = rsp.body["inventories"].as_array().unwrap().clone();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["resourceType"], "HostVO");
    assert_eq!(found[0]["sender"], "system");
    assert!(
        found[0]["arguments"]
            .as_str()
            .unwrap()
            .contains("Disconnected")
    );

    let reconnect = t
        .action(
            &sid,
            &format!("/hosts/{host}/actions"),
            "reconnectHost",
            json!({}),
        )
        .await;
    assert_eq!(reconnect.status, 503, "{:?}", reconnect.body);
    assert!(
        reconnect.details().contains("unreachable"),
        "{}",
        reconnect.details()
    );

    t.simulate(&sid, &host, json!({"connected": true})).await;
    wait_status(&t, &sid, &host, "Connected").await;
    let back = t
        .get(
            &format!("/notifications?q=resourceUuid={host}&q=type=Info&q=sender=system"),
            &sid,
        )
        .await;
    assert_eq!(
        back.body["inventories"].as_array().unwrap().len(),
        1,
        "{:?}",
        back.body
    );
    let reconnect = t
        .action(
            &sid,
            &format!("/hosts/{host}/actions"),
            "reconnectHost",
            json!({}),
        )
        .await;
    assert_eq!(reconnect.status, 200, "{:?}", reconnect.body);

    // A slow simulator makes every operation on it slow.
    t.simulate(&sid, &host, json!({"operationDelayMs": 700}))
        .await;
    let started = Instant::now();
    let slow = t
        .action(
            &sid,
            &format!("/hosts/{host}/actions"),
            "reconnectHost",
            json!({}),
        )
        .await;
    assert_eq!(slow.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    t.stop().await;
}

async fn image_store(t: &TestNode, sid: &str) -> String {
    let zone = t.create_zone(sid, json!({"name": "z"})).await;
    let bs = t
        .create(
            sid,
            "/backup-storage/image-store",
            json!({"name": "bs", "url": "/bs", "hostname": "10.1.0.1", "username": "root",
                   "password": "secret", "totalCapacity": 100 * GB}),
        )
        .await;
    let bs = bs["uuid"].as_str().unwrap().to_string();
    let attached = t
        .call_async(
            Method::POST,
            &format!(
                "/zones/{}/backup-storage/{bs}",
                zone["uuid"].as_str().unwrap()
            ),
            sid,
            Some(json!({"params": {}})),
        )
        .await;
    assert_eq!(attached.status, 200);
    bs
}

#[actix_web::test]
async fn a_bandwidth_bound_download_lasts_and_a_storage_lost_midway_fails_it_cleanly() {
    let t = fast_pings().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    // 2 GiB at 1 GiB/s: about two seconds.
    t.simulate(&sid, &bs, json!({"bandwidth": GB})).await;
    let started = Instant::now();
    let done = t
        .call_async(
            Method::POST,
            "/images",
            &sid,
            Some(
                json!({"params": {"name": "slow", "url": "http://x/slow.qcow2#size=2147483648",
                                   "backupStorageUuids": [bs]}}),
            ),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert!(
        started.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );

    // The storage goes away in the middle of a download: the job fails, nothing is left.
    let accepted = t
        .send(
            Method::POST,
            "/images",
            Some(&sid),
            Some(
                json!({"params": {"name": "lost", "url": "http://x/lost.qcow2#size=4294967296",
                                   "backupStorageUuids": [bs]}}),
            ),
            &[],
        )
        .await;
    assert_eq!(accepted.status, 202);
    tokio::time::sleep(Duration::from_millis(800)).await;
    t.simulate(&sid, &bs, json!({"connected": false})).await;
    let failed = t
        .wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
        .await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);
    assert!(
        failed.details().contains("unreachable"),
        "{}",
        failed.details()
    );
    let images = t.get("/images?q=name=lost", &sid).await;
    assert_eq!(images.body["inventories"], json!([]));
    let storage = t.get(&format!("/backup-storage/{bs}"), &sid).await;
    assert_eq!(
        storage.body["inventories"][0]["availableCapacity"]
            .as_i64()
            .unwrap(),
        98 * GB,
        "only the first image's size is taken"
    );
    let mut told = Vec::new();
    for _ in 0..50 {
        let rsp = t
            .get("/notifications?q=type=Error&q=name=image", &sid)
            .await;
        told = rsp.body["inventories"].as_array().unwrap().clone();
        if !told.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(told.len(), 1);
    assert!(told[0]["content"].as_str().unwrap().contains("download"));
    t.stop().await;
}
