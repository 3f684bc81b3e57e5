//! What the cluster APIs do beyond what every family does.

use sea_orm::ActiveValue::Set;
use zstack_header::cluster::ClusterInventory;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::create_resource;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, CLUSTER};
use crate::messages::APICreateClusterMsg;

pub async fn create(
    node: NodeContext,
    msg: APICreateClusterMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ClusterInventory>> {
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        state: Set("Enabled".into()),
        hypervisor_type: Set(msg.hypervisor_type),
        r#type: Set(msg.r#type.unwrap_or_else(|| "zstack".into())),
        zone_uuid: Set(msg.zone_uuid),
        architecture: Set(msg.architecture),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let cluster = create_resource(&node, &node.db, &ctx, CLUSTER, &uuid, row).await?;
    Ok(ClusterInventory::from(cluster).into())
}
