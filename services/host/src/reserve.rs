//! Host CPU and memory as VMs take them: the answers to the capacity messages of the host
//! contract (`zstack_header::host`).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use zstack_header::host::{
    HostCandidate, ListHostCandidatesMsg, ReleaseHostCapacityMsg, ReserveHostCapacityMsg,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::operr;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Column, Entity as Host};

pub async fn candidates(
    node: NodeContext,
    msg: ListHostCandidatesMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<HostCandidate>> {
    let mut query = Host::find()
        .select_only()
        .columns([Column::Uuid, Column::ClusterUuid, Column::ZoneUuid])
        .filter(Column::ClusterUuid.is_in(msg.cluster_uuids))
        .filter(Column::State.eq("Enabled"))
        .filter(Column::Status.eq("Connected"))
        .filter(Column::AvailableCpuCapacity.gte(msg.cpu_num))
        .filter(Column::AvailableMemoryCapacity.gte(msg.memory_size));
    if let Some(host) = msg.host_uuid {
        query = query.filter(Column::Uuid.eq(host));
    }
    query = match msg.limit {
        // RANDOM() is SQLite's and PostgreSQL's alike.
        Some(limit) => query
            .order_by(Expr::cust("RANDOM()"), Order::Asc)
            .limit(limit),
        None => query
            .order_by_desc(Column::AvailableMemoryCapacity)
            .order_by_asc(Column::Uuid),
    };
    let hosts: Vec<(String, String, String)> = query.into_tuple().all(&node.db).await?;
    Ok(hosts
        .into_iter()
        .map(|(uuid, cluster_uuid, zone_uuid)| HostCandidate {
            uuid,
            cluster_uuid,
            zone_uuid,
        })
        .collect())
}

pub async fn reserve(
    node: NodeContext,
    msg: ReserveHostCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    // One conditional update: racing reservations never take more than the host has.
    let taken = Host::update_many()
        .col_expr(
            Column::AvailableCpuCapacity,
            Expr::col(Column::AvailableCpuCapacity).sub(msg.cpu_num),
        )
        .col_expr(
            Column::AvailableMemoryCapacity,
            Expr::col(Column::AvailableMemoryCapacity).sub(msg.memory_size),
        )
        .filter(Column::Uuid.eq(msg.host_uuid.clone()))
        .filter(Column::State.eq("Enabled"))
        .filter(Column::Status.eq("Connected"))
        .filter(Column::AvailableCpuCapacity.gte(msg.cpu_num))
        .filter(Column::AvailableMemoryCapacity.gte(msg.memory_size))
        .exec(&node.db)
        .await?;
    if taken.rows_affected != 1 {
        return Err(operr(format!(
            "host[uuid:{}] has not {} CPUs and {} bytes of memory free, or is not Enabled and Connected",
            msg.host_uuid, msg.cpu_num, msg.memory_size
        )));
    }
    Ok(EmptyReply {})
}

pub async fn release(
    node: NodeContext,
    msg: ReleaseHostCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    Host::update_many()
        .col_expr(
            Column::AvailableCpuCapacity,
            Expr::col(Column::AvailableCpuCapacity).add(msg.cpu_num),
        )
        .col_expr(
            Column::AvailableMemoryCapacity,
            Expr::col(Column::AvailableMemoryCapacity).add(msg.memory_size),
        )
        .filter(Column::Uuid.eq(msg.host_uuid))
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}
