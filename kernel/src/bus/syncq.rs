//! Per-resource FIFO queues (ZStack's sync-signature chain tasks): tasks under one key run one at
//! a time in submission order; tasks under different keys run concurrently.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

#[derive(Clone, Default)]
pub struct SyncQueues {
    // A key is present while a runner drains it; its deque holds the tasks still waiting.
    // Sharded by key, so requests on different resources do not wait on one lock; the deque's
    // own mutex is only there because a future is not `Sync`.
    pending: Arc<DashMap<String, Mutex<VecDeque<BoxFuture<'static, ()>>>>>,
}

impl SyncQueues {
    pub fn submit(&self, key: String, task: BoxFuture<'static, ()>) {
        match self.pending.entry(key.clone()) {
            Entry::Occupied(mut waiting) => {
                waiting
                    .get_mut()
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push_back(task);
                return;
            }
            Entry::Vacant(free) => {
                free.insert(Mutex::new(VecDeque::new()));
            }
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
        // Pop and release under the key's shard lock, so a task submitted meanwhile is either
        // popped here or finds the key gone and starts its own runner.
        match self.pending.entry(key.to_string()) {
            Entry::Occupied(mut waiting) => {
                let task = waiting
                    .get_mut()
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front();
                if task.is_none() {
                    waiting.remove();
                }
                task
            }
            Entry::Vacant(_) => None,
        }
    }
}
