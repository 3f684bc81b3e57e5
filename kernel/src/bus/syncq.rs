//! Per-resource FIFO queues (ZStack's sync-signature chain tasks): tasks under one key run one at
//! a time in submission order; tasks under different keys run concurrently.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

#[derive(Clone, Default)]
pub struct SyncQueues {
    // A key is present while a runner drains it; its deque holds the tasks still waiting.
    pending: Arc<Mutex<HashMap<String, VecDeque<BoxFuture<'static, ()>>>>>,
}

impl SyncQueues {
    pub fn submit(&self, key: String, task: BoxFuture<'static, ()>) {
        {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(waiting) = pending.get_mut(&key) {
                waiting.push_back(task);
                return;
            }
            pending.insert(key.clone(), VecDeque::new());
        }
        let queues = self.clone();
        tokio::spawn(async move {
            let mut next = Some(task);
            while let Some(task) = next {
                // A panicking task must not leave its key occupied forever.
                if AssertUnwindSafe(task).catch_unwind().await.is_err() {
                    tracing::error!(resource = %key, "a queued task panicked");
                }
                next = queues.pop_or_release(&key);
            }
        });
    }

    fn pop_or_release(&self, key: &str) -> Option<BoxFuture<'static, ()>> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let task = pending.get_mut(key).and_then(VecDeque::pop_front);
        if task.is_none() {
            pending.remove(key);
        }
        task
    }
}
