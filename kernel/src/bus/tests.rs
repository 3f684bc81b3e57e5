use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use super::*;
use crate::error::operr;

#[derive(serde::Serialize, serde::Deserialize)]
struct Echo {
    text: String,
    sleep_ms: u64,
    resource: Option<String>,
}

impl Message for Echo {
    const NAME: &'static str = "EchoMsg";
    type Reply = String;
    fn queue_key(&self) -> Option<String> {
        self.resource.clone()
    }
}

struct Nobody;
impl Message for Nobody {
    const NAME: &'static str = "NobodyHandlesMsg";
    type Reply = ();
}

#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Happened(u32);
impl Event for Happened {
    const NAME: &'static str = "Happened";
}

type Log = Arc<Mutex<Vec<(String, &'static str, Instant)>>>;

fn echo_bus(log: Log) -> Bus {
    let bus = Bus::new(Duration::from_secs(5));
    let service = Service::new("echo").handle(move |m: Echo, _ctx| {
        let log = log.clone();
        async move {
            log.lock()
                .unwrap()
                .push((m.text.clone(), "start", Instant::now()));
            tokio::time::sleep(Duration::from_millis(m.sleep_ms)).await;
            log.lock()
                .unwrap()
                .push((m.text.clone(), "end", Instant::now()));
            Ok(m.text)
        }
    });
    bus.register(service).unwrap();
    bus
}

fn echo(text: &str, sleep_ms: u64, resource: Option<&str>) -> Echo {
    Echo {
        text: text.into(),
        sleep_ms,
        resource: resource.map(String::from),
    }
}

#[actix::test]
async fn call_returns_the_typed_reply() {
    let bus = echo_bus(Log::default());
    assert_eq!(bus.call(echo("hi", 0, None)).await.unwrap(), "hi");
}

#[actix::test]
async fn a_message_no_service_handles_is_sys_1008() {
    let bus = echo_bus(Log::default());
    let err = bus.call(Nobody).await.unwrap_err();
    assert_eq!(err.code, "SYS.1008");
    assert!(err.details.unwrap().contains("NobodyHandlesMsg"));
}

#[actix::test]
async fn a_call_past_its_timeout_is_sys_1001_and_the_late_reply_is_dropped() {
    let log = Log::default();
    let bus = echo_bus(log.clone());
    let err = bus
        .call_with_timeout(echo("slow", 300, None), Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(err.code, "SYS.1001");
    assert!(err.details.unwrap().contains("EchoMsg"));
    // The handler still finishes; its reply goes nowhere and nothing breaks.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(log.lock().unwrap().len(), 2);
    assert_eq!(bus.call(echo("after", 0, None)).await.unwrap(), "after");
}

#[actix::test]
async fn send_delivers_without_waiting_for_a_reply() {
    let log = Log::default();
    let bus = echo_bus(log.clone());
    bus.send(echo("fire", 0, None));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(log.lock().unwrap().iter().any(|(t, _, _)| t == "fire"));
}

#[actix::test]
async fn subscribers_get_published_events_until_unsubscribed() {
    let bus = Bus::new(Duration::from_secs(1));
    let seen = Arc::new(AtomicUsize::new(0));
    let seen2 = seen.clone();
    let sub = bus.subscribe(move |e: &Happened| {
        seen2.fetch_add(e.0 as usize, Ordering::SeqCst);
    });
    bus.publish(Happened(2));
    bus.publish(Happened(3));
    drop(sub);
    bus.publish(Happened(100));
    assert_eq!(seen.load(Ordering::SeqCst), 5);
}

#[actix::test]
async fn interceptors_observe_fail_answer_and_delay_messages() {
    let log = Log::default();
    let bus = echo_bus(log.clone());

    let observed = Arc::new(AtomicUsize::new(0));
    let o = observed.clone();
    let observer = bus.intercept(move |_: &Echo| {
        o.fetch_add(1, Ordering::SeqCst);
        Intercept::Pass
    });
    assert_eq!(bus.call(echo("a", 0, None)).await.unwrap(), "a");
    assert_eq!(observed.load(Ordering::SeqCst), 1);
    drop(observer);

    let failing = bus.intercept(|_: &Echo| Intercept::Fail(operr("on purpose")));
    let err = bus.call(echo("b", 0, None)).await.unwrap_err();
    assert_eq!(err.code, "SYS.1006");
    drop(failing);

    let faking = bus.intercept(|m: &Echo| Intercept::Reply(format!("fake {}", m.text)));
    assert_eq!(bus.call(echo("c", 0, None)).await.unwrap(), "fake c");
    drop(faking);

    let delaying = bus.intercept(|_: &Echo| Intercept::Delay(Duration::from_millis(200)));
    let err = bus
        .call_with_timeout(echo("d", 0, None), Duration::from_millis(50))
        .await
        .unwrap_err();
    assert_eq!(err.code, "SYS.1001");
    drop(delaying);

    // Neither the failed, the faked nor the timed-out message reached the service.
    let texts: Vec<String> = log
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _, _)| t.clone())
        .collect();
    assert_eq!(texts, vec!["a", "a"]);
}

#[actix::test]
async fn messages_about_one_resource_run_one_at_a_time_in_order() {
    let log = Log::default();
    let bus = echo_bus(log.clone());
    let calls: Vec<_> = (0..5)
        .map(|i| bus.call(echo(&format!("m{i}"), 30, Some("vm1"))))
        .collect();
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    let log = log.lock().unwrap();
    let order: Vec<String> = log.iter().map(|(t, s, _)| format!("{t}:{s}")).collect();
    let expected: Vec<String> = (0..5)
        .flat_map(|i| [format!("m{i}:start"), format!("m{i}:end")])
        .collect();
    assert_eq!(order, expected);
}

#[actix::test]
async fn messages_about_different_resources_run_in_parallel() {
    let log = Log::default();
    let bus = echo_bus(log.clone());
    let started = Instant::now();
    let calls: Vec<_> = (0..5)
        .map(|i| bus.call(echo(&format!("m{i}"), 300, Some(&format!("vm{i}")))))
        .collect();
    for r in futures_util::future::join_all(calls).await {
        r.unwrap();
    }
    // Serialized they would take 1.5 s; in parallel all five start before the first ends.
    let log = log.lock().unwrap();
    let first_end = log.iter().position(|(_, s, _)| *s == "end").unwrap();
    assert_eq!(
        first_end,
        5,
        "all starts come before any end: {:?}",
        log.iter()
            .map(|(t, s, _)| format!("{t}:{s}"))
            .collect::<Vec<_>>()
    );
    assert!(started.elapsed() < Duration::from_millis(1200));
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Boom {
    resource: String,
}

impl Message for Boom {
    const NAME: &'static str = "BoomMsg";
    type Reply = ();
    fn queue_key(&self) -> Option<String> {
        Some(self.resource.clone())
    }
}

#[actix::test]
async fn a_panicking_handler_fails_its_call_and_frees_its_resource_queue() {
    let bus = Bus::new(Duration::from_secs(5));
    let service = Service::new("fragile")
        .handle(|_: Boom, _ctx| async move {
            panic!("handler bug");
            #[allow(unreachable_code)]
            Ok(())
        })
        .handle(|m: Echo, _ctx| async move { Ok(m.text) });
    bus.register(service).unwrap();
    let err = bus
        .call(Boom {
            resource: "vm1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code, "SYS.1000");
    // The next message about the same resource, to the same service, still runs.
    let again = bus
        .call_with_timeout(echo("after", 0, Some("vm1")), Duration::from_secs(1))
        .await;
    assert_eq!(again.unwrap(), "after");
}

fn bus_running(services: &[&str]) -> Bus {
    let me = NodeInfo {
        uuid: new_uuid(),
        services: Some(services.iter().map(|s| s.to_string()).collect()),
    };
    Bus::with_ring(Duration::from_secs(5), Arc::new(NodeRing::new(me)))
}

#[actix::test]
async fn a_service_this_node_does_not_run_is_declared_but_unreachable_without_other_nodes() {
    let bus = bus_running(&["zone"]);
    bus.register(Service::new("echo").handle(|m: Echo, _ctx| async move { Ok(m.text) }))
        .unwrap();
    assert_eq!(bus.service_ids(), ["echo"]);
    let err = bus.call(echo("x", 0, None)).await.unwrap_err();
    assert_eq!(err.code, "SYS.1012");
    assert!(err.details.unwrap().contains("service[echo]"));
    // A message no service declares at all is still SYS.1008.
    assert_eq!(bus.call(Nobody).await.unwrap_err().code, "SYS.1008");
}

#[actix::test]
async fn delivery_delays_hold_a_message_on_the_node_that_handles_it() {
    let log = Log::default();
    let bus = echo_bus(log.clone());
    bus.delay_delivery("EchoMsg", Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(bus.call(echo("late", 0, None)).await.unwrap(), "late");
    assert!(started.elapsed() >= Duration::from_millis(300));
}
