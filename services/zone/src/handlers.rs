//! What each zone API does.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, QueryFilter, TransactionTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction};
use zstack_kernel::api::InventoryReply;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Column, Entity as Zone, Model as ZoneInventory, ZONE};
use crate::messages::{APICreateZoneMsg, APIUpdateZoneMsg};

/// One default zone at most: making a zone the default clears the flag elsewhere.
async fn clear_other_defaults(txn: &DatabaseTransaction, keep: &str) -> ApiResult<()> {
    Zone::update_many()
        .col_expr(Column::IsDefault, Expr::value(false))
        .filter(Column::Uuid.ne(keep))
        .filter(Column::IsDefault.eq(true))
        .exec(txn)
        .await?;
    Ok(())
}

pub async fn create(
    node: NodeContext,
    msg: APICreateZoneMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ZoneInventory>> {
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let is_default = msg.is_default.unwrap_or(false);
    let txn = node.db.begin().await?;
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        state: Set("Enabled".into()),
        r#type: Set("zstack".into()),
        is_default: Set(is_default),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let zone = create_resource(&node, &txn, &ctx, ZONE, &uuid, row).await?;
    if is_default {
        clear_other_defaults(&txn, &uuid).await?;
    }
    txn.commit().await?;
    Ok(zone.into())
}

async fn existing(node: &NodeContext, uuid: &str) -> ApiResult<ZoneInventory> {
    find::<Zone, _>(&node.db, "zone", uuid).await
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateZoneMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<ZoneInventory>> {
    let zone = existing(&node, &msg.uuid).await?;
    let mut active: ActiveModel = zone.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    if let Some(is_default) = msg.is_default {
        active.is_default = Set(is_default);
    }
    active.last_op_date = Set(now());
    let txn = node.db.begin().await?;
    let zone = active.update(&txn).await?;
    if msg.is_default == Some(true) {
        clear_other_defaults(&txn, &zone.uuid).await?;
    }
    txn.commit().await?;
    Ok(zone.into())
}
