//! Notifications: what the node tells operators about on its own.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, ResourceRef};

pub const NOTIFICATION: ResourceRef = ResourceRef {
    table: "notification",
    vo_name: "NotificationVO",
};

/// Writes a notification, off the sender's path (fire-and-forget with `bus.send`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyMsg {
    /// `system`, or `api` for a finished API.
    pub sender: String,
    /// What it is about (`host`, an API name).
    pub name: String,
    /// The text, with `%s` for each of `arguments`.
    pub content: String,
    pub arguments: Vec<String>,
    /// `Info`, `Warning` or `Error`.
    pub r#type: String,
    pub resource_uuid: Option<String>,
    pub resource_type: Option<String>,
    pub opaque: Option<serde_json::Value>,
}

impl Message for NotifyMsg {
    const NAME: &'static str = "NotifyMsg";
    type Reply = EmptyReply;
}
