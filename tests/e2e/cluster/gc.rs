//! GC jobs across nodes: the node that owns an event-based job is SIGKILLed; the ring owner of
//! the job among the nodes left adopts it, and runs it when its event comes.

use std::time::{Duration, Instant};

use serde_json::json;

use super::*;
use crate::gc::{
    available, backup_storage, expunge, files, image_on, job_status, only_job, uuid_of,
    wait_job_status, wait_status,
};

const GB: i64 = 1 << 30;
const RUNNER: &str = "BackupStorageDeleteBitGC";

fn fast_pings(_: usize) -> Vec<String> {
    ["--ping-interval", "1", "--gc-interval", "1"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[actix_web::test]
async fn a_killed_nodes_gc_job_is_adopted_by_the_ring_owner_and_runs_on_its_event() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(3, &fast_pings).await else {
        return;
    };
    let sid = cluster.nodes[0].api.login().await;
    let api = &cluster.nodes[0].api;
    let bs = backup_storage(api, &sid, "bs").await;
    let (image, copies) = image_on(api, &sid, &[&bs], GB).await;
    api.simulate_ok(&sid, &bs, json!({"connected": false}))
        .await;
    wait_status(api, &sid, &format!("/backup-storage/{bs}"), "Disconnected").await;
    expunge(api, &sid, &image).await;
    let job = only_job(api, &sid, RUNNER).await;
    let uuid = uuid_of(&job);
    assert_eq!(job["status"], "Idle");
    let owner = job["managementNodeUuid"].as_str().unwrap().to_string();
    let owner = cluster
        .nodes
        .iter()
        .position(|n| n.uuid == owner)
        .expect("the job's node is one of the cluster's");

    cluster.nodes[owner].kill();
    let killed_at = Instant::now();
    let alive: Vec<usize> = (0..3).filter(|&i| i != owner).collect();
    let heir = cluster.owner_among(&uuid, &alive);
    let api = &cluster.nodes[alive[0]].api;

    // Once the killed node is found dead, the ring owner of the job takes it over.
    let deadline = Instant::now() + Duration::from_secs(DEAD_AFTER_SECS + 15);
    loop {
        let now = only_job(api, &sid, RUNNER).await;
        if now["managementNodeUuid"] == cluster.nodes[heir].uuid.as_str() {
            println!(
                "GC job adopted {:?} after its node was killed",
                killed_at.elapsed()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the job was never adopted by node {heir}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Its try on adoption failed: the storage is still down.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(job_status(api, &sid, &uuid).await, "Idle");
    assert_eq!(files(api, &sid, &bs).await, [copies[0].1.clone()]);
    assert_eq!(available(api, &sid, &bs).await, 9 * GB);

    // The storage comes back: whichever node pings it announces it, the heir runs the job.
    api.simulate_ok(&sid, &bs, json!({"connected": true})).await;
    let back_at = Instant::now();
    wait_job_status(api, &sid, &uuid, "Done").await;
    println!(
        "GC job Done {:?} after the storage came back",
        back_at.elapsed()
    );
    assert!(files(api, &sid, &bs).await.is_empty());
    assert_eq!(available(api, &sid, &bs).await, 10 * GB);
    cluster.stop().await;
}
