//! The management-node APIs.

use sea_orm::EntityTrait;
use zstack_kernel::error::operr;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::Entity as ManagementNode;
use crate::messages::{
    APIGetCurrentTimeMsg, APIGetVersionMsg, APIIsReadyToGoMsg, CurrentTime, GetCurrentTimeReply,
    GetVersionReply, IsReadyToGoReply,
};

/// The ZStack API version this node is compatible with.
pub const API_VERSION: &str = "2.3.1";

pub async fn get_version(
    _node: NodeContext,
    _msg: APIGetVersionMsg,
    _ctx: MsgContext,
) -> ApiResult<GetVersionReply> {
    Ok(GetVersionReply {
        version: API_VERSION.into(),
    })
}

pub async fn get_current_time(
    _node: NodeContext,
    _msg: APIGetCurrentTimeMsg,
    _ctx: MsgContext,
) -> ApiResult<GetCurrentTimeReply> {
    let millis = chrono::Utc::now().timestamp_millis();
    Ok(GetCurrentTimeReply {
        current_time: CurrentTime {
            million_seconds: millis,
            seconds: millis / 1000,
        },
    })
}

pub async fn is_ready_to_go(
    node: NodeContext,
    msg: APIIsReadyToGoMsg,
    _ctx: MsgContext,
) -> ApiResult<IsReadyToGoReply> {
    let id = msg
        .management_node_id
        .unwrap_or_else(|| node.config.node_uuid.clone());
    if ManagementNode::find_by_id(id.clone())
        .one(&node.db)
        .await?
        .is_none()
    {
        return Err(operr(format!("management node[uuid:{id}] is not ready")));
    }
    Ok(IsReadyToGoReply {
        management_node_id: id,
    })
}
