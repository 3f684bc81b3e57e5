//! `X-Web-Hook`: the result is POSTed to a real receiver, retried while it fails.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use zstack_kernel::bus::Intercept;
use zstack_kernel::error::operr;
use zstack_zone::APICreateZoneMsg;

use crate::common::{TestNode, WebhookReceiver};

#[actix_web::test]
async fn the_result_is_pushed_with_the_job_headers_and_stays_pollable() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut hook = WebhookReceiver::start(0).await;
    let job = "a0345d3ddcae485f8170572b15a2b581";
    let r = t
        .post_zone(
            &sid,
            json!({"name": "Zone1", "description": "Test"}),
            &[("X-Job-UUID", job), ("X-Web-Hook", hook.url.as_str())],
        )
        .await;
    assert_eq!(r.status, 202);
    let pushed = hook
        .next(Duration::from_secs(10))
        .await
        .expect("a webhook call");
    assert_eq!(pushed.headers["x-job-uuid"], job);
    assert_eq!(pushed.headers["x-job-success"], "true");
    assert_eq!(pushed.body["inventory"]["name"], "Zone1");

    let polled = t.wait_job(r.body["location"].as_str().unwrap()).await;
    assert_eq!(polled.status, 200);
    assert_eq!(polled.body, pushed.body);
    assert!(
        hook.next(Duration::from_millis(300)).await.is_none(),
        "delivered once"
    );
    hook.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn a_failing_receiver_is_retried_until_it_accepts() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut hook = WebhookReceiver::start(3).await;
    let r = t
        .post_zone(
            &sid,
            json!({"name": "z"}),
            &[("X-Web-Hook", hook.url.as_str())],
        )
        .await;
    let pushed = hook
        .next(Duration::from_secs(10))
        .await
        .expect("delivered at last");
    assert_eq!(pushed.body["inventory"]["name"], "z");
    assert_eq!(
        hook.hits.load(Ordering::SeqCst),
        4,
        "three refusals, then success"
    );
    assert_eq!(
        t.wait_job(r.body["location"].as_str().unwrap())
            .await
            .status,
        200
    );
    hook.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn a_failed_job_is_pushed_with_success_false_and_the_error() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let _fail = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Fail(operr("no capacity")));
    let mut hook = WebhookReceiver::start(0).await;
    let r = t
        .post_zone(
            &sid,
            json!({"name": "z"}),
            &[("X-Web-Hook", hook.url.as_str())],
        )
        .await;
    let pushed = hook
        .next(Duration::from_secs(10))
        .await
        .expect("a webhook call");
    assert_eq!(pushed.headers["x-job-success"], "false");
    assert_eq!(pushed.body["error"]["details"], "no capacity");
    let polled = t.wait_job(r.body["location"].as_str().unwrap()).await;
    assert_eq!(polled.status, 503);
    assert_eq!(polled.body, pushed.body);
    hook.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn a_bad_webhook_url_is_400() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    for bad in ["not a url", "ftp://127.0.0.1/x", "https://127.0.0.1/hook"] {
        let r = t
            .post_zone(&sid, json!({"name": "z"}), &[("X-Web-Hook", bad)])
            .await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.details().contains("X-Web-Hook"));
    }
    assert_eq!(t.get("/zones?count=true", &sid).await.body["total"], 0);
    t.stop().await;
}
