//! What each disk offering API does.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, enable_disable, find, set_state};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, DISK_OFFERING, Entity as DiskOffering, Model as DiskOfferingInventory,
};
use crate::messages::{
    APIChangeDiskOfferingStateMsg, APICreateDiskOfferingMsg, APIDeleteDiskOfferingMsg,
    APIUpdateDiskOfferingMsg,
};

const WHAT: &str = "disk offering";

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

pub async fn update(
    node: NodeContext,
    msg: APIUpdateDiskOfferingMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<DiskOfferingInventory>> {
    let offering = find::<DiskOffering, _>(&node.db, WHAT, &msg.uuid).await?;
    let mut active: ActiveModel = offering.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?.into())
}

pub async fn change_state(
    node: NodeContext,
    msg: APIChangeDiskOfferingStateMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<DiskOfferingInventory>> {
    let offering =
        set_state::<DiskOffering>(&node.db, WHAT, &msg.uuid, enable_disable(&msg.state_event)?)
            .await?;
    Ok(offering.into())
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteDiskOfferingMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    // Volumes keep their size once made; the offering's tags and owner record go with it.
    let mode = msg.delete_mode.as_deref();
    let db = &node.db;
    node.delete_one(&ctx, DISK_OFFERING, msg.uuid, mode, |uuids| async move {
        delete_rows(db, DISK_OFFERING, &uuids).await
    })
    .await
}
