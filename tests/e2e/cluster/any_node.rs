//! Any node answers any REST call: jobs, webhooks and sessions live in the shared database.

use std::time::Duration;

use super::*;
use crate::common::WebhookReceiver;

#[actix_web::test]
async fn a_job_made_on_one_node_is_polled_on_the_others_and_its_webhook_fires_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(3, &|_| Vec::new()).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    let mut hook = WebhookReceiver::start(0).await;
    let zone = create_zone(&cluster.nodes[2], &session, "shared").await;
    let accepted = update_zone(
        &cluster.nodes[0],
        &session,
        &zone,
        "from node 0",
        &[("X-Web-Hook", hook.url.as_str())],
    )
    .await;
    let job = job_path(&location(&accepted));
    for via in &cluster.nodes[1..] {
        let done = wait_job_on(via, &session, &job, Duration::from_secs(10)).await;
        assert_eq!(done.status, 200, "{:?}", done.body);
        assert_eq!(done.body["inventory"]["description"], "from node 0");
    }
    let delivered = hook
        .next(Duration::from_secs(10))
        .await
        .expect("the webhook");
    assert_eq!(delivered.headers["x-job-success"], "true");
    assert_eq!(delivered.body["inventory"]["uuid"], zone.as_str());
    assert!(
        hook.next(Duration::from_secs(2)).await.is_none(),
        "a second delivery"
    );
    hook.stop().await;

    // What one node created, the others query.
    let rsp = cluster.nodes[1]
        .api
        .get(&format!("/zones/{zone}"), &session)
        .await;
    assert_eq!(rsp.body["inventories"][0]["description"], "from node 0");
    cluster.stop().await;
}

#[actix_web::test]
async fn a_session_made_on_one_node_works_on_the_others_until_a_logout_anywhere() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(3, &|_| Vec::new()).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    for via in &cluster.nodes {
        assert_eq!(via.api.get("/zones", &session).await.status, 200);
    }
    let out = cluster.nodes[0]
        .api
        .send(
            Method::DELETE,
            &format!("/accounts/sessions/{session}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(out.status, 200, "{:?}", out.body);
    for via in &cluster.nodes[1..] {
        let rsp = via.api.get("/zones", &session).await;
        assert_eq!(rsp.status, 503, "{:?}", rsp.body);
        assert_eq!(rsp.code(), "ID.1001");
    }
    cluster.stop().await;
}

#[actix_web::test]
async fn an_account_deleted_on_one_node_is_refused_on_every_node_from_the_reply_on() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(3, &|_| Vec::new()).await else {
        return;
    };
    let admin = cluster.nodes[0].api.login().await;
    let (alice_uuid, alice) =
        crate::accounts::account(&cluster.nodes[1].api, &admin, "alice").await;
    // Every node has admitted alice's session (and may remember it).
    for via in &cluster.nodes {
        for _ in 0..3 {
            assert_eq!(via.api.get("/zones", &alice).await.status, 200);
        }
    }
    let deleted = cluster.nodes[2]
        .api
        .call_async(
            Method::DELETE,
            &format!("/accounts/{alice_uuid}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    for via in &cluster.nodes {
        let rsp = via.api.get("/zones", &alice).await;
        assert_eq!(rsp.status, 503, "{:?}", rsp.body);
        assert_eq!(rsp.code(), "ID.1001");
    }
    // Admin's own session is untouched.
    for via in &cluster.nodes {
        assert_eq!(via.api.get("/zones", &admin).await.status, 200);
    }
    cluster.stop().await;
}
