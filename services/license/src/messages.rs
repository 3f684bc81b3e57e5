//! The license APIs, as the seed document describes them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zstack_kernel::api::{ApiReply, Inventory, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::document::MAX_TEXT;

/// A license as the license APIs answer it. Dates are text, `2017-01-19 14:31:06` in the node's
/// time zone, as the seed shows them. What a Free node does not have (a user, dates, limits) is
/// left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseInventory {
    pub license_type: String,
    /// What to send the issuer to get a license for this node.
    pub license_request: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_host_num: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_cpu_num: Option<i64>,
    pub expired: bool,
}

impl Inventory for LicenseInventory {
    const CLASS: &'static str = "org.zstack.license.LicenseInventory";
}

api_message! {
    /// The license this node runs under (Free when none is installed). Needs no session.
    pub struct APIGetLicenseInfoMsg {}
    route = Route::get("/licenses").without_session();
    reply = InventoryReply<LicenseInventory>;
}

api_message! {
    /// What the license enables: `{"capabilities": {"<name>": "true"}, "success": true}`.
    pub struct APIGetLicenseCapabilitiesMsg {}
    route = Route::get("/licenses/capabilities");
    reply = LicenseCapabilitiesReply;
}

api_message! {
    /// Makes the named management nodes (all when none is named) read the stored license again.
    pub struct APIReloadLicenseMsg {
        management_node_uuids: Option<Vec<String>> => checks().uuid(),
    }
    route = Route::action("/licenses/actions").sync();
    reply = InventoryReply<LicenseInventory>;
}

api_message! {
    /// Installs a license (its base64 text form) for every node; it is verified first.
    pub struct APIUpdateLicenseMsg {
        management_node_uuid: String => checks().uuid(),
        license: String => checks().max_len(MAX_TEXT),
    }
    route = Route::action("/licenses/mn/{managementNodeUuid}/actions");
    reply = InventoryReply<LicenseInventory>;
    // Two uploads at once: one after the other, the last one stays.
    sync_key = |_| Some("license".to_string());
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LicenseCapabilitiesReply {
    /// Capability → `"true"` (`"false"` once the license has expired), as the seed writes them.
    pub capabilities: BTreeMap<String, String>,
    pub success: bool,
}

impl ApiReply for LicenseCapabilitiesReply {}
