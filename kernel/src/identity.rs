//! The identity contract the gateway relies on: a service that knows sessions answers
//! [`CheckSessionMsg`]. The kernel does not know how sessions are stored.

use crate::message::{Message, SessionInfo};

/// Resolves a session uuid to the session and its account; ID.1001 when unknown or expired.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckSessionMsg {
    pub session_uuid: String,
}

impl Message for CheckSessionMsg {
    const NAME: &'static str = "CheckSessionMsg";
    type Reply = SessionInfo;
}
