//! Task progress across nodes: an image downloaded by the image service on one node reports its
//! progress under the API id the other node gave the request, and the other node answers it.

use super::*;

/// Node 0 runs every service but images; node 1 runs images only.
fn images_apart(i: usize) -> Vec<String> {
    let services = if i == 0 {
        "account,managementNode,tag,taskProgress,notification,zone,cluster,host,primaryStorage,backupStorage,instanceOffering,diskOffering,l2Network,l3Network,simulator,license"
    } else {
        "image"
    };
    vec!["--services".into(), services.into()]
}

const GB: i64 = 1 << 30;

#[actix_web::test]
async fn progress_reported_on_another_node_lands_under_the_api_id() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(2, &images_apart).await else {
        return;
    };
    let api = &cluster.nodes[0].api;
    let sid = api.login().await;
    let zone = create_zone(&cluster.nodes[0], &sid, "z").await;
    let bs = api
        .create(
            &sid,
            "/backup-storage/image-store",
            json!({"name": "bs", "url": "/bs", "hostname": "10.1.0.1", "username": "root",
                   "password": "secret", "totalCapacity": 100 * GB}),
        )
        .await;
    let bs = bs["uuid"].as_str().unwrap().to_string();
    let attached = api
        .call_async(
            Method::POST,
            &format!("/zones/{zone}/backup-storage/{bs}"),
            &sid,
            Some(json!({"params": {}})),
        )
        .await;
    assert_eq!(attached.status, 200);
    // 3 GiB at 1 GiB/s: the download lasts about three seconds.
    let slow = api
        .action(
            &sid,
            &format!("/simulators/{bs}/actions"),
            "updateSimulatorState",
            json!({"bandwidth": GB}),
        )
        .await;
    assert_eq!(slow.status, 200, "{:?}", slow.body);

    let api_id = uuid::Uuid::new_v4().simple().to_string();
    let accepted = api
        .send(
            Method::POST,
            "/images",
            Some(&sid),
            Some(
                json!({"params": {"name": "img", "url": "http://x/i.qcow2#size=3221225472",
                                   "backupStorageUuids": [bs]}}),
            ),
            &[("X-Job-UUID", api_id.as_str())],
        )
        .await;
    let job = job_path(&location(&accepted));
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let rsp = api.get(&format!("/task-progresses/{api_id}"), &sid).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        if let Some(p) = rsp.body["inventories"][0]["subTasks"][0]["content"].as_str() {
            if seen.last().map(String::as_str) != Some(p) {
                seen.push(p.to_string());
            }
            if p == "100" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        seen.len() >= 3,
        "progress seen while the download ran: {seen:?}"
    );
    assert_eq!(seen.last().map(String::as_str), Some("100"));
    let done = wait_job_on(&cluster.nodes[0], &sid, &job, Duration::from_secs(20)).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    // The image service ran on node 1, not on node 0.
    assert_eq!(
        cluster.nodes[1]
            .metric(r#"zstack_bus_messages_handled_total{message="APIAddImageMsg"}"#)
            .await,
        1.0
    );
    // Its reports were stored by the task-progress service on node 0.
    let stored = cluster.nodes[0]
        .metric(r#"zstack_bus_messages_handled_total{message="ReportTaskProgressMsg"}"#)
        .await;
    assert!(stored >= 12.0, "{stored}");
    cluster.stop().await;
}
