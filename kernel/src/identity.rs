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

/// A resource an account acts on: its uuid and, where the caller knows it, its VO name. An owner
/// record counts only for the type it names.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceKey {
    pub uuid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The call only uses the resource: one shared with the account will do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared: bool,
}

impl ResourceKey {
    pub fn new(uuid: impl Into<String>, resource_type: Option<&str>) -> Self {
        ResourceKey {
            uuid: uuid.into(),
            resource_type: resource_type.map(String::from),
            shared: false,
        }
    }

    /// A resource the account may use when it is shared with it.
    pub fn used(mut self) -> Self {
        self.shared = true;
        self
    }
}

/// Whether account `account_uuid` may act on each of `resources`: ID.1002 naming every one it
/// neither owns nor, where that will do, has shared with it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckAccessMsg {
    pub account_uuid: String,
    pub resources: Vec<ResourceKey>,
}

impl Message for CheckAccessMsg {
    const NAME: &'static str = "CheckAccessMsg";
    type Reply = crate::api::EmptyReply;
}

/// The envelope header in which the gateway gives every API message the IP address of the HTTP
/// client: the TCP peer's, never `X-Forwarded-For`, which any client can write. Login throttling
/// counts failures per account and per this address.
pub const CLIENT_ADDRESS: &str = "clientAddress";
