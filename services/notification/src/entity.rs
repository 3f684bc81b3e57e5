//! The notification table; the row is the inventory (`NotificationInventory`).

use serde::Serializer;
pub use zstack_header::notification::NOTIFICATION;
use zstack_kernel::query::{FieldKind, QueryMeta};

zstack_kernel::resource_table! {
    table "notification" for NOTIFICATION;
    query APIQueryNotificationMsg "/notifications" as "notification";
    inventory Model = "org.zstack.header.core.notification.NotificationInventory";
    migration "m1100_notification";
    extend opaque_is_json;
    columns {
        name: String [255],
        content: String [4096],
        /// The `%s` values of `content`, as a JSON list in text (as ZStack answers it).
        arguments: String [4096],
        sender: String [64],
        status: String [32, index],
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_uuid: Option<String> [32, index],
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_type: Option<String> [64],
        r#type: String [32],
        /// Milliseconds since the epoch.
        time: i64,
        /// JSON, answered as an object.
        #[serde(serialize_with = "json_text", skip_deserializing, skip_serializing_if = "Option::is_none")]
        opaque: Option<String> [4096],
    }
}

fn opaque_is_json(mut meta: QueryMeta) -> QueryMeta {
    for field in meta.fields.iter_mut().filter(|f| f.name == "opaque") {
        field.kind = FieldKind::Json;
    }
    meta
}

fn json_text<S: Serializer>(text: &Option<String>, to: S) -> Result<S::Ok, S::Error> {
    let value = text
        .as_deref()
        .map(|t| serde_json::from_str(t).unwrap_or(serde_json::Value::String(t.to_string())));
    serde::Serialize::serialize(&value, to)
}
