//! Long jobs outlive their node: two nodes SIGKILLed, one with a long job Waiting (its start
//! held) and one with a long job Running (a download half done); the node left takes both
//! over: the Waiting one starts, the Running one resumes its download, and both succeed there.

use std::time::Duration;

use super::*;

const GB: i64 = 1 << 30;

/// Node 0 holds the start of every long job submitted to it.
fn held_starts(i: usize) -> Vec<String> {
    if i == 0 {
        vec!["--delay-message".into(), "StartLongJobMsg=600000".into()]
    } else {
        Vec::new()
    }
}

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

fn add_image(name: &str, size: i64, bs: &str) -> Value {
    json!({"params": {"name": name, "jobName": "APIAddImageMsg", "jobData": json!({
        "name": name, "url": format!("http://images.example/{name}.qcow2#size={size}"),
        "backupStorageUuids": [bs],
    }).to_string()}})
}

async fn long_job(via: &NodeProc, session: &str, uuid: &str) -> Value {
    let rsp = via.api.get(&format!("/longjobs/{uuid}"), session).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"][0].clone()
}

#[actix_web::test]
async fn a_killed_nodes_long_jobs_are_taken_over_waiting_ones_start_running_ones_resume() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(3, &held_starts).await else {
        return;
    };
    let heir = &cluster.nodes[2];
    let session = heir.api.login().await;
    let zone = create_zone(heir, &session, "z").await;
    let bs = uuid_of(
        &heir
            .api
            .create(
                &session,
                "/backup-storage/image-store",
                json!({"name": "bs", "url": "/bs", "hostname": "10.1.0.1", "username": "root",
                       "password": "secret", "totalCapacity": 100 * GB}),
            )
            .await,
    );
    let attached = heir
        .api
        .call_async(
            Method::POST,
            &format!("/zones/{zone}/backup-storage/{bs}"),
            &session,
            Some(json!({"params": {}})),
        )
        .await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    let limited = heir
        .api
        .action(
            &session,
            &format!("/simulators/{bs}/actions"),
            "updateSimulatorState",
            json!({"bandwidth": GB}),
        )
        .await;
    assert_eq!(limited.status, 200, "{:?}", limited.body);

    // Running on node 1: 6 GiB at 1 GiB/s, under way.
    let running = cluster.nodes[1]
        .api
        .call_async(
            Method::POST,
            "/longjobs",
            &session,
            Some(add_image("running", 6 * GB, &bs)),
        )
        .await;
    assert_eq!(running.status, 200, "{:?}", running.body);
    let running = &running.body["inventory"];
    assert_eq!(running["state"], "Running");
    assert_eq!(running["managementNodeUuid"], cluster.nodes[1].uuid);
    let (running, api_id) = (
        uuid_of(running),
        running["apiId"].as_str().unwrap().to_string(),
    );
    let mut under_way = false;
    for _ in 0..200 {
        let p = heir
            .api
            .get(&format!("/task-progresses/{api_id}"), &session)
            .await;
        if let Some(p) = p.body["inventories"][0]["subTasks"][0]["content"].as_str()
            && p != "0"
        {
            under_way = p != "100";
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(under_way);

    // Waiting on node 0, whose start is held.
    let accepted = cluster.nodes[0]
        .api
        .send(
            Method::POST,
            "/longjobs",
            Some(&session),
            Some(add_image("waiting", GB, &bs)),
            &[],
        )
        .await;
    let submit_job = job_path(&location(&accepted));
    let mut waiting = None;
    for _ in 0..200 {
        let found = heir.api.get("/longjobs?q=state=Waiting", &session).await;
        if let Some(job) = found.body["inventories"].get(0) {
            waiting = Some(job.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let waiting = waiting.expect("a Waiting long job");
    assert_eq!(waiting["managementNodeUuid"], cluster.nodes[0].uuid);
    let waiting = uuid_of(&waiting);
    assert_eq!(long_job(heir, &session, &running).await["state"], "Running");

    cluster.nodes[0].kill();
    cluster.nodes[1].kill();
    let heir = &cluster.nodes[2];

    let deadline = Instant::now() + Duration::from_secs(40);
    let mut ended = Vec::new();
    for uuid in [&waiting, &running] {
        loop {
            let job = long_job(heir, &session, uuid).await;
            if job["state"] == "Succeeded" || job["state"] == "Failed" {
                ended.push(job);
                break;
            }
            if Instant::now() >= deadline {
                let all = heir.api.get("/longjobs", &session).await;
                let images = heir.api.get("/images", &session).await;
                panic!(
                    "long job {uuid} did not end: {job}\nall long jobs: {}\nimages: {}\nmembers seen by the heir: {}",
                    all.body,
                    images.body,
                    heir.metric("zstack_cluster_members").await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    for job in &ended {
        assert_eq!(job["state"], "Succeeded", "{job}");
        assert_eq!(job["managementNodeUuid"], heir.uuid, "{job}");
        let result: Value = serde_json::from_str(job["jobResult"].as_str().unwrap()).unwrap();
        assert_eq!(result["inventory"]["status"], "Ready", "{job}");
    }
    // The resumed download went on under the same API id, to its end.
    let progress = heir
        .api
        .get(&format!("/task-progresses/{api_id}?all=true"), &session)
        .await;
    assert!(
        progress.body.to_string().contains("\"100\""),
        "{:?}",
        progress.body
    );
    // Each image took its size once.
    let storage = heir
        .api
        .get(&format!("/backup-storage/{bs}"), &session)
        .await;
    assert_eq!(storage.body["inventories"][0]["availableCapacity"], 93 * GB);
    let images = heir
        .api
        .get("/images?q=status=Ready&count=true", &session)
        .await;
    assert_eq!(images.body["total"], 2, "{:?}", images.body);
    // The held submission's own job ended with the job it had created.
    let submitted = wait_job_on(heir, &session, &submit_job, Duration::from_secs(10)).await;
    assert_eq!(submitted.status, 200, "{:?}", submitted.body);
    assert_eq!(submitted.body["inventory"]["uuid"], waiting);
    cluster.stop().await;
}
