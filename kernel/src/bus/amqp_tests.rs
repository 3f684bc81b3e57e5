//! The bus between nodes over the real RabbitMQ: two buses in one process, each with its own
//! queue, as two management nodes would have.

use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use super::*;
use crate::message::new_uuid;

/// The broker the tests use. Without one they are skipped, except under `CI=true`, where a
/// missing broker fails them.
pub(crate) fn broker_url() -> Option<String> {
    let url = std::env::var("ZSTACK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let reachable = std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5672".parse().expect("a socket address"),
        Duration::from_secs(2),
    )
    .is_ok()
        || std::env::var("ZSTACK_TEST_AMQP_URL").is_ok();
    if reachable {
        return Some(url);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "RabbitMQ is not reachable at 127.0.0.1:5672 and CI=true"
    );
    eprintln!("skipped: RabbitMQ is not reachable at 127.0.0.1:5672");
    None
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Where {
    key: Option<String>,
    sleep_ms: u64,
}

impl Message for Where {
    const NAME: &'static str = "WhereMsg";
    type Reply = String;
    fn queue_key(&self) -> Option<String> {
        self.key.clone()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct OnlyOnA;

impl Message for OnlyOnA {
    const NAME: &'static str = "OnlyOnAMsg";
    type Reply = ();
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Ping(String);

impl Event for Ping {
    const NAME: &'static str = "PingEvent";
}

/// A node: its bus, running service `where` (which answers with the node's name) when asked to.
async fn node(url: &str, name: &str, runs_where: bool) -> (Bus, Arc<AmqpTransport>) {
    let services = if runs_where { None } else { Some(Vec::new()) };
    let me = NodeInfo {
        uuid: new_uuid(),
        services,
    };
    let bus = Bus::with_ring(Duration::from_secs(10), Arc::new(NodeRing::new(me)));
    let name = name.to_string();
    bus.register(Service::new("where").handle(move |m: Where, _ctx| {
        let name = name.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(m.sleep_ms)).await;
            Ok(name)
        }
    }))
    .unwrap();
    let transport = AmqpTransport::start(&bus, AmqpSettings::new(url))
        .await
        .unwrap();
    (bus, transport)
}

fn introduce(a: &Bus, b: &Bus) {
    a.ring().join(b.ring().me().clone());
    b.ring().join(a.ring().me().clone());
}

fn at(key: Option<&str>, sleep_ms: u64) -> Where {
    Where {
        key: key.map(String::from),
        sleep_ms,
    }
}

#[actix::test]
async fn a_call_reaches_the_node_running_the_service_and_its_typed_reply_comes_back() {
    let Some(url) = broker_url() else { return };
    let (a, _ta) = node(&url, "a", false).await;
    let (b, _tb) = node(&url, "b", true).await;
    introduce(&a, &b);
    assert_eq!(a.call(at(None, 0)).await.unwrap(), "b");
    assert_eq!(b.call(at(None, 0)).await.unwrap(), "b");
}

#[actix::test]
async fn messages_about_a_resource_go_to_its_owner_on_the_ring() {
    let Some(url) = broker_url() else { return };
    let (a, _ta) = node(&url, "a", true).await;
    let (b, _tb) = node(&url, "b", true).await;
    introduce(&a, &b);
    let names = [
        (a.ring().me().uuid.clone(), "a"),
        (b.ring().me().uuid.clone(), "b"),
    ];
    let mut handled_by = [0, 0];
    for _ in 0..40 {
        let key = new_uuid();
        let owner = a.ring().owner(&key, "where").unwrap();
        let expected = names.iter().find(|(uuid, _)| *uuid == owner).unwrap().1;
        // Whichever node sends it, the owner handles it.
        assert_eq!(a.call(at(Some(&key), 0)).await.unwrap(), expected);
        assert_eq!(b.call(at(Some(&key), 0)).await.unwrap(), expected);
        handled_by[usize::from(expected == "b")] += 1;
    }
    assert!(handled_by[0] > 0 && handled_by[1] > 0, "{handled_by:?}");
}

#[actix::test]
async fn a_message_the_receiving_node_does_not_know_is_answered_with_sys_1008() {
    let Some(url) = broker_url() else { return };
    let (a, _ta) = node(&url, "a", false).await;
    let (b, _tb) = node(&url, "b", true).await;
    introduce(&a, &b);
    // Only node a declares OnlyOnAMsg; it believes b runs every service.
    a.register(Service::new("only-on-a").handle(|_: OnlyOnA, _ctx| async move { Ok(()) }))
        .unwrap();
    let started = Instant::now();
    let err = a.call(OnlyOnA).await.unwrap_err();
    assert_eq!(err.code, "SYS.1008");
    assert!(err.details.unwrap().contains("OnlyOnAMsg"));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[actix::test]
async fn calls_pending_on_a_node_that_leaves_are_answered_at_once_with_sys_1012() {
    let Some(url) = broker_url() else { return };
    let (a, _ta) = node(&url, "a", false).await;
    let (b, _tb) = node(&url, "b", true).await;
    introduce(&a, &b);
    let b_uuid = b.ring().me().uuid.clone();
    let cluster = a.ring().clone();
    actix::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.leave(&b_uuid);
    });
    let started = Instant::now();
    let err = a.call(at(None, 5000)).await.unwrap_err();
    assert_eq!(err.code, "SYS.1012");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // With b gone nobody runs the service: refused at once.
    assert_eq!(a.call(at(None, 0)).await.unwrap_err().code, "SYS.1012");
}

#[actix::test]
async fn events_reach_subscribers_on_every_node() {
    let Some(url) = broker_url() else { return };
    let (a, _ta) = node(&url, "a", true).await;
    let (b, _tb) = node(&url, "b", true).await;
    introduce(&a, &b);
    let seen_on_a = Arc::new(AtomicUsize::new(0));
    let seen = seen_on_a.clone();
    let _sub = a.subscribe(move |p: &Ping| {
        if p.0 == "from b" {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    b.publish(Ping("from b".into()));
    let deadline = Instant::now() + Duration::from_secs(5);
    while seen_on_a.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Exactly once, and a node does not hear its own broadcast twice.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(seen_on_a.load(Ordering::SeqCst), 1);
}

#[actix::test]
async fn a_broker_that_cannot_be_reached_fails_the_start_with_a_clear_error() {
    if broker_url().is_none() {
        return;
    }
    let bus = Bus::new(Duration::from_secs(1));
    let mut settings = AmqpSettings::new("amqp://guest:secret@127.0.0.1:1/%2f");
    settings.connect_timeout = Duration::from_secs(2);
    let started = Instant::now();
    let err = match AmqpTransport::start(&bus, settings).await {
        Ok(_) => panic!("connected to a closed port"),
        Err(e) => e,
    };
    assert_eq!(err.code, "SYS.1012");
    let details = err.details.unwrap();
    assert!(
        details.contains("message broker") && !details.contains("secret"),
        "{details}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct WhoAreYou;

impl Message for WhoAreYou {
    const NAME: &'static str = "WhoAreYouMsg";
    type Reply = String;
}

#[actix::test]
async fn a_call_to_each_node_reaches_every_node_even_those_placed_elsewhere() {
    let Some(url) = broker_url() else { return };
    // Neither node runs service `where`; the every-node service runs on both anyway.
    let (a, _ta) = node(&url, "a", false).await;
    let (b, _tb) = node(&url, "b", false).await;
    for (bus, name) in [(&a, "a"), (&b, "b")] {
        let name = name.to_string();
        bus.register(
            Service::new("who")
                .on_every_node()
                .handle(move |_: WhoAreYou, _ctx| {
                    let name = name.clone();
                    async move { Ok(name) }
                }),
        )
        .unwrap();
    }
    introduce(&a, &b);
    let mut answers: Vec<(String, String)> = a
        .call_each_node(WhoAreYou, Duration::from_secs(5))
        .await
        .into_iter()
        .map(|(node, reply)| (node, reply.unwrap()))
        .collect();
    answers.sort_by(|x, y| x.1.cmp(&y.1));
    assert_eq!(
        answers,
        vec![
            (a.ring().me().uuid.clone(), "a".to_string()),
            (b.ring().me().uuid.clone(), "b".to_string())
        ]
    );
    // A member that does not answer is reported, not waited for past the timeout.
    b.ring().leave(&a.ring().me().uuid);
    a.ring().join(NodeInfo {
        uuid: new_uuid(),
        services: None,
    });
    let started = Instant::now();
    let replies = a
        .call_each_node(WhoAreYou, Duration::from_millis(500))
        .await;
    assert_eq!(replies.len(), 3);
    assert_eq!(replies.iter().filter(|(_, r)| r.is_err()).count(), 1);
    assert!(started.elapsed() < Duration::from_secs(3));
}
