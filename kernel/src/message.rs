//! Messages: typed structs with a stable name, carried on the bus inside an [`Envelope`].

use std::any::Any;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ErrorCode;

/// A message a service handles. `NAME` is ZStack's class name without its package
/// (`APICreateZoneMsg`); it is what the bus routes on and what interceptors match.
pub trait Message: Send + 'static {
    const NAME: &'static str;
    type Reply: Send + 'static;

    /// The queue the message waits in: mostly the uuid of the resource it acts on, so that
    /// messages about one resource go to the node that owns it and run there one at a time, in
    /// the order they arrived (ZStack's sync signature); or a key that serializes messages
    /// across resources (one default zone at most). `None` runs without ordering.
    fn queue_key(&self) -> Option<String> {
        None
    }
}

/// An event published to every subscriber on every node (`APIEvent`, node join/leave, resource
/// deleted, ...); it crosses nodes as JSON.
pub trait Event: Clone + Serialize + serde::de::DeserializeOwned + Send + Sync + 'static {
    const NAME: &'static str;
}

/// A fresh id in ZStack's form: a v4 uuid, lower-case, without dashes.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A random number from the system's generator (random picks: addresses, placements).
pub fn random_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// Whether `s` is 32 lower-case hex digits forming a v4 (random) uuid.
pub fn is_v4_uuid(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.as_bytes()[12] == b'4'
        && matches!(s.as_bytes()[16], b'8' | b'9' | b'a' | b'b')
}

/// Whether `s` is a uuid in ZStack's 32-hex form (any version).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Who sent an API: the session and the account behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub uuid: String,
    pub account_uuid: String,
    pub user_uuid: String,
    pub is_admin: bool,
}

pub type Headers = BTreeMap<String, String>;
pub type Payload = Box<dyn Any + Send>;
pub type ReplyPayload = Result<Payload, ErrorCode>;

/// A message in flight: its name, id, headers and the typed body behind `Any`.
pub struct Envelope {
    pub name: &'static str,
    pub id: String,
    pub headers: Headers,
    pub session: Option<SessionInfo>,
    pub queue_key: Option<String>,
    pub payload: Payload,
}

impl Envelope {
    pub fn new<M: Message>(msg: M) -> Self {
        // A message sent while handling an API works for that API (task progress).
        let mut headers = Headers::new();
        crate::progress::stamp(&mut headers);
        Envelope {
            name: M::NAME,
            id: new_uuid(),
            headers,
            session: None,
            queue_key: msg.queue_key(),
            payload: Box::new(msg),
        }
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    pub fn with_session(mut self, session: Option<SessionInfo>) -> Self {
        self.session = session;
        self
    }

    pub fn body<M: Message>(&self) -> Option<&M> {
        self.payload.downcast_ref::<M>()
    }
}

/// What a handler sees besides the message itself.
#[derive(Debug, Clone)]
pub struct MsgContext {
    pub id: String,
    pub headers: Headers,
    pub session: Option<SessionInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_uuid_check_accepts_generated_ids_and_rejects_others() {
        assert!(is_v4_uuid(&new_uuid()));
        assert!(!is_v4_uuid("d825b1a2-6f4e-474b-8c59-306081920ff2"));
        assert!(!is_v4_uuid("D825B1A26F4E474B8C59306081920FF2"));
        assert!(!is_v4_uuid("d825b1a26f4e174b8c59306081920ff2"));
        assert!(is_v4_uuid("d825b1a26f4e474b8c59306081920ff2"));
    }
}
