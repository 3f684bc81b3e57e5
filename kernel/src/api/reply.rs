//! API replies: what a successful API answers, and the `schema` map ZStack's Java SDK reads to
//! type the result.

use serde::{Deserialize, Serialize};

/// Inventory path → ZStack class name (`"inventory"` → `org.zstack.header.zone.ZoneInventory`).
pub type Schema = Vec<(String, &'static str)>;

pub trait ApiReply: Serialize + Send + 'static {
    /// The VO name of the resource this reply's `inventory` is, for creates: ownership and
    /// tags are recorded against it.
    const RESOURCE_TYPE: Option<&'static str> = None;

    fn schema(&self) -> Schema {
        Vec::new()
    }

    /// The reply's JSON body. A reply that holds JSON already hands it over instead of copying it.
    fn into_body(self) -> serde_json::Result<serde_json::Value>
    where
        Self: Sized,
    {
        serde_json::to_value(&self)
    }

    /// The JSON schema of the reply's body, for the OpenAPI document.
    fn json_schema() -> serde_json::Value
    where
        Self: Sized,
    {
        serde_json::json!({"type": "object"})
    }
}

/// A resource's inventory and the ZStack class it stands for.
pub trait Inventory: Serialize + Send + 'static {
    const CLASS: &'static str;
    /// The VO name of the resource (`ZoneVO`), for resources accounts own and tags attach to.
    const VO_NAME: Option<&'static str> = None;
}

/// `{"inventory": {...}}`, the reply of creates, updates and state changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InventoryReply<T> {
    pub inventory: T,
}

impl<T: Inventory> ApiReply for InventoryReply<T> {
    const RESOURCE_TYPE: Option<&'static str> = T::VO_NAME;

    fn schema(&self) -> Schema {
        vec![("inventory".to_string(), T::CLASS)]
    }

    fn json_schema() -> serde_json::Value {
        serde_json::json!({
            "type": "object",
            "required": ["inventory"],
            "properties": {"inventory": {"type": "object", "description": T::CLASS}},
        })
    }
}

impl<T> From<T> for InventoryReply<T> {
    fn from(inventory: T) -> Self {
        InventoryReply { inventory }
    }
}

/// `{}`, the reply of deletes and logouts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EmptyReply {}

impl ApiReply for EmptyReply {}
