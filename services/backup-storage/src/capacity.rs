//! Backup-storage capacity as other families use it: the answers to the capacity messages of
//! the backup-storage contract (`zstack_header::backup_storage`), and deleting an image's bits,
//! now or, through a GC job, once the storage can be reached.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use zstack_header::backup_storage::{
    AllocateBackupStorageCapacityMsg, AllocatedCapacity, DeleteBitsGc,
    DeleteBitsOnBackupStorageMsg, ReturnBackupStorageCapacityMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::{ApiResult, MsgContext, NodeContext, gc, simulator};

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

/// Deletes the bits and gives back the bytes they took, in one transaction: a second delete of
/// the same bits finds nothing and gives nothing back.
pub async fn delete_bits(
    node: NodeContext,
    msg: DeleteBitsOnBackupStorageMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let uuid = msg.backup_storage_uuid;
    if BackupStorage::find_by_id(uuid.clone())
        .one(&node.db)
        .await?
        .is_none()
    {
        // Its bits went with it.
        return Ok(EmptyReply {});
    }
    simulator::operate(&node.db, crate::entity::BACKUP_STORAGE, &uuid).await?;
    let txn = node.db.begin().await?;
    if let Some(size) = simulator::delete_file(&txn, &uuid, &msg.install_path).await? {
        BackupStorage::update_many()
            .col_expr(
                Column::AvailableCapacity,
                Expr::col(Column::AvailableCapacity).add(size),
            )
            .filter(Column::Uuid.eq(uuid.clone()))
            .exec(&txn)
            .await?;
        tracing::info!(backup_storage = %uuid, path = %msg.install_path, size, "bits deleted");
    }
    txn.commit().await?;
    Ok(EmptyReply {})
}

/// The GC runner of bits a backup storage could not delete when asked: asks again.
pub async fn delete_bits_later(
    node: NodeContext,
    job: DeleteBitsGc,
    _run: gc::Run,
) -> ApiResult<()> {
    let again = DeleteBitsOnBackupStorageMsg {
        backup_storage_uuid: job.backup_storage_uuid,
        install_path: job.install_path,
    };
    node.bus.call(again).await?;
    Ok(())
}
