//! Nodes killed with SIGKILL in the middle of a job: the job ends as failed (503, SYS.1012 on
//! poll, webhook once), never stuck in running; ownership moves to the nodes left.

use std::time::Duration;

use super::*;
use crate::common::WebhookReceiver;

const HELD_MS: u64 = 3000;
const UPDATE: &str = r#"zstack_bus_messages_handled_total{message="APIUpdateZoneMsg"}"#;

/// Every node holds each zone update for a while before handling it, so a node can be killed
/// while one is in flight.
fn slow_updates(_: usize) -> Vec<String> {
    vec![
        "--delay-message".into(),
        format!("APIUpdateZoneMsg={HELD_MS}"),
    ]
}

/// A zone the node `owner` owns among all three.
async fn zone_owned_by(cluster: &TestCluster, session: &str, owner: usize) -> String {
    for i in 0..200 {
        let zone = create_zone(&cluster.nodes[0], session, &format!("z{i}")).await;
        if cluster.owner_among(&zone, &[0, 1, 2]) == owner {
            return zone;
        }
    }
    panic!("no zone owned by node {owner}");
}

#[actix_web::test]
async fn killing_the_node_running_a_job_fails_it_on_the_others_and_fires_its_webhook_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(3, &slow_updates).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    let zone = zone_owned_by(&cluster, &session, 1).await;
    let mut hook = WebhookReceiver::start(0).await;
    let accepted = update_zone(
        &cluster.nodes[0],
        &session,
        &zone,
        "lost",
        &[("X-Web-Hook", hook.url.as_str())],
    )
    .await;
    let job = job_path(&location(&accepted));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        cluster.nodes[1]
            .api
            .send(Method::GET, &job, Some(&session), None, &[])
            .await
            .status,
        202
    );
    let killed = cluster.nodes[0].uuid.clone();
    cluster.nodes[0].kill();

    let done = wait_job_on(&cluster.nodes[2], &session, &job, Duration::from_secs(15)).await;
    assert_eq!(done.status, 503, "{:?}", done.body);
    assert_eq!(error_code(&done.body), "SYS.1012");
    assert!(
        done.body["error"]["details"]
            .as_str()
            .unwrap()
            .contains(&killed)
    );
    let delivered = hook
        .next(Duration::from_secs(10))
        .await
        .expect("the webhook");
    assert_eq!(delivered.headers["x-job-success"], "false");
    assert_eq!(error_code(&delivered.body), "SYS.1012");
    // The owner's late answer (it still handles the update) must not fire it again.
    assert!(
        hook.next(Duration::from_millis(HELD_MS + 1000))
            .await
            .is_none()
    );
    hook.stop().await;
    cluster.wait_until_all_see(2).await;
    let session = cluster.nodes[1].api.login().await;
    assert!(
        !cluster.nodes[1]
            .listed_nodes(&session)
            .await
            .contains(&killed)
    );
    cluster.stop().await;
}

#[actix_web::test]
async fn killing_the_owner_answers_the_waiting_job_with_sys_1012_and_ownership_moves() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(3, &slow_updates).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    let zone = zone_owned_by(&cluster, &session, 1).await;
    let accepted = update_zone(&cluster.nodes[0], &session, &zone, "lost", &[]).await;
    let job = job_path(&location(&accepted));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let killed = cluster.nodes[1].uuid.clone();
    cluster.nodes[1].kill();
    let killed_at = Instant::now();

    let done = wait_job_on(&cluster.nodes[2], &session, &job, Duration::from_secs(15)).await;
    assert_eq!(done.status, 503, "{:?}", done.body);
    assert_eq!(error_code(&done.body), "SYS.1012");
    assert!(
        done.body["error"]["details"]
            .as_str()
            .unwrap()
            .contains(&killed)
    );
    // Answered when the node was found dead, not after the API's 30-minute timeout.
    assert!(
        killed_at.elapsed() < Duration::from_secs(DEAD_AFTER_SECS + 4),
        "{:?}",
        killed_at.elapsed()
    );

    // The zone now belongs to one of the two nodes left, with nothing else done.
    cluster.wait_until_all_see(2).await;
    let heir = cluster.owner_among(&zone, &[0, 2]);
    let before = cluster.nodes[heir].metric(UPDATE).await;
    let done = update_zone_done(&cluster.nodes[0], &session, &zone, "after failover").await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(cluster.nodes[heir].metric(UPDATE).await, before + 1.0);

    // The killed node comes back with the same uuid and owns the zone again.
    cluster.restart(1).await;
    cluster.wait_until_all_see(3).await;
    let done = update_zone_done(&cluster.nodes[2], &session, &zone, "owner is back").await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(cluster.nodes[1].metric(UPDATE).await, 1.0);
    cluster.stop().await;
}
