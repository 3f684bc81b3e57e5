//! `GET /metrics`: what the gateway did, in Prometheus' text format.

use std::time::Duration;

use serde_json::json;

use crate::common::{TestNode, WebhookReceiver};

async fn metrics(t: &TestNode) -> String {
    let rsp = t
        .client
        .get(format!("{}/metrics", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 200);
    rsp.text().await.unwrap()
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[actix_web::test]
async fn metrics_count_responses_results_and_webhooks() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut hook = WebhookReceiver::start(0).await;
    t.create_zone(&sid, json!({"name": "a"})).await;
    let accepted = t
        .post_zone(
            &sid,
            json!({"name": "b"}),
            &[("X-Web-Hook", hook.url.as_str())],
        )
        .await;
    hook.next(Duration::from_secs(10)).await.expect("delivered");
    t.wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
        .await;
    assert_eq!(t.get("/zones?q=nonsense", &sid).await.status, 400);

    let text = metrics(&t).await;
    assert_eq!(
        value(
            &text,
            r#"zstack_api_duration_seconds_count{api="APICreateZoneMsg",success="true"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"zstack_api_duration_seconds_count{api="APILogInByAccountMsg",success="true"}"#
        ),
        Some(1.0)
    );
    // Two creates answered 202; polls of running jobs answer 202 too.
    assert!(value(&text, r#"zstack_http_responses_total{status="202"}"#).unwrap() >= 2.0);
    assert_eq!(
        value(&text, r#"zstack_http_responses_total{status="400"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"zstack_webhooks_total{outcome="delivered"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, "zstack_jobs_running"), Some(0.0));
    hook.stop().await;
    t.stop().await;
}
