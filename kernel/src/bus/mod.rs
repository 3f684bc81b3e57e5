//! The message bus: `call` (request/reply with a timeout), fire-and-forget `send`,
//! `publish`/`subscribe` for events, and message interceptors for tests and diagnostics.
//!
//! Delivery goes through a [`Transport`]. The in-process one hands envelopes to local service
//! actors; a transport to other nodes plugs in behind the same calls.

mod service;
mod syncq;

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::Duration;

use actix::{Actor, Recipient};
use tokio::sync::oneshot;

pub use service::{Delivery, HandlerFn, ReplySender, Service, ServiceActor};
pub use syncq::SyncQueues;

use crate::error::{ApiError, ErrorCode};
use crate::message::{Envelope, Event, Message, Payload, ReplyPayload};

/// Hands envelopes to the services that handle them.
pub trait Transport: Send + Sync + 'static {
    /// Delivers `env`, or gives it back when no service reachable through this transport
    /// handles its name.
    fn deliver(&self, env: Envelope, reply: Option<ReplySender>) -> Result<(), Box<Undelivered>>;
}

pub struct Undelivered(pub Envelope, pub Option<ReplySender>);

/// The in-process transport: message name → the local service actor's mailbox.
#[derive(Default)]
pub struct LocalTransport {
    routes: RwLock<HashMap<&'static str, Recipient<Delivery>>>,
}

impl LocalTransport {
    fn add(&self, name: &'static str, to: Recipient<Delivery>) -> Result<(), ErrorCode> {
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        if routes.contains_key(name) {
            return Err(ApiError::Internal(format!("two services handle message {name}")).into());
        }
        routes.insert(name, to);
        Ok(())
    }

    pub fn handles(&self, name: &str) -> bool {
        self.routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(name)
    }
}

impl Transport for LocalTransport {
    fn deliver(&self, env: Envelope, reply: Option<ReplySender>) -> Result<(), Box<Undelivered>> {
        let to = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(env.name)
            .cloned();
        match to {
            Some(to) => {
                to.do_send(Delivery {
                    envelope: env,
                    reply,
                });
                Ok(())
            }
            None => Err(Box::new(Undelivered(env, reply))),
        }
    }
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

struct BusInner {
    local: Arc<LocalTransport>,
    remote: RwLock<Vec<Arc<dyn Transport>>>,
    interceptors: RwLock<Vec<(u64, &'static str, ErasedInterceptor)>>,
    subscribers: RwLock<HashMap<&'static str, Vec<(u64, ErasedSubscriber)>>>,
    next_hook_id: AtomicU64,
    default_timeout: Duration,
}

#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

impl Bus {
    pub fn new(default_timeout: Duration) -> Self {
        Bus {
            inner: Arc::new(BusInner {
                local: Arc::new(LocalTransport::default()),
                remote: RwLock::new(Vec::new()),
                interceptors: RwLock::new(Vec::new()),
                subscribers: RwLock::new(HashMap::new()),
                next_hook_id: AtomicU64::new(1),
                default_timeout,
            }),
        }
    }

    /// Starts `service` as an actor in the current actix system and routes its messages to it.
    pub fn register(&self, service: Service) -> Result<(), ErrorCode> {
        let names: Vec<&'static str> = service.message_names().collect();
        if let Some(taken) = names.iter().find(|n| self.inner.local.handles(n)) {
            return Err(ApiError::Internal(format!("two services handle message {taken}")).into());
        }
        let addr = ServiceActor::new(service).start();
        for name in names {
            self.inner.local.add(name, addr.clone().recipient())?;
        }
        Ok(())
    }

    /// Adds a transport tried after the in-process one.
    pub fn add_transport(&self, transport: Arc<dyn Transport>) {
        self.inner
            .remote
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(transport);
    }

    /// Sends `msg` and waits for its reply, at most the bus's default timeout.
    pub async fn call<M: Message>(&self, msg: M) -> Result<M::Reply, ErrorCode> {
        self.call_with_timeout(msg, self.inner.default_timeout)
            .await
    }

    pub async fn call_with_timeout<M: Message>(
        &self,
        msg: M,
        timeout: Duration,
    ) -> Result<M::Reply, ErrorCode> {
        let reply = self.call_envelope(Envelope::new(msg), timeout).await?;
        reply.downcast::<M::Reply>().map(|r| *r).map_err(|_| {
            ApiError::Internal(format!("the reply to {} has the wrong type", M::NAME)).into()
        })
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
            rx.await.unwrap_or_else(|_| {
                Err(ApiError::Internal(format!("{what} was dropped without a reply")).into())
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ApiError::Timeout(format!(
                "{what} timeout after {} seconds",
                timeout.as_secs_f64()
            ))
            .into()),
        }
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

    fn deliver(&self, env: Envelope, reply: Option<ReplySender>) -> Result<(), ErrorCode> {
        let mut pending = match self.inner.local.deliver(env, reply) {
            Ok(()) => return Ok(()),
            Err(undelivered) => *undelivered,
        };
        let remotes = self
            .inner
            .remote
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for transport in remotes {
            match transport.deliver(pending.0, pending.1) {
                Ok(()) => return Ok(()),
                Err(undelivered) => pending = *undelivered,
            }
        }
        Err(ApiError::NoService(pending.0.name.to_string()).into())
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

    pub fn publish<E: Event>(&self, event: E) {
        let subscribers: Vec<ErasedSubscriber> = self
            .inner
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(E::NAME)
            .map(|subs| subs.iter().map(|(_, f)| f.clone()).collect())
            .unwrap_or_default();
        for subscriber in subscribers {
            subscriber(&event);
        }
    }

    /// Calls `f` for every `E` published until the returned subscription is dropped.
    pub fn subscribe<E: Event>(&self, f: impl Fn(&E) + Send + Sync + 'static) -> Subscription {
        let id = self.inner.next_hook_id.fetch_add(1, Ordering::Relaxed);
        let erased: ErasedSubscriber = Arc::new(move |any: &dyn Any| {
            if let Some(event) = any.downcast_ref::<E>() {
                f(event)
            }
        });
        self.inner
            .subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
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
