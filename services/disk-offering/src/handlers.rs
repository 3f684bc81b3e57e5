//! What the disk offering APIs do beyond what every family does.

use sea_orm::ActiveValue::Set;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::create_resource;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, DISK_OFFERING, Model as DiskOfferingInventory};
use crate::messages::APICreateDiskOfferingMsg;

pub async fn create(
    node: NodeContext,
    msg: APICreateDiskOfferingMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<DiskOfferingInventory>> {
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        disk_size: Set(msg.disk_size),
        sort_key: Set(msg.sort_key.unwrap_or(0)),
        state: Set("Enabled".into()),
        r#type: Set(msg.r#type.unwrap_or_else(|| "zstack".into())),
        allocator_strategy: Set(msg
            .allocation_strategy
            .unwrap_or_else(|| "DefaultPrimaryStorageAllocationStrategy".into())),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    Ok(
        create_resource(&node, &node.db, &ctx, DISK_OFFERING, &uuid, row)
            .await?
            .into(),
    )
}
