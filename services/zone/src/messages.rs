//! The zone APIs, each declared once: name, route, parameters and reply.

use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;

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

zstack_kernel::standard_apis! {
    of ZONE, inventory ZoneInventory, path "/zones";
    change_state APIChangeZoneStateMsg;
    delete APIDeleteZoneMsg;
}
