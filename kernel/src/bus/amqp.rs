//! The bus between management nodes, over RabbitMQ (lapin).
//!
//! Each node consumes its own queue, `zstack.node.<uuid>` (exclusive: it goes when the node's
//! connection goes). Requests and replies are sent to the target node's queue through the
//! default exchange; events go to the fanout exchange `zstack.broadcast`, to which every node's
//! queue is bound. Every frame is JSON and carries the message name and id; AMQP's own
//! `message-id`, `correlation-id`, `reply-to` and `type` properties are set as well.
//!
//! A supervisor task owns the connection: when the broker goes away it fails every call waiting
//! on another node, refuses new ones at once, and reconnects by itself.

use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer, ExchangeKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::codec::Codec;
use super::{Bus, Remote, ReplySender, WeakBus};
use crate::error::{ApiError, ErrorCode};
use crate::message::{Envelope, Headers, SessionInfo};

const BROADCAST_EXCHANGE: &str = "zstack.broadcast";

pub fn queue_of(node: &str) -> String {
    format!("zstack.node.{node}")
}

#[derive(Debug, Clone)]
pub struct AmqpSettings {
    /// `amqp://user:password@host:port/vhost`
    pub url: String,
    /// Pause between two connection attempts.
    pub reconnect_every: Duration,
    /// How long a node's start waits for its first connection.
    pub connect_timeout: Duration,
}

impl AmqpSettings {
    pub fn new(url: impl Into<String>) -> Self {
        AmqpSettings {
            url: url.into(),
            reconnect_every: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// The URL without its password, for messages and logs.
    fn shown_url(&self) -> String {
        match reqwest::Url::parse(&self.url) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.url.clone(),
        }
    }
}

/// What travels in an AMQP message body.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Frame {
    #[serde(rename_all = "camelCase")]
    Request {
        name: String,
        id: String,
        from: String,
        #[serde(default)]
        headers: Headers,
        #[serde(default)]
        session: Option<SessionInfo>,
        #[serde(default)]
        resource: Option<String>,
        /// False for fire-and-forget sends: no reply is sent back.
        needs_reply: bool,
        body: Value,
    },
    #[serde(rename_all = "camelCase")]
    Reply {
        correlation_id: String,
        from: String,
        result: WireResult,
    },
    #[serde(rename_all = "camelCase")]
    Event {
        name: String,
        from: String,
        body: Value,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WireResult {
    Ok(Value),
    Error(ErrorCode),
}

struct Outgoing {
    exchange: &'static str,
    routing_key: String,
    properties: BasicProperties,
    body: Vec<u8>,
}

struct Pending {
    node: String,
    codec: Codec,
    reply: ReplySender,
}

pub struct AmqpTransport {
    me: String,
    settings: AmqpSettings,
    connected: AtomicBool,
    out: mpsc::UnboundedSender<Outgoing>,
    /// Calls waiting for a reply from another node, by correlation id (every remote reply
    /// looks one up; sharded, so replies on many connections do not queue on one lock).
    pending: DashMap<String, Pending>,
}

impl AmqpTransport {
    /// Connects `bus` to the other nodes through the broker, and keeps it connected. Fails when
    /// the first connection cannot be made within the connect timeout.
    pub async fn start(bus: &Bus, settings: AmqpSettings) -> Result<Arc<Self>, ErrorCode> {
        let (out, outgoing) = mpsc::unbounded_channel();
        let transport = Arc::new(AmqpTransport {
            me: bus.ring().me().uuid.clone(),
            settings,
            connected: AtomicBool::new(false),
            out,
            pending: DashMap::new(),
        });
        let watching = Arc::downgrade(&transport);
        bus.ring().on_leave(move |node| {
            if let Some(transport) = watching.upgrade() {
                transport.fail_pending(
                    |p| p.node == node,
                    &format!("management node[uuid:{node}] is unavailable"),
                );
            }
        });
        let (first_tx, first_rx) = oneshot::channel();
        tokio::spawn(supervise(
            Arc::downgrade(&transport),
            bus.downgrade(),
            outgoing,
            first_tx,
        ));
        tokio::spawn(sweep_abandoned(Arc::downgrade(&transport)));
        let shown = transport.settings.shown_url();
        match tokio::time::timeout(transport.settings.connect_timeout, first_rx).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => {
                return Err(ApiError::NodeUnavailable(format!(
                    "cannot connect to the message broker at {shown}: {e}"
                ))
                .into());
            }
            _ => {
                return Err(ApiError::NodeUnavailable(format!(
                    "cannot connect to the message broker at {shown} within {:?}",
                    transport.settings.connect_timeout
                ))
                .into());
            }
        }
        bus.set_remote(transport.clone());
        Ok(transport)
    }

    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Answers the waiting calls that `which` selects with SYS.1012.
    fn fail_pending(&self, which: impl Fn(&Pending) -> bool, why: &str) {
        let ids: Vec<String> = self
            .pending
            .iter()
            .filter(|entry| which(entry.value()))
            .map(|entry| entry.key().clone())
            .collect();
        let failed: Vec<Pending> = ids
            .iter()
            .filter_map(|id| self.pending.remove(id).map(|(_, p)| p))
            .collect();
        for p in failed {
            let _ = p
                .reply
                .send(Err(ApiError::NodeUnavailable(why.to_string()).into()));
        }
    }

    fn unreachable(&self, node: &str) -> ErrorCode {
        ApiError::NodeUnavailable(format!(
            "cannot reach management node[uuid:{node}]: the message broker at {} is unreachable",
            self.settings.shown_url()
        ))
        .into()
    }

    fn enqueue(
        &self,
        exchange: &'static str,
        routing_key: String,
        properties: BasicProperties,
        frame: &Frame,
    ) -> Result<(), ErrorCode> {
        let body = serde_json::to_vec(frame)
            .map_err(|e| ApiError::Internal(format!("cannot encode a bus frame: {e}")))?;
        self.out
            .send(Outgoing {
                exchange,
                routing_key,
                properties,
                body,
            })
            .map_err(|_| ApiError::Internal("the message broker link has stopped".into()).into())
    }

    fn send_reply(&self, to_queue: String, correlation_id: String, result: WireResult) {
        let properties = BasicProperties::default()
            .with_correlation_id(correlation_id.as_str().into())
            .with_type("reply".into())
            .with_content_type("application/json".into());
        let frame = Frame::Reply {
            correlation_id,
            from: self.me.clone(),
            result,
        };
        if let Err(e) = self.enqueue("", to_queue, properties, &frame) {
            tracing::warn!(error = %e, "cannot send a reply to another node");
        }
    }

    /// A frame from the broker.
    fn receive(self: &Arc<Self>, bus: &Bus, reply_to: Option<String>, data: &[u8]) {
        let frame: Frame = match serde_json::from_slice(data) {
            Ok(frame) => frame,
            Err(e) => {
                tracing::warn!(error = %e, "dropped a bus frame that is not valid JSON");
                return;
            }
        };
        match frame {
            Frame::Request {
                name,
                id,
                from,
                headers,
                session,
                resource,
                needs_reply,
                body,
            } => {
                let answer_to = needs_reply.then(|| reply_to.unwrap_or_else(|| queue_of(&from)));
                self.handle_request(bus, answer_to, name, id, headers, session, resource, body);
            }
            Frame::Reply {
                correlation_id,
                result,
                ..
            } => {
                let Some((_, p)) = self.pending.remove(&correlation_id) else {
                    // Its caller timed out or was failed already.
                    tracing::debug!(id = %correlation_id, "dropped a late reply");
                    return;
                };
                let result = match result {
                    WireResult::Ok(value) => p.codec.decode_reply(value),
                    WireResult::Error(e) => Err(e),
                };
                let _ = p.reply.send(result);
            }
            Frame::Event { name, from, body } => {
                if from != self.me {
                    bus.dispatch_remote_event(&name, body);
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_request(
        self: &Arc<Self>,
        bus: &Bus,
        answer_to: Option<String>,
        name: String,
        id: String,
        headers: Headers,
        session: Option<SessionInfo>,
        resource: Option<String>,
        body: Value,
    ) {
        let decoded = match bus.codec(&name) {
            None => Err(ErrorCode::from(ApiError::NoService(name.clone()))),
            Some((name, codec)) => codec.decode_message(body).map(|payload| {
                let env = Envelope {
                    name,
                    id: id.clone(),
                    headers,
                    session,
                    queue_key: resource,
                    payload,
                };
                (env, codec)
            }),
        };
        let (env, codec) = match decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                tracing::warn!(msg = %name, error = %e, "refused a message from another node");
                if let Some(to) = answer_to {
                    self.send_reply(to, id, WireResult::Error(e));
                }
                return;
            }
        };
        let Some(to) = answer_to else {
            if let Err(e) = bus.deliver_here(env, None) {
                tracing::warn!(msg = %name, error = %e, "dropped a message from another node");
            }
            return;
        };
        let (tx, rx) = oneshot::channel();
        if let Err(e) = bus.deliver_here(env, Some(tx)) {
            self.send_reply(to, id, WireResult::Error(e));
            return;
        }
        let transport = self.clone();
        tokio::spawn(async move {
            let result = match rx.await {
                Ok(Ok(reply)) => match codec.encode_reply(&*reply) {
                    Ok(value) => WireResult::Ok(value),
                    Err(e) => WireResult::Error(e),
                },
                Ok(Err(e)) => WireResult::Error(e),
                Err(_) => WireResult::Error(
                    ApiError::Internal(format!("{name} was dropped without a reply")).into(),
                ),
            };
            transport.send_reply(to, id, result);
        });
    }
}

impl Remote for AmqpTransport {
    fn send(
        &self,
        node: &str,
        env: Envelope,
        codec: &Codec,
        reply: Option<ReplySender>,
    ) -> Result<(), ErrorCode> {
        if !self.is_connected() {
            return Err(self.unreachable(node));
        }
        let body = codec.encode_message(&*env.payload)?;
        let properties = BasicProperties::default()
            .with_message_id(env.id.as_str().into())
            .with_correlation_id(env.id.as_str().into())
            .with_reply_to(queue_of(&self.me).into())
            .with_type(env.name.into())
            .with_content_type("application/json".into());
        let frame = Frame::Request {
            name: env.name.to_string(),
            id: env.id.clone(),
            from: self.me.clone(),
            headers: env.headers,
            session: env.session,
            resource: env.queue_key,
            needs_reply: reply.is_some(),
            body,
        };
        if let Some(reply) = reply {
            self.pending.insert(
                env.id.clone(),
                Pending {
                    node: node.to_string(),
                    codec: codec.clone(),
                    reply,
                },
            );
        }
        self.enqueue("", queue_of(node), properties, &frame)
            .inspect_err(|_| {
                self.pending.remove(&env.id);
            })
    }

    fn broadcast(&self, name: &'static str, event: Value) {
        if !self.is_connected() {
            tracing::warn!(
                event = name,
                "an event was not sent to other nodes: the broker is unreachable"
            );
            return;
        }
        let properties = BasicProperties::default()
            .with_type(name.into())
            .with_content_type("application/json".into());
        let frame = Frame::Event {
            name: name.to_string(),
            from: self.me.clone(),
            body: event,
        };
        if let Err(e) = self.enqueue(BROADCAST_EXCHANGE, String::new(), properties, &frame) {
            tracing::warn!(event = name, error = %e, "an event was not sent to other nodes");
        }
    }
}

async fn connect(
    me: &str,
    settings: &AmqpSettings,
) -> lapin::Result<(Connection, Channel, Consumer)> {
    let properties =
        ConnectionProperties::default().with_connection_name(format!("zstack-node-{me}").into());
    let conn = Connection::connect(&settings.url, properties).await?;
    let channel = conn.create_channel().await?;
    channel
        .exchange_declare(
            BROADCAST_EXCHANGE.into(),
            ExchangeKind::Fanout,
            ExchangeDeclareOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let queue = queue_of(me);
    channel
        .queue_declare(
            queue.as_str().into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            queue.as_str().into(),
            BROADCAST_EXCHANGE.into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let consumer = channel
        .basic_consume(
            queue.as_str().into(),
            format!("zstack-node-{me}").into(),
            BasicConsumeOptions {
                no_ack: true,
                exclusive: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok((conn, channel, consumer))
}

/// Keeps the node connected: connect, serve until the link breaks, fail what waited on it,
/// retry. Ends when the bus is gone.
async fn supervise(
    transport: Weak<AmqpTransport>,
    bus: WeakBus,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    first: oneshot::Sender<Result<(), String>>,
) {
    let mut first = Some(first);
    loop {
        let Some(t) = transport.upgrade() else { return };
        let (me, settings) = (t.me.clone(), t.settings.clone());
        drop(t);
        let attempt = tokio::time::timeout(settings.connect_timeout, connect(&me, &settings)).await;
        match attempt {
            Ok(Ok((conn, channel, consumer))) => {
                let Some(t) = transport.upgrade() else { return };
                t.connected.store(true, Ordering::SeqCst);
                tracing::info!(broker = %settings.shown_url(), "connected to the message broker");
                if let Some(first) = first.take() {
                    let _ = first.send(Ok(()));
                }
                let why = serve(&t, &bus, &conn, &channel, consumer, &mut outgoing).await;
                t.connected.store(false, Ordering::SeqCst);
                tracing::warn!(reason = %why, "lost the connection to the message broker; reconnecting");
                while outgoing.try_recv().is_ok() {}
                t.fail_pending(
                    |_| true,
                    &format!("lost the connection to the message broker: {why}"),
                );
                let _ = conn.close(200, "reconnecting".into()).await;
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "cannot connect to the message broker");
                if let Some(first) = first.take() {
                    let _ = first.send(Err(e.to_string()));
                    return;
                }
            }
            Err(_) => {
                if let Some(first) = first.take() {
                    let _ = first.send(Err("timed out".into()));
                    return;
                }
            }
        }
        if bus.upgrade().is_none() {
            return;
        }
        tokio::time::sleep(settings.reconnect_every).await;
    }
}

/// Moves frames both ways until the connection breaks; returns why it broke.
async fn serve(
    transport: &Arc<AmqpTransport>,
    bus: &WeakBus,
    conn: &Connection,
    channel: &Channel,
    mut consumer: Consumer,
    outgoing: &mut mpsc::UnboundedReceiver<Outgoing>,
) -> String {
    let mut events = conn.events_listener();
    loop {
        tokio::select! {
            delivery = consumer.next() => match delivery {
                Some(Ok(delivery)) => {
                    let Some(bus) = bus.upgrade() else { return "the node stopped".into() };
                    let reply_to = delivery
                        .properties
                        .reply_to()
                        .as_ref()
                        .map(|q| q.as_str().to_string());
                    transport.receive(&bus, reply_to, &delivery.data);
                }
                Some(Err(e)) => return e.to_string(),
                None => return "the broker cancelled this node's consumer".into(),
            },
            frame = outgoing.recv() => {
                let Some(frame) = frame else { return "the node stopped".into() };
                let sent = channel
                    .basic_publish(
                        frame.exchange.into(),
                        frame.routing_key.as_str().into(),
                        BasicPublishOptions::default(),
                        &frame.body,
                        frame.properties,
                    )
                    .await;
                if let Err(e) = sent {
                    return e.to_string();
                }
            }
            event = events.next() => match event {
                Some(lapin::Event::Error(e)) => return e.to_string(),
                Some(_) => {}
                None => return "the connection closed".into(),
            },
        }
    }
}

/// Forgets calls whose caller gave up (timed out), so their entries do not pile up.
async fn sweep_abandoned(transport: Weak<AmqpTransport>) {
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    loop {
        tick.tick().await;
        let Some(t) = transport.upgrade() else { return };
        t.pending.retain(|_, p| !p.reply.is_closed());
    }
}
