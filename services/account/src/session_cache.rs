//! Each node's cache of the sessions its calls presented, so that most calls are admitted without
//! the bus or the database. What ends a session (a logout, an account deletion) is told to every
//! live node before its reply goes back, so from that reply on no node admits the session; expiry
//! is checked on every use; and an entry lives at most `--session-cache-ttl`, which bounds what a
//! node cut off from the others can still admit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use serde::{Deserialize, Serialize};
use zstack_kernel::NodeContext;
use zstack_kernel::api::EmptyReply;
use zstack_kernel::message::{Message, SessionInfo};

/// Entries kept at most; a full cache drops its expired entries, or, when none has expired,
/// starts again empty (one scan per `CAPACITY` sessions admitted, not per call).
const CAPACITY: usize = 65_536;

/// Setting (seconds) for how long a checked session is trusted without asking again; 0: never.
pub const TTL_SETTING: &str = "account.sessionCacheTtl";

/// The service that runs on every node and holds its cache.
pub const CACHE_SERVICE: &str = "account-session-cache";

/// How long a revoking node waits for each node to drop what it revoked.
const FORGET_TIMEOUT: Duration = Duration::from_secs(10);

/// A session looked up for caching: the session and how long it stays valid.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LookUpSessionMsg {
    pub session_uuid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionLookup {
    pub session: SessionInfo,
    /// Milliseconds until it expires.
    pub valid_for_ms: u64,
}

impl Message for LookUpSessionMsg {
    const NAME: &'static str = "LookUpSessionMsg";
    type Reply = SessionLookup;
}

/// Sent to every node: drop these sessions (by token) and every session of these accounts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetSessionsMsg {
    #[serde(default)]
    pub session_uuids: Vec<String>,
    #[serde(default)]
    pub account_uuids: Vec<String>,
}

impl Message for ForgetSessionsMsg {
    const NAME: &'static str = "ForgetSessionsMsg";
    type Reply = EmptyReply;
}

struct Cached {
    session: SessionInfo,
    /// The earlier of the session's expiry and the cache's own bound.
    until: Instant,
}

pub struct SessionCache {
    entries: DashMap<String, Cached>,
    /// Bumped by every forget: a lookup that started before one does not cache what it found.
    epoch: AtomicU64,
    ttl: Duration,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        SessionCache {
            entries: DashMap::new(),
            epoch: AtomicU64::new(0),
            ttl,
        }
    }

    /// The cached session behind token `uuid`, if it is cached and still valid.
    pub fn get(&self, uuid: &str) -> Option<SessionInfo> {
        let now = Instant::now();
        {
            let hit = self.entries.get(uuid)?;
            if hit.until > now {
                return Some(hit.session.clone());
            }
        }
        self.entries
            .remove_if(uuid, |_, cached| cached.until <= now);
        None
    }

    /// Where a lookup starts: [`put`](Self::put) caches its result only if nothing was forgotten
    /// meanwhile.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn put(&self, started_at: u64, found: &SessionLookup) {
        if self.ttl.is_zero() {
            return;
        }
        let until = Instant::now() + self.ttl.min(Duration::from_millis(found.valid_for_ms));
        if self.entries.len() >= CAPACITY {
            let now = Instant::now();
            self.entries.retain(|_, cached| cached.until > now);
            if self.entries.len() >= CAPACITY {
                self.entries.clear();
            }
        }
        self.entries.insert(
            found.session.uuid.clone(),
            Cached {
                session: found.session.clone(),
                until,
            },
        );
        // A forget that ran while this lookup was in flight may have missed the entry.
        if self.epoch() != started_at {
            self.entries.remove(&found.session.uuid);
        }
    }

    pub fn forget(&self, what: &ForgetSessionsMsg) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        for uuid in &what.session_uuids {
            self.entries.remove(uuid);
        }
        if !what.account_uuids.is_empty() {
            self.entries
                .retain(|_, cached| !what.account_uuids.contains(&cached.session.account_uuid));
        }
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.entries.clear();
    }
}

/// Tells every live node to drop `what`, and waits for each; a node that does not answer is
/// logged (its entries end with the cache's time bound).
pub async fn forget_everywhere(node: &NodeContext, what: ForgetSessionsMsg) {
    for (peer, answer) in node.bus.call_each_node(what, FORGET_TIMEOUT).await {
        if let Err(error) = answer {
            tracing::warn!(node = %peer, %error, "a node did not confirm it dropped ended sessions");
        }
    }
}
