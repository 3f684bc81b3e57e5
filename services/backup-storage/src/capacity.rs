//! Backup-storage capacity as other services use it: a download takes bytes from a backup
//! storage and gives them back when its copy goes. The backup-storage service owns the numbers,
//! so other families ask it through these messages instead of writing its table.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::{ApiResult, Message, MsgContext, NodeContext};

use crate::entity::{Column, Entity as BackupStorage};

/// Takes `size` bytes of an Enabled backup storage for `purpose` (named in refusals).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocateBackupStorageCapacityMsg {
    pub backup_storage_uuid: String,
    pub size: i64,
    pub purpose: String,
}

/// The backup storage that gave the bytes, and its URL (where copies are installed).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AllocatedCapacity {
    pub backup_storage_uuid: String,
    pub url: String,
}

impl Message for AllocateBackupStorageCapacityMsg {
    const NAME: &'static str = "AllocateBackupStorageCapacityMsg";
    type Reply = AllocatedCapacity;
    fn queue_key(&self) -> Option<String> {
        Some(self.backup_storage_uuid.clone())
    }
}

/// Gives `size` bytes back to each of `backup_storage_uuids`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnBackupStorageCapacityMsg {
    pub backup_storage_uuids: Vec<String>,
    pub size: i64,
}

impl Message for ReturnBackupStorageCapacityMsg {
    const NAME: &'static str = "ReturnBackupStorageCapacityMsg";
    type Reply = EmptyReply;
}

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
