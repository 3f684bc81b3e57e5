//! Canonical events that families publish and others react to (ZStack's EventFacade): the
//! notification service writes them down, GC jobs wait for them.

use serde::{Deserialize, Serialize};

use crate::message::Event;

/// A resource changed its connection status on its own (a host or a storage went unreachable,
/// or came back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStatusChanged {
    pub resource_uuid: String,
    /// The VO name (`HostVO`).
    pub resource_type: String,
    pub old_status: String,
    pub new_status: String,
}

impl Event for ResourceStatusChanged {
    const NAME: &'static str = "ResourceStatusChanged";
}

/// Resources went for good: their rows are gone (published by every delete, cascades included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDeleted {
    /// The VO name (`BackupStorageVO`).
    pub resource_type: String,
    pub resource_uuids: Vec<String>,
}

impl Event for ResourceDeleted {
    const NAME: &'static str = "ResourceDeleted";
}
