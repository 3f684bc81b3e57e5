//! A service: an actix actor registered on the bus under a service id, with one handler per
//! message name it accepts.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use actix::{Actor, Context, Handler};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;
use tracing::Instrument;

use super::codec::Codec;
use super::syncq::SyncQueues;
use crate::error::{ApiError, ErrorCode};
use crate::message::{Envelope, Message, MsgContext, Payload, ReplyPayload};

pub type HandlerFn = Arc<dyn Fn(Envelope) -> BoxFuture<'static, ReplyPayload> + Send + Sync>;
pub type ReplySender = oneshot::Sender<ReplyPayload>;

/// What a service does with each message name it accepts.
pub struct Service {
    id: String,
    handlers: HashMap<&'static str, (HandlerFn, Codec)>,
    /// Runs on every node whatever `--services` says: per-node state others must reach on each
    /// node (a cache to invalidate everywhere).
    everywhere: bool,
}

impl Service {
    pub fn new(id: impl Into<String>) -> Self {
        Service {
            id: id.into(),
            handlers: HashMap::new(),
            everywhere: false,
        }
    }

    /// Makes this service run on every node (see [`Bus::call_each_node`](super::Bus::call_each_node)).
    pub fn on_every_node(mut self) -> Self {
        self.everywhere = true;
        self
    }

    pub fn runs_everywhere(&self) -> bool {
        self.everywhere
    }

    /// Adds the handler of message `M`, which crosses nodes as JSON.
    pub fn handle<M, F, Fut>(self, handler: F) -> Self
    where
        M: Message + Serialize + DeserializeOwned,
        M::Reply: Serialize + DeserializeOwned,
        F: Fn(M, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, ErrorCode>> + Send + 'static,
    {
        self.handle_with(Codec::of::<M>(), handler)
    }

    /// Adds the handler of message `M` with its own codec.
    pub fn handle_with<M, F, Fut>(mut self, codec: Codec, handler: F) -> Self
    where
        M: Message,
        F: Fn(M, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, ErrorCode>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: HandlerFn = Arc::new(move |env: Envelope| {
            let scope = crate::progress::scope_of(&env.headers);
            let ctx = MsgContext {
                id: env.id,
                headers: env.headers,
                session: env.session,
            };
            match env.payload.downcast::<M>() {
                Ok(msg) => crate::progress::within(scope, handler(*msg, ctx))
                    .map(|r| r.map(|reply| Box::new(reply) as Payload))
                    .boxed(),
                Err(_) => {
                    let e = ApiError::Internal(format!("message body is not a {}", M::NAME));
                    futures_util::future::ready(Err(e.into())).boxed()
                }
            }
        });
        self.handlers.insert(M::NAME, (erased, codec));
        self
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn message_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.handlers.keys().copied()
    }

    pub fn codecs(&self) -> impl Iterator<Item = (&'static str, &Codec)> + '_ {
        self.handlers
            .iter()
            .map(|(name, (_, codec))| (*name, codec))
    }
}

/// Pauses added before handling chosen messages: fault injection that works across processes,
/// for exercising failover (a node killed while it handles a message).
pub type DeliveryDelays = Arc<RwLock<HashMap<String, Duration>>>;

/// A message handed to a service actor, with where its reply goes (none for fire-and-forget).
pub struct Delivery {
    pub envelope: Envelope,
    pub reply: Option<ReplySender>,
}

impl actix::Message for Delivery {
    type Result = ();
}

pub struct ServiceActor {
    service: Service,
    queues: SyncQueues,
    delays: DeliveryDelays,
}

impl ServiceActor {
    pub fn new(service: Service, delays: DeliveryDelays) -> Self {
        ServiceActor {
            service,
            queues: SyncQueues::default(),
            delays,
        }
    }
}

impl Actor for ServiceActor {
    type Context = Context<Self>;
}

impl Handler<Delivery> for ServiceActor {
    type Result = ();

    fn handle(&mut self, delivery: Delivery, _ctx: &mut Context<Self>) {
        let Delivery { envelope, reply } = delivery;
        let Some((handler, _)) = self.service.handlers.get(envelope.name) else {
            if let Some(reply) = reply {
                let _ = reply.send(Err(ApiError::NoService(envelope.name.to_string()).into()));
            }
            return;
        };
        let span = tracing::info_span!("handle", api_id = %envelope.id, msg = envelope.name, service = %self.service.id);
        let resource = envelope.queue_key.clone();
        let delay = self
            .delays
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(envelope.name)
            .copied();
        let work = handler(envelope);
        let task = async move {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            let result = work.await;
            if let Some(reply) = reply {
                // The caller may have timed out and gone: its late reply is dropped here.
                let _ = reply.send(result);
            }
        }
        .instrument(span)
        .boxed();
        match resource {
            Some(key) => self.queues.submit(key, task),
            None => {
                tokio::spawn(task);
            }
        }
    }
}
