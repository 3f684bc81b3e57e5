//! Cancelling a running API (ZStack's `CancelMessage`, what a long job's cancel does): a request
//! names the API's id and reaches every node as an event, since the handler doing the work may
//! run on any of them. A handler doing long work watches its API's cancellation
//! ([`Cancellations::current`]) and, once requested, stops, undoes what it did and answers
//! [`canceled`] (SYS.1017). A request that arrives before the handler watches is remembered for
//! a while, so a cancel racing the start of the work still stops it.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::bus::Bus;
use crate::error::{ApiError, ErrorCode};
use crate::message::Event;

/// How long a request nobody watches is remembered.
const REMEMBERED: Duration = Duration::from_secs(3600);

/// Published to every node: the API `api_id` is to stop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiCancelRequested {
    pub api_id: String,
}

impl Event for ApiCancelRequested {
    const NAME: &'static str = "ApiCancelRequested";
}

struct Signal {
    tx: watch::Sender<bool>,
    /// When it was requested, if it was.
    requested: Option<Instant>,
}

/// The cancellation signals of the APIs running on this node, by API id.
#[derive(Default)]
pub struct Cancellations {
    signals: Mutex<HashMap<String, Signal>>,
}

impl Cancellations {
    /// Requests, on every node, that API `api_id` stop.
    pub fn request(bus: &Bus, api_id: &str) {
        bus.publish(ApiCancelRequested {
            api_id: api_id.to_string(),
        });
    }

    /// Marks API `api_id` as to be stopped on this node (what the event does).
    pub fn mark(&self, api_id: &str) {
        let mut signals = self.signals.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut signals);
        let signal = signals.entry(api_id.to_string()).or_insert_with(|| Signal {
            tx: watch::Sender::new(false),
            requested: None,
        });
        signal.requested.get_or_insert_with(Instant::now);
        signal.tx.send_replace(true);
    }

    /// Watches the cancellation of API `api_id`.
    pub fn watch(&self, api_id: &str) -> Cancellation {
        let mut signals = self.signals.lock().unwrap_or_else(PoisonError::into_inner);
        prune(&mut signals);
        let signal = signals.entry(api_id.to_string()).or_insert_with(|| Signal {
            tx: watch::Sender::new(false),
            requested: None,
        });
        Cancellation {
            rx: Some(signal.tx.subscribe()),
        }
    }

    /// Watches the cancellation of the API the running handler works for (its task-progress
    /// scope); outside an API, one that never comes.
    pub fn current(&self) -> Cancellation {
        match crate::progress::current() {
            Some(scope) => self.watch(&scope.api_id),
            None => Cancellation { rx: None },
        }
    }
}

/// Forgets signals nobody watches: never requested, or requested long ago.
fn prune(signals: &mut HashMap<String, Signal>) {
    signals.retain(|_, s| {
        s.tx.receiver_count() > 0 || s.requested.is_some_and(|at| at.elapsed() < REMEMBERED)
    });
}

/// A handler's view of its API's cancellation.
pub struct Cancellation {
    rx: Option<watch::Receiver<bool>>,
}

impl Cancellation {
    /// Whether the API was asked to stop.
    pub fn is_requested(&self) -> bool {
        self.rx.as_ref().is_some_and(|rx| *rx.borrow())
    }

    /// Completes once the API is asked to stop (never, outside an API).
    pub async fn requested(&mut self) {
        match &mut self.rx {
            Some(rx) => {
                // An error means the node's registry is gone: nobody can ask any more.
                if rx.wait_for(|requested| *requested).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// The error of work stopped because its API was canceled (SYS.1017).
pub fn canceled(details: impl Into<String>) -> ErrorCode {
    ApiError::Canceled(details.into()).into()
}

/// Whether `error` says the work was canceled.
pub fn is_canceled(error: &ErrorCode) -> bool {
    let (code, _) = ApiError::Canceled(String::new()).code();
    error.code == code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_reaches_watchers_before_and_after_it() {
        let all = Cancellations::default();
        let mut early = all.watch("a");
        assert!(!early.is_requested());
        all.mark("a");
        early.requested().await;
        assert!(early.is_requested());
        // Asked before anyone watched: remembered.
        all.mark("b");
        assert!(all.watch("b").is_requested());
        assert!(!all.watch("c").is_requested());
        assert!(is_canceled(&canceled("stopped")));
    }
}
