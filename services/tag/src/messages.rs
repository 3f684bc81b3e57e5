//! The tag APIs of the seed ("标签相关接口").

use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use crate::entity::{system_tag, user_tag};

api_message! {
    /// Tags a resource with a system tag, which must match a pattern declared for its type.
    pub struct APICreateSystemTagMsg {
        resource_type: String => checks().max_len(64),
        resource_uuid: String => checks().uuid(),
        tag: String => checks().max_len(2048),
    }
    route = Route::post("/system-tags");
    reply = InventoryReply<system_tag::Model>;
    resource = resource_uuid;
}

api_message! {
    /// Changes a system tag's text (still matching a pattern of its resource type).
    pub struct APIUpdateSystemTagMsg {
        uuid: String => checks().uuid(),
        tag: String => checks().max_len(2048),
    }
    route = Route::action("/system-tags/{uuid}/actions");
    reply = InventoryReply<system_tag::Model>;
    resource = uuid;
}

api_message! {
    /// Tags a resource with free text.
    pub struct APICreateUserTagMsg {
        resource_type: String => checks().max_len(64),
        resource_uuid: String => checks().uuid(),
        tag: String => checks().max_len(2048),
    }
    route = Route::post("/user-tags");
    reply = InventoryReply<user_tag::Model>;
    resource = resource_uuid;
}

api_message! {
    /// Deletes a system or user tag; inherent system tags cannot be deleted.
    pub struct APIDeleteTagMsg {
        uuid: String => checks().uuid(),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/tags/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

fn tag_meta(resource: &'static str, table: &'static str, class: &'static str) -> QueryMeta {
    QueryMeta::new(resource, table, class)
        .field("uuid", FieldKind::Str)
        .field("resourceUuid", FieldKind::Str)
        .field("resourceType", FieldKind::Str)
        .field("tag", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
}

/// `GET /system-tags`, `GET /system-tags/{uuid}`.
pub struct SystemTagQuery;

impl Queryable for SystemTagQuery {
    const QUERY_API: &'static str = "APIQuerySystemTagMsg";
    const PATH: &'static str = "/system-tags";
    const PATH_BY_UUID: Option<&'static str> = Some("/system-tags/{uuid}");

    fn meta() -> QueryMeta {
        tag_meta(
            "systemTag",
            "system_tag",
            "org.zstack.header.tag.SystemTagInventory",
        )
        .field("inherent", FieldKind::Bool)
    }
}

/// `GET /user-tags`, `GET /user-tags/{uuid}`.
pub struct UserTagQuery;

impl Queryable for UserTagQuery {
    const QUERY_API: &'static str = "APIQueryUserTagMsg";
    const PATH: &'static str = "/user-tags";
    const PATH_BY_UUID: Option<&'static str> = Some("/user-tags/{uuid}");

    fn meta() -> QueryMeta {
        tag_meta(
            "userTag",
            "user_tag",
            "org.zstack.header.tag.UserTagInventory",
        )
    }
}
