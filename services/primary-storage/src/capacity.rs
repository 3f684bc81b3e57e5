//! Primary-storage capacity as other families use it: the answers to the capacity messages of
//! the primary-storage contract (`zstack_header::primary_storage`).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use zstack_header::primary_storage::{
    AllocatePrimaryStorageCapacityMsg, ListPrimaryStorageCandidatesMsg, PrimaryStorageCandidate,
    ReturnPrimaryStorageCapacityMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::operr;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{CLUSTERS, Column, Entity as PrimaryStorage};

pub async fn candidates(
    node: NodeContext,
    msg: ListPrimaryStorageCandidatesMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<PrimaryStorageCandidate>> {
    let mut query = PrimaryStorage::find()
        .filter(Column::State.eq("Enabled"))
        .filter(Column::Status.eq("Connected"))
        .filter(Column::AvailableCapacity.gte(msg.size));
    if let Some(uuid) = msg.primary_storage_uuid {
        query = query.filter(Column::Uuid.eq(uuid));
    }
    let mut out = Vec::new();
    for ps in query
        .order_by_desc(Column::AvailableCapacity)
        .all(&node.db)
        .await?
    {
        let cluster_uuids: Vec<String> = CLUSTERS
            .linked(&node.db, &ps.uuid)
            .await?
            .into_iter()
            .filter(|c| msg.cluster_uuids.contains(c))
            .collect();
        if !cluster_uuids.is_empty() {
            out.push(PrimaryStorageCandidate {
                uuid: ps.uuid,
                cluster_uuids,
            });
        }
    }
    Ok(out)
}

pub async fn allocate(
    node: NodeContext,
    msg: AllocatePrimaryStorageCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    // The condition keeps racing allocations from over-committing the storage.
    let taken = PrimaryStorage::update_many()
        .col_expr(
            Column::AvailableCapacity,
            Expr::col(Column::AvailableCapacity).sub(msg.size),
        )
        .filter(Column::Uuid.eq(msg.primary_storage_uuid.clone()))
        .filter(Column::State.eq("Enabled"))
        .filter(Column::AvailableCapacity.gte(msg.size))
        .exec(&node.db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(operr(format!(
            "primary storage[uuid:{}] has not {} bytes available, or is not Enabled",
            msg.primary_storage_uuid, msg.size
        )));
    }
    Ok(EmptyReply {})
}

pub async fn give_back(
    node: NodeContext,
    msg: ReturnPrimaryStorageCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    PrimaryStorage::update_many()
        .col_expr(
            Column::AvailableCapacity,
            Expr::col(Column::AvailableCapacity).add(msg.size),
        )
        .filter(Column::Uuid.eq(msg.primary_storage_uuid))
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}
