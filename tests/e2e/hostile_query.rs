//! Queries sent to hurt the node: deep paths, too many conditions, fields or bytes, paging numbers
//! beyond 64 bits, NUL bytes, values too long for their column, and slow queries. Each is refused
//! or stopped with ZStack's error body, and the node keeps answering.

use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::common::{Rsp, TestNode};

/// A dotted path following `hops` relations between zones and clusters, ending at `name`.
fn path(hops: usize) -> String {
    let mut parts: Vec<&str> = (0..hops)
        .map(|i| if i % 2 == 0 { "cluster" } else { "zone" })
        .collect();
    parts.push("name");
    parts.join(".")
}

fn is_postgres(t: &TestNode) -> bool {
    t.db.url.starts_with("postgres")
}

/// A refusal in ZStack's error body whose details contain `needle`.
fn assert_refused(r: &Rsp, status: u16, needle: &str) {
    assert_eq!(r.status, status, "{:?}", r.body);
    assert_eq!(r.code(), "SYS.1007", "{:?}", r.body);
    assert!(r.details().contains(needle), "{:?}", r.body);
}

/// No database wording in an answer.
fn assert_no_database_text(r: &Rsp) {
    let text = r.body.to_string();
    for raw in [
        "Query Error",
        "returned from database",
        "UTF8",
        "character varying",
        "SQL",
    ] {
        assert!(!text.contains(raw), "database text [{raw}] in {text}");
    }
}

#[actix_web::test]
async fn a_path_of_1900_hops_is_refused_and_the_node_keeps_answering() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let url = format!("/zones?q={}=x", path(1900));
    assert!(url.len() > 12_000, "a 12 KB URL, as the report sent");

    let r = t.get(&url, &sid).await;
    assert_refused(&r, 400, "follows 1900 relations");
    assert!(r.details().contains("at most 8"), "{:?}", r.body);
    assert!(r.details().len() < 400, "the path is not echoed whole");

    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(2), t.get("/zones", &sid))
        .await
        .expect("the node answers the next request within 2 s");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(started.elapsed() < Duration::from_secs(2));
    t.stop().await;
}

#[actix_web::test]
async fn eight_hops_answer_and_nine_are_refused() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z1"})).await;
    t.create_zone(&sid, json!({"name": "z2"})).await;
    t.create(
        &sid,
        "/clusters",
        json!({"name": "c1", "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
    )
    .await;

    // 8 hops from zones end on a zone; 9 end on a cluster.
    assert_eq!(
        t.query_names(&sid, &format!("/zones?q={}=z1", path(8)))
            .await,
        ["z1"]
    );
    let r = t.get(&format!("/zones?q={}=c1", path(9)), &sid).await;
    assert_refused(
        &r,
        400,
        "follows 9 relations, but a query may follow at most 8",
    );
    // The by-uuid form is bounded the same way.
    let r = t
        .get(
            &format!("/zones/{}?q={}=c1", zone["uuid"].as_str().unwrap(), path(9)),
            &sid,
        )
        .await;
    assert_refused(&r, 400, "at most 8");
    t.stop().await;
}

#[actix_web::test]
async fn conditions_fields_and_query_length_are_bounded() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "z1"})).await;
    let conditions = |n: usize| {
        (0..n)
            .map(|i| format!("q=name!=v{i}"))
            .collect::<Vec<_>>()
            .join("&")
    };

    // 1,000 conditions once reached SQLite and came back as its "expression tree" error.
    let r = t.get(&format!("/zones?{}", conditions(1000)), &sid).await;
    assert_refused(&r, 400, "at most 64 conditions");
    assert_no_database_text(&r);
    let r = t.get(&format!("/zones?{}", conditions(65)), &sid).await;
    assert_refused(&r, 400, "at most 64 conditions");
    assert_eq!(
        t.query_names(&sid, &format!("/zones?{}", conditions(64)))
            .await,
        ["z1"]
    );

    let fields = vec!["name"; 65].join(",");
    let r = t.get(&format!("/zones?fields={fields}"), &sid).await;
    assert_refused(&r, 400, "at most 64 fields");
    let r = t.get("/zones?fields=uuid,name", &sid).await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let long = format!("q=name={}", "x".repeat(16 * 1024));
    let r = t.get(&format!("/zones?{long}"), &sid).await;
    assert_refused(&r, 400, "at most 16384 bytes");
    t.stop().await;
}

#[actix_web::test]
async fn the_query_bounds_are_configurable() {
    let t = TestNode::start_with(|s| {
        s.query_max_hops = 2;
        s.query_max_conditions = 3;
        s.query_max_fields = 2;
        s.query_max_length = 300;
    })
    .await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "z1"})).await;

    assert_eq!(
        t.query_names(&sid, "/zones?q=cluster.zone.name=z1").await,
        Vec::<String>::new()
    );
    let r = t.get("/zones?q=cluster.zone.cluster.name=c", &sid).await;
    assert_refused(&r, 400, "at most 2 (the query hop limit)");
    let r = t
        .get("/zones?q=name=a&q=name=b&q=name=c&q=name=d", &sid)
        .await;
    assert_refused(&r, 400, "at most 3 conditions");
    let r = t.get("/zones?fields=uuid,name,state", &sid).await;
    assert_refused(&r, 400, "at most 2 fields");
    let r = t
        .get(&format!("/zones?q=name={}", "x".repeat(300)), &sid)
        .await;
    assert_refused(&r, 400, "at most 300 bytes");
    t.stop().await;
}

#[actix_web::test]
async fn paging_beyond_64_bits_is_refused_naming_the_parameter() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "z1"})).await;

    for (query, name) in [
        ("limit=18446744073709551615", "'limit'"),
        ("start=18446744073709551615", "'start'"),
        ("limit=9223372036854775808", "'limit'"),
        ("start=99999999999999999999999999", "'start'"),
    ] {
        let r = t.get(&format!("/zones?{query}"), &sid).await;
        assert_refused(&r, 400, name);
        assert!(
            r.details().contains("at most 9223372036854775807"),
            "{:?}",
            r.body
        );
    }
    // The largest accepted values run.
    let r = t.get("/zones?limit=9223372036854775807", &sid).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["inventories"].as_array().map(Vec::len), Some(1));
    let r = t
        .get("/zones?start=9223372036854775807&replyWithCount=true", &sid)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["total"], 1);

    // Absurd sorting, grouping and field names are refused, never a crash of the handler.
    for query in [
        "sortBy=nope",
        "sort=-",
        "sortDirection=sideways",
        "groupBy=nope",
        "fields=nope",
        "sortBy=name%00",
    ] {
        let r = t.get(&format!("/zones?{query}"), &sid).await;
        assert!(r.status == 400 || r.status == 503, "{query}: {:?}", r.body);
        assert_eq!(r.code(), "SYS.1007", "{query}: {:?}", r.body);
    }
    t.stop().await;
}

#[actix_web::test]
async fn nul_bytes_are_refused_without_database_text() {
    let t = TestNode::start().await;
    let sid = t.login().await;

    let r = t.get("/zones?q=name=a%00b", &sid).await;
    assert_refused(&r, 400, "NUL character");
    assert_no_database_text(&r);

    let done = t
        .call_async(
            Method::POST,
            "/zones",
            &sid,
            Some(json!({"params": {"name": "a\u{0}b"}})),
        )
        .await;
    assert_refused(&done, 503, "field[name]");
    assert!(done.details().contains("NUL"), "{:?}", done.body);
    assert_no_database_text(&done);
    assert_eq!(t.get("/zones?count=true", &sid).await.body["total"], 0);

    // A NUL the parameter checks do not see reaches the database, which PostgreSQL refuses:
    // the answer still says what is wrong, in words of the API.
    let rsp = t
        .send(
            Method::POST,
            "/zones",
            Some(&sid),
            Some(json!({"params": {"name": "tagged"}, "userTags": ["a\u{0}b"]})),
            &[],
        )
        .await;
    let done = if rsp.status == 202 {
        t.wait_job(rsp.body["location"].as_str().expect("a location"))
            .await
    } else {
        rsp
    };
    if is_postgres(&t) || done.status != 200 {
        assert_eq!(done.code(), "SYS.1007", "{:?}", done.body);
        assert!(done.details().contains("NUL"), "{:?}", done.body);
        assert_no_database_text(&done);
    }
    t.stop().await;
}

#[actix_web::test]
async fn a_value_too_long_for_its_column_is_sys_1007_without_database_text() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    // The job table keeps X-Web-Hook in 2,048 characters; PostgreSQL enforces it.
    let hook = format!("http://127.0.0.1:9/{}", "w".repeat(2100));
    let r = t
        .post_zone(&sid, json!({"name": "z"}), &[("X-Web-Hook", &hook)])
        .await;
    if is_postgres(&t) || r.status != 202 {
        assert_ne!(r.status, 202, "{:?}", r.body);
        assert_eq!(r.code(), "SYS.1007", "{:?}", r.body);
        assert_no_database_text(&r);
    }
    t.stop().await;
}

/// `n` zones with one cluster each, written straight into the database (a big installation).
async fn seed_zones_and_clusters(t: &TestNode, n: u32) {
    let db = Database::connect(t.db.url.as_str())
        .await
        .expect("the test database");
    let sql = if is_postgres(t) {
        format!(
            "INSERT INTO zone (uuid, name, state, type, is_default, create_date, last_op_date)
               SELECT lpad(to_hex(i), 32, '0'), 'zone-' || i, 'Enabled', 'zstack', false, now(), now()
               FROM generate_series(1, {n}) AS i;
             INSERT INTO cluster (uuid, name, state, hypervisor_type, type, zone_uuid, create_date, last_op_date)
               SELECT 'c' || lpad(to_hex(i), 31, '0'), 'cluster-' || i, 'Enabled', 'Simulator', 'zstack',
                      lpad(to_hex(i), 32, '0'), now(), now()
               FROM generate_series(1, {n}) AS i;
             ANALYZE zone; ANALYZE cluster;"
        )
    } else {
        let date = "'2026-01-01 00:00:00+00:00'";
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
               INSERT INTO zone (uuid, name, state, type, is_default, create_date, last_op_date)
               SELECT printf('%032x', i), 'zone-' || i, 'Enabled', 'zstack', 0, {date}, {date} FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
               INSERT INTO cluster (uuid, name, state, hypervisor_type, type, zone_uuid, create_date, last_op_date)
               SELECT printf('c%031x', i), 'cluster-' || i, 'Enabled', 'Simulator', 'zstack',
                      printf('%032x', i), {date}, {date} FROM n;"
        )
    };
    db.execute_unprepared(&sql).await.expect("seed rows");
}

/// Statements still running in the test's PostgreSQL database, other than this check.
async fn running_statements(t: &TestNode) -> Vec<String> {
    let db = Database::connect(t.db.url.as_str())
        .await
        .expect("the test database");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT query FROM pg_stat_activity
             WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()",
        ))
        .await
        .expect("pg_stat_activity");
    rows.iter()
        .map(|r| r.try_get::<String>("", "query").unwrap_or_default())
        .collect()
}

#[actix_web::test]
async fn a_slow_query_is_stopped_by_the_query_timeout_and_frees_its_connection() {
    let t = TestNode::start_with(|s| s.query_timeout = 1).await;
    let sid = t.login().await;
    seed_zones_and_clusters(&t, 100_000).await;
    // Eight conditions of eight hops each over 100,000 zones and clusters: within every bound,
    // and many seconds of work for either database.
    let condition = format!("q={}!=nothing", path(8));
    let slow = format!("/zones?{}&count=true", vec![condition; 8].join("&"));

    let started = Instant::now();
    let r = t.get(&slow, &sid).await;
    let took = started.elapsed();
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.code(), "SYS.1001", "{:?}", r.body);
    assert!(r.details().contains("query timeout of 1 s"), "{:?}", r.body);
    assert_no_database_text(&r);
    assert!(took < Duration::from_secs(5), "answered after {took:?}");

    // Clients that give up do not leave their queries running: the database stops them.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gave_up = futures_util::future::join_all((0..8).map(|_| {
        impatient
            .get(t.url(&slow))
            .header("Authorization", format!("OAuth {sid}"))
            .send()
    }))
    .await;
    assert!(gave_up.iter().all(Result::is_err), "the clients gave up");
    tokio::time::sleep(Duration::from_secs(3)).await;
    if is_postgres(&t) {
        let left = running_statements(&t).await;
        assert!(left.is_empty(), "still running: {left:?}");
    }
    let started = Instant::now();
    let r = tokio::time::timeout(Duration::from_secs(2), t.get("/zones?limit=1", &sid))
        .await
        .expect("a connection is free again");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(started.elapsed() < Duration::from_secs(2));
    t.stop().await;
}
