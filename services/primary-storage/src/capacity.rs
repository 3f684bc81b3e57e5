//! Primary-storage capacity as other families use it: the answers to the capacity messages of
//! the primary-storage contract (`zstack_header::primary_storage`).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use zstack_header::primary_storage::{
    AllocatePrimaryStorageCapacityMsg, GetPrimaryStorageMsg, ListPrimaryStorageCandidatesMsg,
    PrimaryStorageCandidate, PrimaryStorageSummary, ReturnPrimaryStorageCapacityMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::operr;
use zstack_kernel::resource::find;
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
    take(&node, &msg.primary_storage_uuid, msg.size).await?;
    Ok(EmptyReply {})
}

pub async fn give_back(
    node: NodeContext,
    msg: ReturnPrimaryStorageCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    put_back(&node, &msg.primary_storage_uuid, msg.size).await?;
    Ok(EmptyReply {})
}

/// Takes `size` bytes of Enabled primary storage `uuid`, or fails without taking anything.
pub async fn take(node: &NodeContext, uuid: &str, size: i64) -> ApiResult<()> {
    // The condition keeps racing allocations from over-committing the storage.
    let taken = PrimaryStorage::update_many()
        .col_expr(
            Column::AvailableCapacity,
            Expr::col(Column::AvailableCapacity).sub(size),
        )
        .filter(Column::Uuid.eq(uuid))
        .filter(Column::State.eq("Enabled"))
        .filter(Column::AvailableCapacity.gte(size))
        .exec(&node.db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(operr(format!(
            "primary storage[uuid:{uuid}] has not {size} bytes available, or is not Enabled"
        )));
    }
    Ok(())
}

/// Gives back what [`take`] took.
pub async fn put_back(node: &NodeContext, uuid: &str, size: i64) -> ApiResult<()> {
    PrimaryStorage::update_many()
        .col_expr(
            Column::AvailableCapacity,
            Expr::col(Column::AvailableCapacity).add(size),
        )
        .filter(Column::Uuid.eq(uuid))
        .exec(&node.db)
        .await?;
    Ok(())
}

pub async fn get(
    node: NodeContext,
    msg: GetPrimaryStorageMsg,
    _ctx: MsgContext,
) -> ApiResult<PrimaryStorageSummary> {
    let ps = find::<PrimaryStorage, _>(&node.db, "primary storage", &msg.uuid).await?;
    let cluster_uuids = CLUSTERS.linked(&node.db, &ps.uuid).await?;
    Ok(PrimaryStorageSummary {
        uuid: ps.uuid,
        name: ps.name,
        zone_uuid: ps.zone_uuid,
        url: ps.url,
        r#type: ps.r#type,
        state: ps.state,
        status: ps.status,
        available_capacity: ps.available_capacity,
        cluster_uuids,
    })
}
