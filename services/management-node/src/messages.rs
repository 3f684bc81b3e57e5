//! The management-node APIs.

use serde::{Deserialize, Serialize};
use zstack_kernel::api::{ApiReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

api_message! {
    /// The version of the API this node speaks.
    pub struct APIGetVersionMsg {}
    route = Route::action("/management-nodes/actions").sync().without_session();
    reply = GetVersionReply;
}

api_message! {
    /// The node's clock.
    pub struct APIGetCurrentTimeMsg {}
    route = Route::action("/management-nodes/actions").sync().without_session();
    reply = GetCurrentTimeReply;
}

api_message! {
    /// Whether a management node (this one by default) is up and serving.
    pub struct APIIsReadyToGoMsg {
        management_node_id: Option<String> => checks().uuid(),
    }
    // Health and HA probes call it without a session, as ZStack lets them.
    route = Route::get("/management-nodes/ready").without_session();
    reply = IsReadyToGoReply;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetVersionReply {
    pub version: String,
}
impl ApiReply for GetVersionReply {}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrentTime {
    #[serde(rename = "MillionSeconds")]
    pub million_seconds: i64,
    #[serde(rename = "Seconds")]
    pub seconds: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetCurrentTimeReply {
    pub current_time: CurrentTime,
}
impl ApiReply for GetCurrentTimeReply {}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IsReadyToGoReply {
    pub management_node_id: String,
}
impl ApiReply for IsReadyToGoReply {}

/// `GET /management-nodes`, `GET /management-nodes/{uuid}`.
pub struct ManagementNodeQuery;

impl Queryable for ManagementNodeQuery {
    const QUERY_API: &'static str = "APIQueryManagementNodeMsg";
    const PATH: &'static str = "/management-nodes";
    const PATH_BY_UUID: Option<&'static str> = Some("/management-nodes/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "managementNode",
            "management_node",
            "org.zstack.header.managementnode.ManagementNodeInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("hostName", FieldKind::Str)
        .field("joinDate", FieldKind::Date)
        .field("heartBeat", FieldKind::Date)
    }
}
