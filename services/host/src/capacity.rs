//! GetCpuMemoryCapacity, as the seed describes it: the hosts of the given zones, clusters and
//! hosts (their union), or all hosts with `all=true`; only Enabled and Connected hosts count.

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use zstack_kernel::error::argerr;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Column, Entity as Host};
use crate::messages::{APIGetCpuMemoryCapacityMsg, CpuMemoryCapacityReply};

pub async fn get_cpu_memory_capacity(
    node: NodeContext,
    msg: APIGetCpuMemoryCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<CpuMemoryCapacityReply> {
    let all = msg.all.unwrap_or(false);
    let zones = msg.zone_uuids.unwrap_or_default();
    let clusters = msg.cluster_uuids.unwrap_or_default();
    let hosts = msg.host_uuids.unwrap_or_default();
    if !all && zones.is_empty() && clusters.is_empty() && hosts.is_empty() {
        return Err(argerr(
            "zoneUuids, clusterUuids and hostUuids cannot all be empty unless all is true",
        ));
    }
    let mut query = Host::find()
        .select_only()
        .filter(Column::State.eq("Enabled"))
        .filter(Column::Status.eq("Connected"));
    if !all {
        query = query.filter(
            Condition::any()
                .add(Column::ZoneUuid.is_in(zones))
                .add(Column::ClusterUuid.is_in(clusters))
                .add(Column::Uuid.is_in(hosts)),
        );
    }
    if let Some(hypervisor) = msg.hypervisor_type {
        query = query.filter(Column::HypervisorType.eq(hypervisor));
    }
    // PostgreSQL sums BIGINT into NUMERIC, and an empty set into NULL.
    let sum =
        |col: Column| Func::coalesce([Expr::from(Func::sum(Expr::col(col))), Expr::val(0i64)]);
    let totals = query
        .expr_as(
            Func::cast_as(sum(Column::TotalCpuCapacity), "BIGINT"),
            "total_cpu",
        )
        .expr_as(
            Func::cast_as(sum(Column::AvailableCpuCapacity), "BIGINT"),
            "available_cpu",
        )
        .expr_as(
            Func::cast_as(sum(Column::TotalMemoryCapacity), "BIGINT"),
            "total_memory",
        )
        .expr_as(
            Func::cast_as(sum(Column::AvailableMemoryCapacity), "BIGINT"),
            "available_memory",
        )
        .into_tuple::<(i64, i64, i64, i64)>()
        .one(&node.db)
        .await?
        .unwrap_or_default();
    Ok(CpuMemoryCapacityReply {
        total_cpu: totals.0,
        available_cpu: totals.1,
        total_memory: totals.2,
        available_memory: totals.3,
    })
}
