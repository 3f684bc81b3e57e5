//! Stopping a node: running jobs get the shutdown grace to finish; the rest end as failed, never
//! left "processing".

use std::time::Duration;

use serde_json::json;
use zstack_kernel::bus::Intercept;
use zstack_kernel::jobs::store::{self as jobs, JobView};
use zstack_zone::APICreateZoneMsg;

use crate::common::TestNode;

async fn stop_during_a_slow_create(grace: u64, delay: Duration) -> JobView {
    let mut t = TestNode::start_with(|s| s.shutdown_grace = grace).await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(move |_: &APICreateZoneMsg| Intercept::Delay(delay));
    let accepted = t.post_zone(&sid, json!({"name": "slow"}), &[]).await;
    assert_eq!(accepted.status, 202);
    let location = accepted.body["location"].as_str().unwrap();
    let job_uuid = location.rsplit('/').next().unwrap().to_string();

    let node = t.node.take().unwrap();
    let db = node.node.db.clone();
    node.stop().await;
    let view = jobs::view(&db, &job_uuid, Duration::from_secs(3600))
        .await
        .unwrap();
    t.db.drop_database().await;
    view
}

#[actix_web::test]
async fn a_stopping_node_lets_a_running_job_finish() {
    match stop_during_a_slow_create(30, Duration::from_millis(800)).await {
        JobView::Done { success, body } => {
            assert!(success, "{body}");
            assert!(body.contains("\"slow\""), "{body}");
        }
        _ => panic!("the job did not finish"),
    }
}

#[actix_web::test]
async fn jobs_still_running_after_the_grace_end_as_failed() {
    match stop_during_a_slow_create(1, Duration::from_secs(10)).await {
        JobView::Done { success, body } => {
            assert!(!success);
            assert!(body.contains("SYS.1012"), "{body}");
        }
        _ => panic!("the job was left running"),
    }
}
