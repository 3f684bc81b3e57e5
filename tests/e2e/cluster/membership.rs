//! Three nodes find each other, list each other, split the resources between them, and see a
//! node go when it stops.

use std::time::Duration;

use super::*;

#[actix_web::test]
async fn three_nodes_list_each_other_and_a_stopped_node_leaves_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(mut cluster) = TestCluster::start(3, &|_| Vec::new()).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    for node in &cluster.nodes {
        assert_eq!(node.listed_nodes(&session).await, cluster.uuids());
    }
    let rsp = cluster.nodes[1]
        .api
        .get("/management-nodes", &session)
        .await;
    let listed = &rsp.body["inventories"][0];
    assert_eq!(listed["hostName"], "127.0.0.1");
    assert!(crate::common::is_zstack_date(
        listed["heartBeat"].as_str().unwrap()
    ));

    // A node that stops says so: the others drop it well before it could be declared dead.
    let started = Instant::now();
    cluster.nodes[2].terminate().await;
    cluster.wait_until_all_see(2).await;
    assert!(
        started.elapsed() < Duration::from_secs(DEAD_AFTER_SECS),
        "{:?}",
        started.elapsed()
    );
    let left = cluster.nodes[2].uuid.clone();
    assert!(
        !cluster.nodes[0]
            .listed_nodes(&session)
            .await
            .contains(&left)
    );

    cluster.restart(2).await;
    cluster.wait_until_all_see(3).await;
    assert_eq!(
        cluster.nodes[0].listed_nodes(&session).await,
        cluster.uuids()
    );
    cluster.stop().await;
}

#[actix_web::test]
async fn messages_about_a_zone_are_handled_by_its_owner_whichever_node_is_asked() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(cluster) = TestCluster::start(3, &|_| Vec::new()).await else {
        return;
    };
    let session = cluster.nodes[0].api.login().await;
    let mut zones = Vec::new();
    for i in 0..30 {
        zones.push(create_zone(&cluster.nodes[i % 3], &session, &format!("z{i}")).await);
    }
    let before: Vec<f64> = futures_util::future::join_all(
        cluster
            .nodes
            .iter()
            .map(|n| n.metric(r#"zstack_bus_messages_handled_total{message="APIUpdateZoneMsg"}"#)),
    )
    .await;
    // Each zone is updated through every node; its owner handles all three updates.
    let mut expected = [0f64; 3];
    for zone in &zones {
        expected[cluster.owner_among(zone, &[0, 1, 2])] += 3.0;
        for via in &cluster.nodes {
            let done = via
                .api
                .call_async(
                    Method::PUT,
                    &format!("/zones/{zone}/actions"),
                    &session,
                    Some(json!({"updateZone": {"description": format!("via {}", via.port)}})),
                )
                .await;
            assert_eq!(done.status, 200, "{:?}", done.body);
            assert_eq!(done.body["inventory"]["uuid"], zone.as_str());
        }
    }
    for (i, node) in cluster.nodes.iter().enumerate() {
        let after = node
            .metric(r#"zstack_bus_messages_handled_total{message="APIUpdateZoneMsg"}"#)
            .await;
        assert_eq!(after - before[i], expected[i], "node {i}: {expected:?}");
    }
    assert!(
        expected.iter().all(|&n| n > 0.0),
        "every node owns some of 30 zones: {expected:?}"
    );
    cluster.stop().await;
}
