//! What the instance offering APIs do beyond what every family does.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use zstack_kernel::api::InventoryReply;
use zstack_kernel::family::ResourceTable;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, Entity as InstanceOffering, INSTANCE_OFFERING, Model as InstanceOfferingInventory,
};
use crate::messages::{APICreateInstanceOfferingMsg, APIUpdateInstanceOfferingMsg};

pub async fn create(
    node: NodeContext,
    msg: APICreateInstanceOfferingMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<InstanceOfferingInventory>> {
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        cpu_num: Set(msg.cpu_num),
        // Not settable through the API in ZStack either.
        cpu_speed: Set(0),
        memory_size: Set(msg.memory_size),
        reserved_memory_size: Set(msg.reserved_memory_size.unwrap_or(0)),
        r#type: Set(msg.r#type.unwrap_or_else(|| "UserVm".into())),
        allocator_strategy: Set(msg
            .allocator_strategy
            .unwrap_or_else(|| "DefaultHostAllocatorStrategy".into())),
        sort_key: Set(msg.sort_key.unwrap_or(0)),
        state: Set("Enabled".into()),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    Ok(
        create_resource(&node, &node.db, &ctx, INSTANCE_OFFERING, &uuid, row)
            .await?
            .into(),
    )
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateInstanceOfferingMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<InstanceOfferingInventory>> {
    let offering =
        find::<InstanceOffering, _>(&node.db, InstanceOffering::QUERY, &msg.uuid).await?;
    let mut active: ActiveModel = offering.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    if let Some(strategy) = msg.allocator_strategy {
        active.allocator_strategy = Set(strategy);
    }
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?.into())
}
