//! Bus call round trips: in-process, between two nodes over RabbitMQ (the AMQP transport), and a
//! bare lapin request/reply loop on the same broker as the baseline. Each is run sequentially
//! (latency) and with 32 calls in flight (throughput). Run with `cargo bench --bench bus_roundtrip`
//! (`BENCH_AMQP_URL` picks the broker; default the local one).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use zstack_kernel::Message;
use zstack_kernel::bus::{AmqpSettings, AmqpTransport, Bus, Service};
use zstack_kernel::node_ring::{NodeInfo, NodeRing};

const SEQUENTIAL: usize = 3000;
const CONCURRENT: usize = 20000;
const IN_FLIGHT: usize = 32;

#[derive(serde::Serialize, serde::Deserialize)]
struct Ping {
    n: u64,
}

impl Message for Ping {
    const NAME: &'static str = "BenchPingMsg";
    type Reply = u64;
}

fn node(services: Option<Vec<String>>) -> Bus {
    let me = NodeInfo {
        uuid: zstack_kernel::message::new_uuid(),
        services,
    };
    let bus = Bus::with_ring(Duration::from_secs(10), Arc::new(NodeRing::new(me)));
    bus.register(Service::new("bench").handle(|m: Ping, _ctx| async move { Ok(m.n + 1) }))
        .expect("registered");
    bus
}

fn report(what: &str, mut samples: Vec<Duration>, concurrent: (usize, Duration)) {
    samples.sort();
    let n = samples.len();
    let total: Duration = samples.iter().sum();
    println!(
        "{what:<34} sequential: {:>8.0} calls/s  p50={:>7.1} µs  p99={:>7.1} µs | {IN_FLIGHT} in flight: {:>8.0} calls/s",
        n as f64 / total.as_secs_f64(),
        samples[n / 2].as_secs_f64() * 1e6,
        samples[(n * 99 / 100).min(n - 1)].as_secs_f64() * 1e6,
        concurrent.0 as f64 / concurrent.1.as_secs_f64(),
    );
}

async fn bus_calls(from: &Bus) -> (Vec<Duration>, (usize, Duration)) {
    let mut samples = Vec::with_capacity(SEQUENTIAL);
    for n in 0..SEQUENTIAL as u64 {
        let started = Instant::now();
        let reply = from.call(Ping { n }).await.expect("a reply");
        samples.push(started.elapsed());
        assert_eq!(reply, n + 1);
    }
    let started = Instant::now();
    futures_util::stream::iter(0..CONCURRENT as u64)
        .map(|n| from.call(Ping { n }))
        .buffer_unordered(IN_FLIGHT)
        .for_each(|r| async move {
            r.expect("a reply");
        })
        .await;
    (samples, (CONCURRENT, started.elapsed()))
}

/// The baseline: a responder echoing to `reply_to` and a caller matching correlation ids, with
/// nothing of the bus around them.
async fn bare_lapin(url: &str) -> (Vec<Duration>, (usize, Duration)) {
    let conn = Connection::connect(url, ConnectionProperties::default())
        .await
        .expect("a connection");
    let server = conn.create_channel().await.expect("a channel");
    let client = conn.create_channel().await.expect("a channel");
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let requests = server
        .queue_declare("".into(), exclusive, FieldTable::default())
        .await
        .expect("a queue");
    let replies = client
        .queue_declare("".into(), exclusive, FieldTable::default())
        .await
        .expect("a queue");
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..BasicConsumeOptions::default()
    };
    let mut incoming = server
        .basic_consume(
            requests.name().clone(),
            "server".into(),
            no_ack,
            FieldTable::default(),
        )
        .await
        .expect("a consumer");
    let echo = server.clone();
    tokio::spawn(async move {
        while let Some(Ok(d)) = incoming.next().await {
            let to = d.properties.reply_to().clone().expect("reply_to");
            let id = d
                .properties
                .correlation_id()
                .clone()
                .expect("correlation_id");
            let _ = echo
                .basic_publish(
                    "".into(),
                    to,
                    BasicPublishOptions::default(),
                    &d.data,
                    BasicProperties::default().with_correlation_id(id),
                )
                .await;
        }
    });
    let mut answers = client
        .basic_consume(
            replies.name().clone(),
            "client".into(),
            no_ack,
            FieldTable::default(),
        )
        .await
        .expect("a consumer");
    let call = |n: usize| {
        let client = client.clone();
        let (to, reply_to) = (requests.name().clone(), replies.name().clone());
        async move {
            client
                .basic_publish(
                    "".into(),
                    to,
                    BasicPublishOptions::default(),
                    format!("{{\"n\":{n}}}").as_bytes(),
                    BasicProperties::default()
                        .with_reply_to(reply_to)
                        .with_correlation_id(n.to_string().into()),
                )
                .await
                .expect("published");
        }
    };
    let mut samples = Vec::with_capacity(SEQUENTIAL);
    for n in 0..SEQUENTIAL {
        let started = Instant::now();
        call(n).await;
        let d = answers.next().await.expect("a reply").expect("no error");
        assert_eq!(
            d.properties
                .correlation_id()
                .as_ref()
                .map(|c| c.as_str().to_string()),
            Some(n.to_string())
        );
        samples.push(started.elapsed());
    }
    // Keep IN_FLIGHT requests outstanding: one new request per reply.
    let started = Instant::now();
    for n in 0..IN_FLIGHT {
        call(n).await;
    }
    let mut sent = IN_FLIGHT;
    for _ in 0..CONCURRENT {
        answers.next().await.expect("a reply").expect("no error");
        if sent < CONCURRENT {
            call(sent).await;
            sent += 1;
        }
    }
    let took = started.elapsed();
    let _ = conn.close(200, "done".into()).await;
    (samples, (CONCURRENT, took))
}

#[actix_web::main]
async fn main() {
    let url = std::env::var("BENCH_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());

    let local = node(None);
    let (samples, concurrent) = bus_calls(&local).await;
    report("bus, in-process", samples, concurrent);

    // Two nodes: the caller runs no service, so every call crosses the broker.
    let caller = node(Some(Vec::new()));
    let callee = node(None);
    caller.ring().join(callee.ring().me().clone());
    callee.ring().join(caller.ring().me().clone());
    let _a = AmqpTransport::start(&caller, AmqpSettings::new(url.clone()))
        .await
        .expect("the broker is reachable");
    let _b = AmqpTransport::start(&callee, AmqpSettings::new(url.clone()))
        .await
        .expect("the broker is reachable");
    let (samples, concurrent) = bus_calls(&caller).await;
    report("bus, two nodes over AMQP", samples, concurrent);

    let (samples, concurrent) = bare_lapin(&url).await;
    report("bare lapin request/reply", samples, concurrent);
}
