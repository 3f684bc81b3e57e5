//! The zone APIs, each declared once: name, route, parameters and reply.

use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use crate::entity::{Model as ZoneInventory, ZONE};

/// Making a zone the default clears the flag on the others; such changes queue behind each
/// other so two at once cannot leave two defaults.
const DEFAULT_ZONE_KEY: &str = "zone-default";

api_message! {
    /// Creates a zone.
    pub struct APICreateZoneMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        is_default: Option<bool>,
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/zones");
    reply = InventoryReply<ZoneInventory>;
    sync_key = |msg| msg.is_default.filter(|d| *d).map(|_| DEFAULT_ZONE_KEY.to_string());
}

api_message! {
    /// Changes a zone's name, description or default flag.
    pub struct APIUpdateZoneMsg {
        uuid: String => checks().resource(ZONE),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        is_default: Option<bool>,
    }
    route = Route::action("/zones/{uuid}/actions");
    reply = InventoryReply<ZoneInventory>;
    sync_key = |msg| Some(if msg.is_default == Some(true) {
        DEFAULT_ZONE_KEY.to_string()
    } else {
        msg.uuid.clone()
    });
}

api_message! {
    /// Enables or disables a zone.
    pub struct APIChangeZoneStateMsg {
        uuid: String => checks().resource(ZONE),
        state_event: String => checks().valid_values(&["enable", "disable"]),
    }
    route = Route::action("/zones/{uuid}/actions");
    reply = InventoryReply<ZoneInventory>;
    resource = uuid;
}

api_message! {
    /// Deletes a zone; deleting one that is already gone succeeds.
    pub struct APIDeleteZoneMsg {
        uuid: String => checks().uuid().references(ZONE),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/zones/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /zones`, `GET /zones/{uuid}`.
pub struct ZoneQuery;

impl Queryable for ZoneQuery {
    const QUERY_API: &'static str = "APIQueryZoneMsg";
    const PATH: &'static str = "/zones";
    const PATH_BY_UUID: Option<&'static str> = Some("/zones/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new("zone", ZONE.table, "org.zstack.header.zone.ZoneInventory")
            .field("uuid", FieldKind::Str)
            .field("name", FieldKind::Str)
            .field("description", FieldKind::Str)
            .field("state", FieldKind::Str)
            .field("type", FieldKind::Str)
            .field("isDefault", FieldKind::Bool)
            .field("createDate", FieldKind::Date)
            .field("lastOpDate", FieldKind::Date)
    }
}
