//! The HTTP edge under hostile input: who may read a job, where webhooks may go, what a job's
//! location is built from, and the requests actix refuses before any handler (too long, too
//! large, too slow), which still get a ZStack error body.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zstack_kernel::bus::Intercept;
use zstack_kernel::jobs::webhook_target::AllowEntry;
use zstack_zone::APICreateZoneMsg;

use crate::common::{Rsp, TestNode, WebhookReceiver};

/// sha512("secret"), as clients send passwords.
const SECRET_SHA512: &str = "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2";

/// A normal account `name`, logged in: its session.
async fn account(t: &TestNode, admin: &str, name: &str) -> String {
    t.create(
        admin,
        "/accounts",
        json!({"name": name, "password": SECRET_SHA512}),
    )
    .await;
    let rsp = t
        .send(
            Method::PUT,
            "/accounts/login",
            None,
            Some(json!({"logInByAccount": {"accountName": name, "password": SECRET_SHA512}})),
            &[],
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"]["uuid"].as_str().unwrap().to_string()
}

async fn poll(t: &TestNode, location: &str, session: Option<&str>) -> Rsp {
    t.send(Method::GET, location, session, None, &[]).await
}

/// The 404 a poll gets for a job it may not see, which must be the one an unknown job gets.
fn assert_unknown(rsp: &Rsp, job: &str) {
    assert_eq!(rsp.status, 404, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1009");
    assert_eq!(
        rsp.details(),
        format!("the job[uuid:{job}] has been expired"),
        "{:?}",
        rsp.body
    );
}

#[actix_web::test]
async fn a_job_answers_only_the_account_that_submitted_it_and_admin() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let alice = account(&t, &admin, "alice").await;
    let bob = account(&t, &admin, "bob").await;
    let slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_millis(800)));
    let accepted = t
        .post_zone(&alice, json!({"name": "alice-zone"}), &[])
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let location = accepted.body["location"].as_str().unwrap().to_string();
    let job = location.rsplit('/').next().unwrap().to_string();

    // While it runs, and once it is done, nobody else learns anything of it.
    for session in [
        None,
        Some("0123456789abcdef0123456789abcdef"),
        Some(bob.as_str()),
    ] {
        assert_unknown(&poll(&t, &location, session).await, &job);
    }
    assert_eq!(poll(&t, &location, Some(&alice)).await.status, 202);
    assert_eq!(t.wait_job_as(&location, &alice).await.status, 200);
    drop(slow);
    for session in [
        None,
        Some("0123456789abcdef0123456789abcdef"),
        Some(bob.as_str()),
    ] {
        assert_unknown(&poll(&t, &location, session).await, &job);
    }
    let unknown = "d825b1a26f4e474b8c59306081920ff2";
    assert_unknown(
        &poll(&t, &format!("/api-jobs/{unknown}"), None).await,
        unknown,
    );
    let mine = poll(&t, &location, Some(&alice)).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.body["inventory"]["name"], "alice-zone");
    let admins = poll(&t, &location, Some(&admin)).await;
    assert_eq!(admins.status, 200);
    assert_eq!(admins.body, mine.body);

    // Admin's own jobs are admin's alone.
    let accepted = t
        .post_zone(&admin, json!({"name": "admin-zone"}), &[])
        .await;
    let location = accepted.body["location"].as_str().unwrap().to_string();
    let job = location.rsplit('/').next().unwrap().to_string();
    assert_eq!(t.wait_job_as(&location, &admin).await.status, 200);
    assert_unknown(&poll(&t, &location, Some(&alice)).await, &job);
    assert_unknown(&poll(&t, &location, None).await, &job);
    t.stop().await;
}

#[actix_web::test]
async fn webhook_receivers_that_reach_the_node_or_its_cloud_are_refused() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let cases = [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("http://2130706433/", "numeric form"),
        ("http://0x7f000001/", "numeric form"),
        ("http://0177.0.0.1/", "numeric form"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
        ("http:///x", "the host is empty"),
        ("http://[::]/", "unspecified"),
        ("http://[fe80::1]/", "link-local"),
        ("http://169.254.10.1/", "link-local"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://metadata.google.internal/", "cloud metadata"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
    ];
    for (hook, why) in cases {
        let rsp = t
            .post_zone(&sid, json!({"name": "z"}), &[("X-Web-Hook", hook)])
            .await;
        assert_eq!(rsp.status, 400, "{hook}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007", "{hook}");
        assert!(
            rsp.details().starts_with("Invalid header[X-Web-Hook]") && rsp.details().contains(why),
            "{hook}: {}",
            rsp.details()
        );
    }
    // Bytes beyond ASCII (a full-width `127.0.0.1`) are refused, not taken for no header.
    let full_width =
        reqwest::header::HeaderValue::from_bytes("http://１２７.０.０.１/".as_bytes()).unwrap();
    let rsp = t
        .client
        .post(t.url("/zones"))
        .header("Authorization", format!("OAuth {sid}"))
        .header("X-Web-Hook", full_width)
        .body(json!({"params": {"name": "z"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(rsp.status(), 400);
    assert_eq!(
        t.get("/zones", &sid).await.body["inventories"],
        json!([]),
        "a refused request creates nothing"
    );
    // Loopback receivers stay allowed.
    let mut hook = WebhookReceiver::start(0).await;
    let rsp = t
        .post_zone(
            &sid,
            json!({"name": "z"}),
            &[("X-Web-Hook", hook.url.as_str())],
        )
        .await;
    assert_eq!(rsp.status, 202, "{:?}", rsp.body);
    assert!(hook.next(Duration::from_secs(10)).await.is_some());
    hook.stop().await;
    t.stop().await;
}

/// A receiver that answers every POST with a redirect to `to`, counting them.
async fn redirecting_receiver(
    to: String,
) -> (
    String,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    actix_web::dev::ServerHandle,
) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let server = HttpServer::new(move || {
        let to = to.clone();
        let counter = counter.clone();
        App::new().default_service(web::to(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let to = to.clone();
            async move {
                HttpResponse::Found()
                    .insert_header(("Location", to))
                    .finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind a receiver");
    let url = format!("http://{}/hook", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (url, hits, handle)
}

#[actix_web::test]
async fn a_redirecting_receiver_is_not_followed() {
    let t = TestNode::start_with(|s| s.webhook_tries = 2).await;
    let sid = t.login().await;
    let mut target = WebhookReceiver::start(0).await;
    let (redirecting, hits, server) = redirecting_receiver(target.url.clone()).await;
    let rsp = t
        .post_zone(
            &sid,
            json!({"name": "z"}),
            &[("X-Web-Hook", redirecting.as_str())],
        )
        .await;
    assert_eq!(rsp.status, 202, "{:?}", rsp.body);
    assert_eq!(
        t.wait_job(rsp.body["location"].as_str().unwrap())
            .await
            .status,
        200
    );
    assert!(
        target.next(Duration::from_secs(2)).await.is_none(),
        "the redirect was followed"
    );
    // Each try met the redirect, and counted as failed.
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    server.stop(false).await;
    target.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn webhook_allow_restricts_receivers_further() {
    let only_ten = TestNode::start_with(|s| {
        s.webhook_allow = vec![AllowEntry::parse("10.0.0.0/8").unwrap()];
    })
    .await;
    let sid = only_ten.login().await;
    let hook = WebhookReceiver::start(0).await;
    let by_name = hook.url.replace("127.0.0.1", "localhost");
    for url in [hook.url.as_str(), by_name.as_str()] {
        let rsp = only_ten
            .post_zone(&sid, json!({"name": "z"}), &[("X-Web-Hook", url)])
            .await;
        assert_eq!(rsp.status, 400, "{url}: {:?}", rsp.body);
        assert!(rsp.details().contains("X-Web-Hook"), "{}", rsp.details());
    }
    hook.stop().await;
    only_ten.stop().await;

    let listed = TestNode::start_with(|s| {
        s.webhook_allow = vec![
            AllowEntry::parse("127.0.0.1/32").unwrap(),
            AllowEntry::parse("hooks.example.com").unwrap(),
        ];
    })
    .await;
    let sid = listed.login().await;
    let mut hook = WebhookReceiver::start(0).await;
    // Listed: an address in a listed network, a name resolving into one, a listed name.
    let by_name = hook.url.replace("127.0.0.1", "localhost");
    for url in [
        hook.url.as_str(),
        by_name.as_str(),
        "http://hooks.example.com/",
    ] {
        let rsp = listed
            .post_zone(&sid, json!({"name": "z"}), &[("X-Web-Hook", url)])
            .await;
        assert_eq!(rsp.status, 202, "{url}: {:?}", rsp.body);
    }
    assert!(hook.next(Duration::from_secs(10)).await.is_some());
    assert!(hook.next(Duration::from_secs(10)).await.is_some());
    // Not listed.
    let rsp = listed
        .post_zone(
            &sid,
            json!({"name": "z"}),
            &[("X-Web-Hook", "http://10.0.0.1/")],
        )
        .await;
    assert_eq!(rsp.status, 400, "{:?}", rsp.body);
    assert!(
        rsp.details().contains("--webhook-allow"),
        "{}",
        rsp.details()
    );
    hook.stop().await;
    listed.stop().await;
}

/// The location of a 202 for `POST /zones` sent with `headers`, and the one its poll answers
/// while the job still runs.
async fn locations(t: &TestNode, sid: &str, headers: &[(&str, &str)]) -> (String, String) {
    let rsp = t.post_zone(sid, json!({"name": "z"}), headers).await;
    assert_eq!(rsp.status, 202, "{:?}", rsp.body);
    let location = rsp.body["location"].as_str().unwrap().to_string();
    let job = location.rsplit('/').next().unwrap();
    let polled = t
        .send(
            Method::GET,
            &format!("/api-jobs/{job}"),
            Some(sid),
            None,
            headers,
        )
        .await;
    assert_eq!(polled.status, 202, "{:?}", polled.body);
    (
        location,
        polled.body["location"].as_str().unwrap().to_string(),
    )
}

#[actix_web::test]
async fn job_locations_are_not_built_from_forged_headers() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_secs(2)));
    let node = t.base.clone();
    for headers in [
        vec![("X-Forwarded-Proto", "javascript")],
        vec![("X-Forwarded-Host", "evil.example/path?x=")],
        vec![("X-Forwarded-Host", "evil.example")],
        vec![("Forwarded", "proto=javascript;host=evil.example")],
        vec![("Host", "evil.example/path")],
        vec![("Host", "2130706433")],
        vec![("Host", "javascript:alert(1)")],
    ] {
        let (location, polled) = locations(&t, &sid, &headers).await;
        for l in [&location, &polled] {
            assert!(
                l.starts_with(&format!("{node}/zstack/v1/api-jobs/")),
                "{headers:?}: {l}"
            );
        }
    }
    // A well-formed Host is what the client used to reach the node.
    let (location, polled) = locations(&t, &sid, &[("Host", "zstack.example:8080")]).await;
    for l in [&location, &polled] {
        assert!(
            l.starts_with("http://zstack.example:8080/zstack/v1/api-jobs/"),
            "{l}"
        );
    }
    t.stop().await;
}

#[actix_web::test]
async fn trust_forwarded_honours_well_formed_forwarding_headers() {
    let t = TestNode::start_with(|s| s.trust_forwarded = true).await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_secs(2)));
    let node = t.base.clone();
    let cases: [(&[(&str, &str)], String); 5] = [
        (
            &[
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Host", "proxy.example:8443"),
            ],
            "https://proxy.example:8443".into(),
        ),
        (
            &[("Forwarded", "for=10.0.0.1;proto=https;host=\"p.example\"")],
            "https://p.example".into(),
        ),
        (&[("X-Forwarded-Proto", "javascript")], node.clone()),
        (&[("X-Forwarded-Host", "evil.example/path")], node.clone()),
        (
            &[
                ("X-Forwarded-Proto", "HTTPS"),
                ("X-Forwarded-Host", "[::1]"),
            ],
            "https://[::1]".into(),
        ),
    ];
    for (headers, base) in cases {
        let (location, polled) = locations(&t, &sid, headers).await;
        for l in [&location, &polled] {
            assert!(
                l.starts_with(&format!("{base}/zstack/v1/api-jobs/")),
                "{headers:?}: {l}"
            );
        }
    }
    t.stop().await;
}

#[actix_web::test]
async fn public_url_wins_over_every_header() {
    let t = TestNode::start_with(|s| {
        s.trust_forwarded = true;
        s.public_url = Some("https://zstack.example.com/api".into());
    })
    .await;
    let sid = t.login().await;
    let _slow = t
        .bus()
        .intercept(|_: &APICreateZoneMsg| Intercept::Delay(Duration::from_secs(2)));
    let (location, polled) = locations(
        &t,
        &sid,
        &[
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Host", "proxy.example"),
            ("Host", "other.example"),
        ],
    )
    .await;
    for l in [&location, &polled] {
        assert!(
            l.starts_with("https://zstack.example.com/api/zstack/v1/api-jobs/"),
            "{l}"
        );
    }
    t.stop().await;
}

/// Sends `request` on a fresh connection and reads until the node closes it (at most
/// `within`): the whole answer, and when it ended.
async fn exchange(t: &TestNode, request: &[u8], within: Duration) -> (String, Duration) {
    let addr = t.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    // A refused request may be answered (and the connection closed) before all of it is sent.
    let _ = conn.write_all(request).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 8192];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection was still open after {within:?}"
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

/// The status line and the JSON body of a raw answer.
fn parse(answer: &str) -> (&str, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    let status = head.lines().next().unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn requests_actix_refuses_itself_still_get_an_error_body() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    // A 64 KiB URL: over the 65,534 bytes actix-http's URI parser accepts (and reqwest's, so
    // it goes over a raw connection).
    let request = format!(
        "GET /zstack/v1/zones?q=name={} HTTP/1.1\r\nHost: x\r\nAuthorization: OAuth {sid}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let (answer, _) = exchange(&t, request.as_bytes(), Duration::from_secs(10)).await;
    let (status, body) = parse(&answer);
    assert!(status.starts_with("HTTP/1.1 400 "), "{status}");
    assert_eq!(body["error"]["code"], "SYS.1007", "{answer}");
    assert!(
        body["error"]["details"].as_str().unwrap().contains("65534"),
        "{body}"
    );

    // A head over actix's 128 KiB buffer.
    let request = format!(
        "GET /zstack/v1/zones HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(140_000)
    );
    let (answer, _) = exchange(&t, request.as_bytes(), Duration::from_secs(10)).await;
    let (status, body) = parse(&answer);
    assert!(status.starts_with("HTTP/1.1 431 "), "{status}");
    assert_eq!(body["error"]["code"], "SYS.1007", "{answer}");

    // A request line that is not HTTP.
    let (answer, _) = exchange(&t, b"GET /\x01 HTTP/1.1\r\n\r\n", Duration::from_secs(10)).await;
    let (status, body) = parse(&answer);
    assert!(status.starts_with("HTTP/1.1 400 "), "{status}");
    assert_eq!(body["error"]["code"], "SYS.1007", "{answer}");

    // A body over the 4 MiB limit.
    let big = json!({"params": {"name": "a".repeat(5 * 1024 * 1024)}});
    let rsp = t.post_zone(&sid, big["params"].clone(), &[]).await;
    assert_eq!(rsp.status, 413);
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // The node serves on.
    assert_eq!(t.get("/zones", &sid).await.status, 200);
    t.stop().await;
}

#[actix_web::test]
async fn a_stalled_body_is_answered_408_and_closed() {
    let t = TestNode::start_with(|s| s.body_timeout = 1).await;
    let sid = t.login().await;
    let request = format!(
        "POST /zstack/v1/zones HTTP/1.1\r\nHost: x\r\nAuthorization: OAuth {sid}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"params\":"
    );
    let (answer, took) = exchange(&t, request.as_bytes(), Duration::from_secs(10)).await;
    let (status, body) = parse(&answer);
    assert!(status.starts_with("HTTP/1.1 408 "), "{answer}");
    assert_eq!(body["error"]["code"], "SYS.1007", "{answer}");
    assert!(
        body["error"]["details"]
            .as_str()
            .unwrap()
            .contains("not received within 1 s"),
        "{body}"
    );
    // The timeout, then at most the 1 s the node reads what a closing client still sends.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(4),
        "{took:?}"
    );
    assert_eq!(
        t.get("/zones", &sid).await.body["inventories"],
        json!([]),
        "nothing was created"
    );
    t.stop().await;
}

#[actix_web::test]
async fn head_is_answered_as_get_without_a_body() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "z"})).await;
    let get = t
        .client
        .get(t.url("/zones"))
        .header("Authorization", format!("OAuth {sid}"))
        .send()
        .await
        .unwrap();
    let head = t
        .client
        .head(t.url("/zones"))
        .header("Authorization", format!("OAuth {sid}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        head.headers().get("content-type"),
        get.headers().get("content-type")
    );
    assert_eq!(
        head.headers().get("content-length"),
        get.headers().get("content-length")
    );
    assert!(head.bytes().await.unwrap().is_empty());
    assert!(!get.bytes().await.unwrap().is_empty());
    // Without a session, HEAD is refused as GET is.
    let head = t.client.head(t.url("/zones")).send().await.unwrap();
    let get = t.send(Method::GET, "/zones", None, None, &[]).await;
    assert_eq!(head.status(), get.status);
    t.stop().await;
}
