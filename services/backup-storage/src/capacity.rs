//! Backup-storage capacity as other families use it: the answers to the capacity messages of
//! the backup-storage contract (`zstack_header::backup_storage`).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::backup_storage::{
    AllocateBackupStorageCapacityMsg, AllocatedCapacity, ReturnBackupStorageCapacityMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Column, Entity as BackupStorage};

pub async fn allocate(
    node: NodeContext,
    msg: AllocateBackupStorageCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<AllocatedCapacity> {
    let uuid = msg.backup_storage_uuid;
    let bs = BackupStorage::find_by_id(uuid.clone())
        .one(&node.db)
        .await?
        .ok_or_else(|| argerr(format!("backup storage[uuid:{uuid}] is not found")))?;
    if bs.state != "Enabled" {
        return Err(operr(format!(
            "backup storage[uuid:{}, name:{}] is {}; {} needs Enabled backup storage",
            bs.uuid, bs.name, bs.state, msg.purpose
        )));
    }
    zstack_kernel::simulator::operate(&node.db, crate::entity::BACKUP_STORAGE, &uuid).await?;
    // The condition keeps racing allocations from overcommitting the storage.
    let taken = BackupStorage::update_many()
        .col_expr(
            Column::AvailableCapacity,
            Expr::col(Column::AvailableCapacity).sub(msg.size),
        )
        .filter(Column::Uuid.eq(uuid.clone()))
        .filter(Column::AvailableCapacity.gte(msg.size))
        .exec(&node.db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(operr(format!(
            "backup storage[uuid:{}, name:{}] has not enough capacity for {}: it needs {} bytes",
            bs.uuid, bs.name, msg.purpose, msg.size
        )));
    }
    Ok(AllocatedCapacity {
        backup_storage_uuid: uuid,
        url: bs.url,
    })
}

pub async fn give_back(
    node: NodeContext,
    msg: ReturnBackupStorageCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    if !msg.backup_storage_uuids.is_empty() {
        BackupStorage::update_many()
            .col_expr(
                Column::AvailableCapacity,
                Expr::col(Column::AvailableCapacity).add(msg.size),
            )
            .filter(Column::Uuid.is_in(msg.backup_storage_uuids))
            .exec(&node.db)
            .await?;
    }
    Ok(EmptyReply {})
}
