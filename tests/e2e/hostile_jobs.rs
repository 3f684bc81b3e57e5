//! A job's answer says what happened: past its timeout, after a SIGKILL of its node, and when
//! its request carries bad tags.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use zstack_kernel::bus::Intercept;
use zstack_zone::{APICreateZoneMsg, APIUpdateZoneMsg};

use crate::common::{TestDb, TestNode};
use crate::hostile_ownership::{finish, run_job};
use crate::process::{client_for, free_port, spawn_node};

async fn zone_named(t: &TestNode, session: &str, name: &str) -> Vec<Value> {
    let rsp = t.get(&format!("/zones?q=name={name}"), session).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn a_create_stopped_by_its_timeout_creates_nothing() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_secs(2)));
    let done = run_job(
        &t,
        Method::POST,
        "/zones",
        &sid,
        Some(json!({"params": {"name": "late"}})),
        &[("X-API-Timeout", "1")],
    )
    .await;
    assert_eq!(done.status, 503, "{:?}", done.body);
    assert_eq!(done.code(), "SYS.1001");
    // The message still reaches the zone service after the timeout; it must not create.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(zone_named(&t, &sid, "late").await.is_empty());
    t.stop().await;
}

#[actix_web::test]
async fn an_update_past_its_timeout_ends_with_its_real_result() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "before"})).await;
    let _slow = t
        .bus()
        .intercept(|_: &APIUpdateZoneMsg| Intercept::Delay(Duration::from_secs(2)));
    let done = run_job(
        &t,
        Method::PUT,
        &format!("/zones/{}/actions", zone["uuid"].as_str().unwrap()),
        &sid,
        Some(json!({"updateZone": {"name": "after"}})),
        &[("X-API-Timeout", "1")],
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["name"], "after");
    assert_eq!(zone_named(&t, &sid, "after").await.len(), 1);
    t.stop().await;
}

/// `X-API-Timeout: 0` races every create against its own timeout: whichever wins, the answer
/// matches the database.
#[actix_web::test]
async fn with_a_zero_timeout_every_answer_matches_the_database() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut locations = Vec::new();
    for i in 0..60 {
        let accepted = t
            .post_zone(
                &sid,
                json!({"name": format!("z{i}")}),
                &[("X-API-Timeout", "0")],
            )
            .await;
        assert_eq!(accepted.status, 202);
        locations.push((
            format!("z{i}"),
            accepted.body["location"].as_str().unwrap().to_string(),
        ));
    }
    let mut created = 0;
    for (name, location) in &locations {
        let done = finish(&t, &sid, location).await;
        let found = zone_named(&t, &sid, name).await;
        match done.status.as_u16() {
            200 => {
                created += 1;
                assert_eq!(found.len(), 1, "{name}: 200 but no zone");
                assert_eq!(found[0]["uuid"], done.body["inventory"]["uuid"]);
            }
            503 => {
                assert_eq!(done.code(), "SYS.1001", "{:?}", done.body);
                assert!(found.is_empty(), "{name}: SYS.1001 but the zone exists");
            }
            other => panic!("{name}: {other} {:?}", done.body),
        }
    }
    let all = t.get("/zones?count=true", &sid).await;
    assert_eq!(all.body["total"], created);
    t.stop().await;
}

fn sigkill(child: &mut std::process::Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A burst of creates, the node SIGKILLed in the middle of it, then restarted: every job ends,
/// and each one's answer is what the database holds.
#[actix_web::test]
async fn after_a_sigkill_every_job_answer_matches_the_database() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    let port = free_port();
    let mut first = spawn_node(port, &url);
    let t = client_for(port, db).await;
    let sid = t.login().await;

    // 64 clients submit creates until the node dies under them.
    let accepted = std::sync::Arc::new(tokio::sync::Mutex::new(Vec::<(String, String)>::new()));
    let mut clients = Vec::new();
    for c in 0..64 {
        let accepted = accepted.clone();
        let (base, sid) = (t.base.clone(), sid.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0.. {
                let name = format!("k{c}-{i}");
                let sent = http
                    .post(format!("{base}/zstack/v1/zones"))
                    .header("Authorization", format!("OAuth {sid}"))
                    .header("Content-Type", "application/json")
                    .body(json!({"params": {"name": name}}).to_string())
                    .send()
                    .await;
                let Ok(rsp) = sent else { break };
                if rsp.status() != 202 {
                    break;
                }
                let Ok(body) = rsp.json::<Value>().await else {
                    break;
                };
                let location = body["location"].as_str().unwrap_or_default().to_string();
                accepted.lock().await.push((name, location));
            }
        }));
    }
    let started = Instant::now();
    while accepted.lock().await.len() < 400 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sigkill(&mut first);
    for client in clients {
        let _ = client.await;
    }
    let accepted = accepted.lock().await.clone();
    assert!(accepted.len() >= 400, "only {} accepted", accepted.len());

    let mut second = spawn_node(port, &url);
    let t = client_for(port, t.db).await;
    let zones = t.get("/zones?limit=100000", &sid).await;
    let by_name: HashMap<String, String> = zones.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| {
            (
                z["name"].as_str().unwrap().to_string(),
                z["uuid"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let (mut succeeded, mut failed) = (0, 0);
    for (name, location) in &accepted {
        let done = finish(&t, &sid, location).await;
        match done.status.as_u16() {
            200 => {
                succeeded += 1;
                assert_eq!(
                    by_name.get(name).map(String::as_str),
                    done.body["inventory"]["uuid"].as_str(),
                    "{name}: the job says created, the database disagrees"
                );
            }
            503 => {
                failed += 1;
                assert!(
                    !by_name.contains_key(name),
                    "{name}: the job failed ({:?}) but the zone exists",
                    done.body
                );
            }
            other => panic!("{name}: {other} {:?}", done.body),
        }
    }
    // Every zone of an accepted job was answered 200 by that job. (A request whose 202 the
    // kill cut off may have created its zone: its client never learnt of a job either way.)
    let names: std::collections::HashSet<&str> =
        accepted.iter().map(|(name, _)| name.as_str()).collect();
    let of_accepted = by_name
        .keys()
        .filter(|n| names.contains(n.as_str()))
        .count();
    assert_eq!(of_accepted, succeeded, "{failed} failed");
    eprintln!(
        "sigkill burst: {} accepted, {succeeded} created, {failed} failed",
        accepted.len()
    );
    sigkill(&mut second);
    t.db.drop_database().await;
}

#[actix_web::test]
async fn tags_in_a_create_body_are_checked_before_anything_is_created() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let long = "x".repeat(2049);
    let cases: Vec<(&str, Value)> = vec![
        (
            "too long",
            json!({"params": {"name": "a"}, "userTags": [long]}),
        ),
        (
            "too long, system",
            json!({"params": {"name": "b"}, "systemTags": [long]}),
        ),
        (
            "empty",
            json!({"params": {"name": "c"}, "userTags": ["  "]}),
        ),
        (
            "too many",
            json!({"params": {"name": "d"}, "userTags": (0..257).map(|i| format!("t{i}")).collect::<Vec<_>>()}),
        ),
    ];
    for (why, body) in cases {
        let done = run_job(&t, Method::POST, "/zones", &sid, Some(body), &[]).await;
        assert_eq!(done.status, 503, "{why}: {:?}", done.body);
        assert_eq!(done.code(), "SYS.1007", "{why}: {:?}", done.body);
    }
    assert!(t.query_names(&sid, "/zones").await.is_empty());

    // A huge list is refused at once, whatever the database.
    let many: Vec<String> = (0..100_000).map(|i| format!("t{i}")).collect();
    let started = Instant::now();
    let done = run_job(
        &t,
        Method::POST,
        "/zones",
        &sid,
        Some(json!({"params": {"name": "e"}, "userTags": many})),
        &[],
    )
    .await;
    assert_eq!(done.code(), "SYS.1007", "{:?}", done.body);
    assert!(done.details().contains("256"), "{}", done.details());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // At the limit, every tag is kept, trimmed as the tag APIs keep them.
    let tags: Vec<String> = (0..256).map(|i| format!(" t{i} ")).collect();
    let done = run_job(
        &t,
        Method::POST,
        "/zones",
        &sid,
        Some(json!({"params": {"name": "f"}, "userTags": tags})),
        &[],
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let tagged = t
        .get(
            &format!(
                "/user-tags?q=resourceUuid={}&count=true",
                done.body["inventory"]["uuid"].as_str().unwrap()
            ),
            &sid,
        )
        .await;
    assert_eq!(tagged.body["total"], 256, "{:?}", tagged.body);
    let one = t.get("/user-tags?q=tag=t7", &sid).await;
    assert_eq!(one.body["inventories"].as_array().unwrap().len(), 1);
    t.stop().await;
}
