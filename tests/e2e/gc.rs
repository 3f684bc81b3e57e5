//! GC jobs: cleanup that cannot happen now (bits on an unreachable backup storage, the
//! host-side cleanup of an unreachable deleted host) left as jobs, queryable, run when what they
//! wait for comes (or on TriggerGCJob, or on their timer), adopted by a node that starts after
//! theirs is gone, and purged once Done past the retention.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use zstack_header::backup_storage::DeleteBitsOnBackupStorageMsg;
use zstack_kernel::bus::Intercept;
use zstack_kernel::error::operr;

use crate::common::{Rsp, TestDb, TestNode, is_zstack_date, test_settings};

const GB: i64 = 1 << 30;
const GC_CLASS: &str = "org.zstack.core.gc.GarbageCollectorInventory";

pub(crate) fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

pub(crate) async fn backup_storage(t: &TestNode, sid: &str, name: &str) -> String {
    uuid_of(
        &t.create(
            sid,
            "/backup-storage/image-store",
            json!({
                "name": name, "url": format!("/{name}"), "hostname": "10.1.0.1",
                "username": "root", "password": "secret", "totalCapacity": 10 * GB,
            }),
        )
        .await,
    )
}

pub(crate) async fn available(t: &TestNode, sid: &str, bs: &str) -> i64 {
    t.get(&format!("/backup-storage/{bs}"), sid).await.body["inventories"][0]["availableCapacity"]
        .as_i64()
        .expect("a capacity")
}

async fn status_of(t: &TestNode, sid: &str, path: &str) -> String {
    t.get(path, sid).await.body["inventories"][0]["status"]
        .as_str()
        .unwrap_or("gone")
        .to_string()
}

/// Waits until the resource at `path` (a by-uuid query) has `status`.
pub(crate) async fn wait_status(t: &TestNode, sid: &str, path: &str, want: &str) {
    // Generous: the tests run many nodes at once on two cores.
    let deadline = Instant::now() + Duration::from_secs(40);
    while status_of(t, sid, path).await != want {
        assert!(Instant::now() < deadline, "{path} never became {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The paths of the files a simulated storage holds.
pub(crate) async fn files(t: &TestNode, sid: &str, storage: &str) -> Vec<String> {
    let rsp = t.get(&format!("/simulators/{storage}"), sid).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("a path").to_string())
        .collect()
}

/// An image of `size` bytes on `storages`: its uuid and its copies' install paths by storage.
pub(crate) async fn image_on(
    t: &TestNode,
    sid: &str,
    storages: &[&str],
    size: i64,
) -> (String, Vec<(String, String)>) {
    let image = t
        .create(
            sid,
            "/images",
            json!({"name": "img", "url": format!("http://x/img.qcow2#size={size}"),
                   "backupStorageUuids": storages}),
        )
        .await;
    let copies = image["backupStorageRefs"]
        .as_array()
        .expect("copies")
        .iter()
        .map(|r| {
            (
                r["backupStorageUuid"].as_str().unwrap().to_string(),
                r["installPath"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (uuid_of(&image), copies)
}

/// Deletes then expunges image `uuid`; both succeed.
pub(crate) async fn expunge(t: &TestNode, sid: &str, uuid: &str) {
    let rsp = t
        .call_async(Method::DELETE, &format!("/images/{uuid}"), sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = t
        .action(
            sid,
            &format!("/images/{uuid}/actions"),
            "expungeImage",
            json!({}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
}

pub(crate) async fn gc_jobs(t: &TestNode, sid: &str, query: &str) -> Vec<Value> {
    let rsp = t.get(&format!("/gc-jobs{query}"), sid).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"]
        .as_array()
        .expect("inventories")
        .clone()
}

/// The one job of runner `runner`.
pub(crate) async fn only_job(t: &TestNode, sid: &str, runner: &str) -> Value {
    let jobs = gc_jobs(t, sid, &format!("?q=runnerClass={runner}")).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].clone()
}

pub(crate) async fn job_status(t: &TestNode, sid: &str, job: &str) -> String {
    status_of(t, sid, &format!("/gc-jobs/{job}")).await
}

pub(crate) async fn wait_job_status(t: &TestNode, sid: &str, job: &str, want: &str) {
    wait_status(t, sid, &format!("/gc-jobs/{job}"), want).await;
}

fn context(job: &Value) -> Value {
    serde_json::from_str(job["context"].as_str().expect("context is JSON text"))
        .expect("context is JSON")
}

async fn trigger(t: &TestNode, sid: &str, job: &str) -> Rsp {
    t.action(
        sid,
        &format!("/gc-jobs/{job}/actions"),
        "triggerGCJob",
        json!({}),
    )
    .await
}

async fn fast_node() -> TestNode {
    TestNode::start_with(|s| {
        s.ping_interval = 1;
        s.gc_interval = 1;
    })
    .await
}

#[actix_web::test]
async fn expunging_an_image_on_an_unreachable_storage_leaves_a_job_that_frees_it_on_reconnect() {
    let t = fast_node().await;
    let sid = t.login().await;
    let up = backup_storage(&t, &sid, "up").await;
    let down = backup_storage(&t, &sid, "down").await;
    let (image, copies) = image_on(&t, &sid, &[&up, &down], 2 * GB).await;
    let path_on = |bs: &str| {
        copies
            .iter()
            .find(|(s, _)| s == bs)
            .map(|(_, p)| p.clone())
            .unwrap()
    };
    assert_eq!(files(&t, &sid, &down).await, [path_on(&down)]);
    assert_eq!(available(&t, &sid, &down).await, 8 * GB);

    t.simulate_ok(&sid, &down, json!({"connected": false}))
        .await;
    wait_status(&t, &sid, &format!("/backup-storage/{down}"), "Disconnected").await;
    expunge(&t, &sid, &image).await;

    // The image is gone; the reachable storage gave its bits and bytes back at once.
    assert_eq!(
        t.get(&format!("/images/{image}"), &sid).await.body["inventories"],
        json!([])
    );
    assert!(files(&t, &sid, &up).await.is_empty());
    assert_eq!(available(&t, &sid, &up).await, 10 * GB);

    // The unreachable one keeps both, and a job waits for it.
    let rsp = t
        .get("/gc-jobs?q=runnerClass=BackupStorageDeleteBitGC", &sid)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        rsp.body["schema"]["inventories[0]"], GC_CLASS,
        "{:?}",
        rsp.body
    );
    let jobs = rsp.body["inventories"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    let job = &jobs[0];
    let uuid = uuid_of(job);
    assert_eq!(job["status"], "Idle");
    assert_eq!(job["type"], "EventBased");
    assert_eq!(job["managementNodeUuid"], t.node_uuid());
    assert_eq!(
        job["name"],
        format!("gc-delete-bits-{image}-on-backup-storage-{down}")
    );
    assert!(is_zstack_date(job["createDate"].as_str().unwrap()));
    assert!(is_zstack_date(job["lastOpDate"].as_str().unwrap()));
    let ctx = context(job);
    assert_eq!(ctx["imageUuid"], image.as_str());
    assert_eq!(ctx["backupStorageUuid"], down.as_str());
    assert_eq!(ctx["installPath"], path_on(&down).as_str());
    let one = t.get(&format!("/gc-jobs/{uuid}"), &sid).await;
    assert_eq!(one.body["inventories"][0]["uuid"], uuid.as_str());
    assert_eq!(
        gc_jobs(
            &t,
            &sid,
            &format!("?q=managementNode.uuid={}", t.node_uuid())
        )
        .await
        .len(),
        1
    );

    // Pings come and go; nothing changes while the storage is down.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(job_status(&t, &sid, &uuid).await, "Idle");
    assert_eq!(files(&t, &sid, &down).await, [path_on(&down)]);
    assert_eq!(available(&t, &sid, &down).await, 8 * GB);

    // It reconnects: the job deletes the bits and the bytes come back.
    t.simulate_ok(&sid, &down, json!({"connected": true})).await;
    let back_at = Instant::now();
    wait_job_status(&t, &sid, &uuid, "Done").await;
    println!(
        "GC job Done {:?} after the storage came back (pings every 1 s)",
        back_at.elapsed()
    );
    assert!(files(&t, &sid, &down).await.is_empty());
    assert_eq!(available(&t, &sid, &down).await, 10 * GB);

    // A finished job cannot be triggered; it can be deleted.
    let rsp = trigger(&t, &sid, &uuid).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(
        rsp.details()
            .contains(&format!("cannot trigger a finished GC job[uuid:{uuid}")),
        "{}",
        rsp.details()
    );
    assert_eq!(available(&t, &sid, &down).await, 10 * GB);
    let rsp = t
        .call_async(Method::DELETE, &format!("/gc-jobs/{uuid}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body, json!({}));
    assert!(gc_jobs(&t, &sid, "").await.is_empty());
    // Deleting it again, or triggering what is not there.
    let rsp = t
        .call_async(Method::DELETE, &format!("/gc-jobs/{uuid}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = trigger(&t, &sid, &uuid).await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn a_storage_deleted_while_its_job_waits_ends_the_job_and_jobs_are_admins() {
    let t = fast_node().await;
    let sid = t.login().await;
    let bs = backup_storage(&t, &sid, "bs").await;
    let (image, _) = image_on(&t, &sid, &[&bs], GB).await;
    t.simulate_ok(&sid, &bs, json!({"connected": false})).await;
    wait_status(&t, &sid, &format!("/backup-storage/{bs}"), "Disconnected").await;
    expunge(&t, &sid, &image).await;
    let job = uuid_of(&only_job(&t, &sid, "BackupStorageDeleteBitGC").await);

    // Another account sees no job and cannot touch one.
    let (_, tenant) = crate::accounts::account(&t, &sid, "tenant").await;
    assert!(gc_jobs(&t, &tenant, "").await.is_empty());
    let rsp = trigger(&t, &tenant, &job).await;
    assert_eq!(rsp.code(), "ID.1002", "{:?}", rsp.body);
    let rsp = t
        .call_async(Method::DELETE, &format!("/gc-jobs/{job}"), &tenant, None)
        .await;
    assert_eq!(rsp.code(), "ID.1002", "{:?}", rsp.body);
    assert_eq!(job_status(&t, &sid, &job).await, "Idle");

    // The storage goes: its bits went with it, and the job is over.
    let rsp = t
        .call_async(Method::DELETE, &format!("/backup-storage/{bs}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    wait_job_status(&t, &sid, &job, "Done").await;
    t.stop().await;
}

#[actix_web::test]
async fn triggering_an_idle_job_runs_it_now() {
    // Pings once an hour: only the trigger runs the job.
    let t = TestNode::start_with(|s| s.ping_interval = 3600).await;
    let sid = t.login().await;
    let bs = backup_storage(&t, &sid, "bs").await;
    let (image, copies) = image_on(&t, &sid, &[&bs], GB).await;
    t.simulate_ok(&sid, &bs, json!({"connected": false})).await;
    expunge(&t, &sid, &image).await;
    let job = only_job(&t, &sid, "BackupStorageDeleteBitGC").await;
    let job = uuid_of(&job);

    // Still unreachable: the try fails, the job stays Idle, the bits stay.
    let rsp = trigger(&t, &sid, &job).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body, json!({}));
    assert_eq!(job_status(&t, &sid, &job).await, "Idle");
    assert_eq!(files(&t, &sid, &bs).await, [copies[0].1.clone()]);
    assert_eq!(available(&t, &sid, &bs).await, 9 * GB);

    // Reachable again, but no ping notices: nothing runs until the trigger.
    t.simulate_ok(&sid, &bs, json!({"connected": true})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(job_status(&t, &sid, &job).await, "Idle");
    assert_eq!(available(&t, &sid, &bs).await, 9 * GB);
    let rsp = trigger(&t, &sid, &job).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(job_status(&t, &sid, &job).await, "Done");
    assert!(files(&t, &sid, &bs).await.is_empty());
    assert_eq!(available(&t, &sid, &bs).await, 10 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn a_failure_no_event_will_end_leaves_a_time_based_job_that_retries() {
    let t = fast_node().await;
    let sid = t.login().await;
    let bs = backup_storage(&t, &sid, "bs").await;
    let (image, _) = image_on(&t, &sid, &[&bs], GB).await;
    // The storage is reachable, but deleting bits fails (its agent errs).
    let failing = t.bus().intercept::<DeleteBitsOnBackupStorageMsg, _>(|_| {
        Intercept::Fail(operr("the storage agent failed"))
    });
    expunge(&t, &sid, &image).await;
    let job = only_job(&t, &sid, "BackupStorageDeleteBitGC").await;
    assert_eq!(job["type"], "TimeBased");
    assert_eq!(job["status"], "Idle");
    let uuid = uuid_of(&job);
    let first = job["lastOpDate"].as_str().unwrap().to_string();

    // It is tried every second, and fails while the agent does.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = only_job(&t, &sid, "BackupStorageDeleteBitGC").await;
        assert_ne!(now["status"], "Done");
        if now["lastOpDate"].as_str().unwrap() != first {
            break;
        }
        assert!(Instant::now() < deadline, "the job was never retried");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(available(&t, &sid, &bs).await, 9 * GB);
    assert_eq!(files(&t, &sid, &bs).await.len(), 1);

    drop(failing);
    wait_job_status(&t, &sid, &uuid, "Done").await;
    assert_eq!(available(&t, &sid, &bs).await, 10 * GB);
    assert!(files(&t, &sid, &bs).await.is_empty());
    t.stop().await;
}

async fn simulator_host(t: &TestNode, sid: &str, name: &str, ip: &str) -> String {
    let zone = t
        .create_zone(sid, json!({"name": format!("z-{name}")}))
        .await;
    let cluster = t
        .create(
            sid,
            "/clusters",
            json!({"name": format!("c-{name}"), "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;
    uuid_of(
        &t.create(
            sid,
            "/hosts/simulators",
            json!({"name": name, "clusterUuid": cluster["uuid"], "managementIp": ip,
                   "cpuCapacity": 8, "memoryCapacity": 8 * GB}),
        )
        .await,
    )
}

/// Deletes host `host` after its machine became unreachable; answers its cleanup job.
async fn delete_disconnected_host(t: &TestNode, sid: &str, host: &str) -> Value {
    t.simulate_ok(sid, host, json!({"connected": false})).await;
    wait_status(t, sid, &format!("/hosts/{host}"), "Disconnected").await;
    let rsp = t
        .call_async(Method::DELETE, &format!("/hosts/{host}"), sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        t.get(&format!("/hosts/{host}"), sid).await.body["inventories"],
        json!([])
    );
    let jobs = gc_jobs(t, sid, &format!("?q=name=gc-host-cleanup-{host}")).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].clone()
}

#[actix_web::test]
async fn deleting_a_disconnected_host_leaves_a_cleanup_job_that_runs_when_it_reconnects() {
    let t = fast_node().await;
    let sid = t.login().await;

    // A Connected host is cleaned up as it goes: no job.
    let fine = simulator_host(&t, &sid, "fine", "10.0.0.1").await;
    let rsp = t
        .call_async(Method::DELETE, &format!("/hosts/{fine}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert!(gc_jobs(&t, &sid, "").await.is_empty());

    let host = simulator_host(&t, &sid, "lost", "10.0.0.2").await;
    let job = delete_disconnected_host(&t, &sid, &host).await;
    assert_eq!(job["runnerClass"], "HostDeletionCleanupGC");
    assert_eq!(job["type"], "EventBased");
    assert_eq!(job["status"], "Idle");
    let ctx = context(&job);
    assert_eq!(ctx["hostUuid"], host.as_str());
    assert_eq!(ctx["managementIp"], "10.0.0.2");
    let uuid = uuid_of(&job);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(job_status(&t, &sid, &uuid).await, "Idle");

    // The machine outlives its record: it answers again, and the cleanup is done.
    let rsp = t.simulate_ok(&sid, &host, json!({"connected": true})).await;
    assert_eq!(rsp.body["inventory"]["resourceType"], "HostVO");
    wait_job_status(&t, &sid, &uuid, "Done").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let notes = t
            .get(
                &format!(
                    "/notifications?q=resourceUuid={host}&q=type=Info&q=content~=%25host-side%25"
                ),
                &sid,
            )
            .await;
        assert_eq!(notes.status, 200, "{:?}", notes.body);
        if notes.body["inventories"].as_array().unwrap().len() == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no cleanup notification: {:?}",
            notes.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    t.stop().await;
}

#[actix_web::test]
async fn done_jobs_are_purged_after_the_retention_and_idle_ones_stay() {
    let t = TestNode::start_with(|s| {
        s.ping_interval = 1;
        s.gc_retention = 2;
    })
    .await;
    let sid = t.login().await;
    let waiting = simulator_host(&t, &sid, "waiting", "10.0.0.3").await;
    let waiting = uuid_of(&delete_disconnected_host(&t, &sid, &waiting).await);
    let back = simulator_host(&t, &sid, "back", "10.0.0.4").await;
    let done = uuid_of(&delete_disconnected_host(&t, &sid, &back).await);
    t.simulate_ok(&sid, &back, json!({"connected": true})).await;
    wait_job_status(&t, &sid, &done, "Done").await;
    let finished = Instant::now();

    let deadline = Instant::now() + Duration::from_secs(15);
    while job_status(&t, &sid, &done).await != "gone" {
        assert!(Instant::now() < deadline, "the Done job was never purged");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Not before its retention.
    assert!(
        finished.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        finished.elapsed()
    );
    assert_eq!(job_status(&t, &sid, &waiting).await, "Idle");
    t.stop().await;
}

/// A node on database `db`, which stopping it leaves in place.
async fn node_on(db: &TestDb, tune: impl FnOnce(&mut zstack::Settings)) -> TestNode {
    let mut settings = test_settings(&db.url);
    tune(&mut settings);
    let node = zstack::start(&settings).await.expect("the node starts");
    TestNode {
        base: format!("http://127.0.0.1:{}", node.port),
        node: Some(node),
        client: reqwest::Client::new(),
        db: db.shared(),
    }
}

#[actix_web::test]
async fn a_node_starting_after_the_owner_is_gone_adopts_its_jobs_and_runs_them() {
    let db = TestDb::new().await;
    // A stopped node's background tasks live on in this process: the first node must neither
    // ping (its pings would announce the reconnect on its own bus) nor scan for orphans (it
    // would take the job back) while the test runs.
    let first = node_on(&db, |s| {
        s.ping_interval = 3600;
        s.node_dead_after = 3600;
    })
    .await;
    let sid = first.login().await;
    let bs = backup_storage(&first, &sid, "bs").await;
    let (image, _) = image_on(&first, &sid, &[&bs], GB).await;
    first
        .simulate_ok(&sid, &bs, json!({"connected": false}))
        .await;
    expunge(&first, &sid, &image).await;
    let job = only_job(&first, &sid, "BackupStorageDeleteBitGC").await;
    let gone = first.node_uuid();
    assert_eq!(job["managementNodeUuid"], gone.as_str());
    first.stop().await;

    // Another node (another port, so another uuid) on the same database.
    let second = node_on(&db, |s| s.ping_interval = 1).await;
    assert_ne!(second.node_uuid(), gone);
    let sid = second.login().await;
    let adopted = only_job(&second, &sid, "BackupStorageDeleteBitGC").await;
    assert_eq!(adopted["managementNodeUuid"], second.node_uuid());
    assert_eq!(adopted["status"], "Idle");
    wait_status(
        &second,
        &sid,
        &format!("/backup-storage/{bs}"),
        "Disconnected",
    )
    .await;
    assert_eq!(job_status(&second, &sid, &uuid_of(&adopted)).await, "Idle");
    second
        .simulate_ok(&sid, &bs, json!({"connected": true}))
        .await;
    wait_job_status(&second, &sid, &uuid_of(&adopted), "Done").await;
    assert_eq!(available(&second, &sid, &bs).await, 10 * GB);
    second.stop().await;
    db.drop_database().await;
}
