//! The message bus: `call` (request/reply with a timeout), fire-and-forget `send`,
//! `publish`/`subscribe` for events, and message interceptors for tests and diagnostics.
//!
//! A message goes to the node that runs its service; a message about a resource goes to the node
//! that owns the resource on the cluster's ring. On this node it is handed to the service's actor
//! mailbox; to other nodes it travels through the [`Remote`] transport (AMQP) as JSON.

mod amqp;
mod codec;
mod service;
mod syncq;

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use actix::{Actor, Recipient};
use serde_json::Value;
use tokio::sync::oneshot;

pub use amqp::{AmqpSettings, AmqpTransport};
pub use codec::Codec;
pub use service::{Delivery, DeliveryDelays, HandlerFn, ReplySender, Service, ServiceActor};
pub use syncq::SyncQueues;

use crate::error::{ApiError, ErrorCode};
use crate::message::{Envelope, Event, Message, Payload, ReplyPayload, SessionInfo, new_uuid};
use crate::node_ring::{NodeInfo, NodeRing};

/// Carries messages and events to other management nodes (the AMQP transport).
pub trait Remote: Send + Sync + 'static {
    /// Sends `env` to node `node`; its reply, decoded with `codec`, goes to `reply`.
    fn send(
        &self,
        node: &str,
        env: Envelope,
        codec: &Codec,
        reply: Option<ReplySender>,
    ) -> Result<(), ErrorCode>;

    /// Publishes an event to every other node.
    fn broadcast(&self, name: &'static str, event: Value);
}

/// A message some service handles, on this node or another.
struct Declared {
    service: String,
    codec: Codec,
}

/// What an interceptor decides about a message before it is delivered.
pub enum Intercept<R> {
    /// Deliver it as usual (an observer returns this).
    Pass,
    /// Wait, then deliver it (the wait counts against the caller's timeout).
    Delay(Duration),
    /// Do not deliver it; the caller gets this error.
    Fail(ErrorCode),
    /// Do not deliver it; the caller gets this reply.
    Reply(R),
}

type ErasedInterceptor = Arc<dyn Fn(&Envelope) -> Intercept<Payload> + Send + Sync>;
type ErasedSubscriber = Arc<dyn Fn(&dyn Any) + Send + Sync>;
type EventDecoder = Arc<dyn Fn(Value) -> Option<Box<dyn Any + Send>> + Send + Sync>;

struct BusInner {
    cluster: Arc<NodeRing>,
    /// Message name → the mailbox of the service running here.
    local: RwLock<HashMap<&'static str, Recipient<Delivery>>>,
    /// Message name → the service that handles it anywhere, and its codec.
    catalog: RwLock<HashMap<&'static str, Declared>>,
    remote: RwLock<Option<Arc<dyn Remote>>>,
    delays: DeliveryDelays,
    /// Messages handed to this node's services, by name.
    handled: std::sync::Mutex<std::collections::BTreeMap<&'static str, u64>>,
    interceptors: RwLock<Vec<(u64, &'static str, ErasedInterceptor)>>,
    subscribers: RwLock<HashMap<&'static str, Vec<(u64, ErasedSubscriber)>>>,
    event_decoders: RwLock<HashMap<&'static str, EventDecoder>>,
    next_hook_id: AtomicU64,
    default_timeout: Duration,
}

#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

/// A bus reference that does not keep the bus alive (held by its transports).
#[derive(Clone)]
pub struct WeakBus(Weak<BusInner>);

impl WeakBus {
    pub fn upgrade(&self) -> Option<Bus> {
        self.0.upgrade().map(|inner| Bus { inner })
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// A reply as the type message `M` answers.
fn typed_reply<M: Message>(reply: ReplyPayload) -> Result<M::Reply, ErrorCode> {
    reply?.downcast::<M::Reply>().map(|r| *r).map_err(|_| {
        ApiError::Internal(format!("the reply to {} has the wrong type", M::NAME)).into()
    })
}

fn dropped(what: &str) -> ErrorCode {
    ApiError::Internal(format!("{what} was dropped without a reply")).into()
}

fn timed_out(what: &str, timeout: Duration) -> ErrorCode {
    ApiError::Timeout(format!(
        "{what} timeout after {} seconds",
        timeout.as_secs_f64()
    ))
    .into()
}

impl Bus {
    /// A bus of a node on its own, running every service.
    pub fn new(default_timeout: Duration) -> Self {
        let me = NodeInfo {
            uuid: new_uuid(),
            services: None,
        };
        Self::with_ring(default_timeout, Arc::new(NodeRing::new(me)))
    }

    /// A bus routing through `cluster`: messages go to the node that runs their service and
    ///, for messages about a resource, owns it.
    pub fn with_ring(default_timeout: Duration, cluster: Arc<NodeRing>) -> Self {
        Bus {
            inner: Arc::new(BusInner {
                cluster,
                local: RwLock::new(HashMap::new()),
                catalog: RwLock::new(HashMap::new()),
                remote: RwLock::new(None),
                delays: DeliveryDelays::default(),
                handled: Default::default(),
                interceptors: RwLock::new(Vec::new()),
                subscribers: RwLock::new(HashMap::new()),
                event_decoders: RwLock::new(HashMap::new()),
                next_hook_id: AtomicU64::new(1),
                default_timeout,
            }),
        }
    }

    pub fn ring(&self) -> &Arc<NodeRing> {
        &self.inner.cluster
    }

    pub fn downgrade(&self) -> WeakBus {
        WeakBus(Arc::downgrade(&self.inner))
    }

    /// Declares `service`'s messages, and starts it as an actor in the current actix system
    /// when this node runs it.
    pub fn register(&self, service: Service) -> Result<(), ErrorCode> {
        {
            let mut catalog = write(&self.inner.catalog);
            if let Some(taken) = service.message_names().find(|n| catalog.contains_key(n)) {
                return Err(
                    ApiError::Internal(format!("two services handle message {taken}")).into(),
                );
            }
            for (name, codec) in service.codecs() {
                catalog.insert(
                    name,
                    Declared {
                        service: service.id().to_string(),
                        codec: codec.clone(),
                    },
                );
            }
        }
        if !service.runs_everywhere() && !self.inner.cluster.me().runs(service.id()) {
            return Ok(());
        }
        let names: Vec<&'static str> = service.message_names().collect();
        let addr = ServiceActor::new(service, self.inner.delays.clone()).start();
        let mut local = write(&self.inner.local);
        for name in names {
            local.insert(name, addr.clone().recipient());
        }
        Ok(())
    }

    /// The services declared on this bus, whether they run here or not.
    pub fn service_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.inner.catalog)
            .values()
            .map(|d| d.service.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Routes messages for other nodes through `remote`.
    pub fn set_remote(&self, remote: Arc<dyn Remote>) {
        *write(&self.inner.remote) = Some(remote);
    }

    /// Whether messages can reach other nodes (a transport is set).
    pub fn has_remote(&self) -> bool {
        read(&self.inner.remote).is_some()
    }

    /// Pauses every delivery of message `name` on this node by `delay` before it is handled.
    pub fn delay_delivery(&self, name: &str, delay: Duration) {
        write(&self.inner.delays).insert(name.to_string(), delay);
    }

    /// Sends `msg` and waits for its reply, at most the bus's default timeout.
    pub async fn call<M: Message>(&self, msg: M) -> Result<M::Reply, ErrorCode> {
        self.call_with_timeout(msg, self.inner.default_timeout)
            .await
    }

    /// Sends `msg` on behalf of the caller of an API (`session`): what its handler creates
    /// belongs to that caller, as what the API itself creates does (a VM's root volume).
    pub async fn call_as<M: Message>(
        &self,
        msg: M,
        session: Option<SessionInfo>,
    ) -> Result<M::Reply, ErrorCode> {
        let env = Envelope::new(msg).with_session(session);
        self.call_typed::<M>(env, self.inner.default_timeout).await
    }

    pub async fn call_with_timeout<M: Message>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, ErrorCode> {
        self.call_typed::<M>(Envelope::new(msg), timeout).await
    }

    async fn call_typed<M: Message>(
        &self,
        env: Envelope,
        timeout: Duration,
    ) -> Result<M::Reply, ErrorCode> {
        typed_reply::<M>(self.call_envelope(env, timeout).await)
    }

    /// The type-erased form of `call`, used by the gateway.
    pub async fn call_envelope(&self, env: Envelope, timeout: Duration) -> ReplyPayload {
        let what = format!("Message[name: {}, id: {}]", env.name, env.id);
        let exchange = async {
            let env = match self.run_interceptors(env).await {
                Ok(env) => env,
                Err(decided) => return decided,
            };
            let (tx, rx) = oneshot::channel();
            self.deliver(env, Some(tx))?;
            rx.await.unwrap_or_else(|_| Err(dropped(&what)))
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(timed_out(&what, timeout)))
    }

    /// Sends `msg` to every live node (its service must run on every node) and waits for each
    /// reply, at most `timeout`: what each node answered, by node uuid.
    pub async fn call_each_node<M: Message + Clone>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Vec<(String, Result<M::Reply, ErrorCode>)> {
        let declared = self.declared(M::NAME);
        let calls = self.inner.cluster.members().into_iter().map(|node| {
            let (tx, rx) = oneshot::channel();
            let env = Envelope::new(msg.clone());
            let what = format!("Message[name: {}, id: {}]", env.name, env.id);
            let sent = declared.as_ref().map_or_else(
                |e| Err(e.clone()),
                |(service, codec)| self.deliver_to(&node.uuid, service, env, codec, Some(tx)),
            );
            async move {
                let reply = match sent {
                    Ok(()) => tokio::time::timeout(timeout, rx).await.map_or_else(
                        |_| Err(timed_out(&what, timeout)),
                        |r| r.unwrap_or_else(|_| Err(dropped(&what))),
                    ),
                    Err(e) => Err(e),
                };
                (node.uuid, typed_reply::<M>(reply))
            }
        });
        futures_util::future::join_all(calls).await
    }

    /// Fire-and-forget: delivers `msg` and drops whatever it answers.
    pub fn send<M: Message>(&self, msg: M) {
        let bus = self.clone();
        tokio::spawn(async move {
            if let Ok(env) = bus.run_interceptors(Envelope::new(msg)).await
                && let Err(e) = bus.deliver(env, None)
            {
                tracing::warn!(error = %e, "dropped a message no service handles");
            }
        });
    }

    /// Routes `env` to the node that runs its service (the owner of its resource, if it has
    /// one), or answers why it cannot go anywhere.
    fn deliver(&self, env: Envelope, reply: Option<ReplySender>) -> Result<(), ErrorCode> {
        let (service, codec) = self.declared(env.name)?;
        let cluster = &self.inner.cluster;
        let target = match &env.queue_key {
            Some(key) => cluster.owner(key, &service),
            None => cluster.pick(&service, &env.id),
        };
        let Some(target) = target else {
            return Err(ApiError::NodeUnavailable(format!(
                "no live management node runs service[{service}] for message[{}]",
                env.name
            ))
            .into());
        };
        self.deliver_to(&target, &service, env, &codec, reply)
    }

    /// The service that handles message `name`, and its codec.
    fn declared(&self, name: &str) -> Result<(String, Codec), ErrorCode> {
        read(&self.inner.catalog)
            .get(name)
            .map(|declared| (declared.service.clone(), declared.codec.clone()))
            .ok_or_else(|| ApiError::NoService(name.to_string()).into())
    }

    /// Hands `env` for `service` to node `target`: here, or through the transport.
    fn deliver_to(
        &self,
        target: &str,
        service: &str,
        env: Envelope,
        codec: &Codec,
        reply: Option<ReplySender>,
    ) -> Result<(), ErrorCode> {
        if target == self.inner.cluster.me().uuid {
            return self.deliver_here(env, reply);
        }
        let remote = read(&self.inner.remote).clone();
        match remote {
            Some(remote) => remote.send(target, env, codec, reply),
            None => Err(ApiError::NodeUnavailable(format!(
                "management node[uuid:{target}] runs service[{service}] but this node has no transport to it"
            ))
            .into()),
        }
    }

    /// Hands `env` to the service running on this node (a message from another node ends here).
    pub fn deliver_here(&self, env: Envelope, reply: Option<ReplySender>) -> Result<(), ErrorCode> {
        let to = read(&self.inner.local).get(env.name).cloned();
        match to {
            Some(to) => {
                *self
                    .inner
                    .handled
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(env.name)
                    .or_default() += 1;
                to.do_send(Delivery {
                    envelope: env,
                    reply,
                });
                Ok(())
            }
            None => Err(ApiError::NoService(env.name.to_string()).into()),
        }
    }

    /// How many messages of each name this node's services were handed.
    pub fn handled_counts(&self) -> Vec<(&'static str, u64)> {
        self.inner
            .handled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(name, n)| (*name, *n))
            .collect()
    }

    /// The declared name and codec of message `name`, for decoding one from another node.
    pub fn codec(&self, name: &str) -> Option<(&'static str, Codec)> {
        read(&self.inner.catalog)
            .get_key_value(name)
            .map(|(name, declared)| (*name, declared.codec.clone()))
    }

    /// Runs the interceptors installed for the envelope's name. `Err` carries the outcome an
    /// interceptor decided instead of delivery.
    async fn run_interceptors(&self, env: Envelope) -> Result<Envelope, ReplyPayload> {
        let matching: Vec<ErasedInterceptor> = self
            .inner
            .interceptors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|(_, name, _)| *name == env.name)
            .map(|(_, _, f)| f.clone())
            .collect();
        for interceptor in matching {
            match interceptor(&env) {
                Intercept::Pass => {}
                Intercept::Delay(d) => tokio::time::sleep(d).await,
                Intercept::Fail(e) => return Err(Err(e)),
                Intercept::Reply(r) => return Err(Ok(r)),
            }
        }
        Ok(env)
    }

    /// Installs an interceptor for message `M` (ZStack's `env.message(Class) {...}`): it sees
    /// every `M` before delivery and may pass, delay, fail or answer it. It is removed when the
    /// guard is dropped.
    pub fn intercept<M, F>(&self, f: F) -> InterceptGuard
    where
        M: Message,
        F: Fn(&M) -> Intercept<M::Reply> + Send + Sync + 'static,
    {
        let id = self.inner.next_hook_id.fetch_add(1, Ordering::Relaxed);
        let erased: ErasedInterceptor = Arc::new(move |env: &Envelope| match env.body::<M>() {
            None => Intercept::Pass,
            Some(msg) => match f(msg) {
                Intercept::Pass => Intercept::Pass,
                Intercept::Delay(d) => Intercept::Delay(d),
                Intercept::Fail(e) => Intercept::Fail(e),
                Intercept::Reply(r) => Intercept::Reply(Box::new(r) as Payload),
            },
        });
        self.inner
            .interceptors
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, M::NAME, erased));
        InterceptGuard {
            bus: Arc::downgrade(&self.inner),
            id,
        }
    }

    /// Publishes `event` to the subscribers on this node and, through the transport, on every
    /// other node.
    pub fn publish<E: Event>(&self, event: E) {
        self.notify(E::NAME, &event);
        let remote = read(&self.inner.remote).clone();
        if let Some(remote) = remote {
            match serde_json::to_value(&event) {
                Ok(value) => remote.broadcast(E::NAME, value),
                Err(e) => tracing::error!(event = E::NAME, error = %e, "cannot encode an event"),
            }
        }
    }

    /// An event another node published: decoded and given to this node's subscribers. Events
    /// nobody here subscribes to are ignored.
    pub fn dispatch_remote_event(&self, name: &str, value: Value) {
        let decoder = read(&self.inner.event_decoders)
            .get_key_value(name)
            .map(|(n, d)| (*n, d.clone()));
        let Some((name, decode)) = decoder else {
            return;
        };
        match decode(value) {
            Some(event) => self.notify(name, &*event),
            None => tracing::warn!(event = name, "cannot decode an event from another node"),
        }
    }

    fn notify(&self, name: &'static str, event: &dyn Any) {
        let subscribers: Vec<ErasedSubscriber> = read(&self.inner.subscribers)
            .get(name)
            .map(|subs| subs.iter().map(|(_, f)| f.clone()).collect())
            .unwrap_or_default();
        for subscriber in subscribers {
            subscriber(event);
        }
    }

    /// Calls `f` for every `E` published, on any node, until the subscription is dropped.
    pub fn subscribe<E: Event>(&self, f: impl Fn(&E) + Send + Sync + 'static) -> Subscription {
        let id = self.inner.next_hook_id.fetch_add(1, Ordering::Relaxed);
        let erased: ErasedSubscriber = Arc::new(move |any: &dyn Any| {
            if let Some(event) = any.downcast_ref::<E>() {
                f(event)
            }
        });
        write(&self.inner.event_decoders)
            .entry(E::NAME)
            .or_insert_with(|| {
                Arc::new(|value| {
                    serde_json::from_value::<E>(value)
                        .ok()
                        .map(|e| Box::new(e) as Box<dyn Any + Send>)
                })
            });
        write(&self.inner.subscribers)
            .entry(E::NAME)
            .or_default()
            .push((id, erased));
        Subscription {
            bus: Arc::downgrade(&self.inner),
            name: E::NAME,
            id,
        }
    }
}

/// Keeps an interceptor installed; dropping it uninstalls it.
#[must_use = "the interceptor is removed when the guard is dropped"]
pub struct InterceptGuard {
    bus: Weak<BusInner>,
    id: u64,
}

impl Drop for InterceptGuard {
    fn drop(&mut self) {
        if let Some(bus) = self.bus.upgrade() {
            bus.interceptors
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(id, _, _)| *id != self.id);
        }
    }
}

/// Keeps a subscriber registered; dropping it unsubscribes. `forever` keeps it for the bus's life.
#[must_use = "the subscriber is removed when the subscription is dropped"]
pub struct Subscription {
    bus: Weak<BusInner>,
    name: &'static str,
    id: u64,
}

impl Subscription {
    pub fn forever(self) {
        std::mem::forget(self);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(bus) = self.bus.upgrade()
            && let Some(subs) = bus
                .subscribers
                .write()
                .unwrap_or_else(PoisonError::into_inner)
                .get_mut(self.name)
        {
            subs.retain(|(id, _)| *id != self.id);
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod amqp_tests;
