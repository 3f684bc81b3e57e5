//! GetCpuMemoryCapacity, as the seed describes it: the hosts of the given zones, clusters and
//! hosts (their union), or all hosts with `all=true`; only Enabled and Connected hosts count,
//! and a host's `reservedMemory::{size}` system tag is taken off its available memory.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use zstack_header::host::{GetHostUsageMsg, HostUsage};
use zstack_kernel::error::argerr;
use zstack_kernel::tags::ListSystemTagsMsg;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::HOST;

use crate::entity::{Column, Entity as Host};
use crate::messages::{APIGetCpuMemoryCapacityMsg, CapacityData, CpuMemoryCapacityReply};

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
    let mut counted = Condition::all()
        .add(Column::State.eq("Enabled"))
        .add(Column::Status.eq("Connected"));
    if let Some(hypervisor) = msg.hypervisor_type {
        counted = counted.add(Column::HypervisorType.eq(hypervisor));
    }
    let asked = if all {
        counted.clone()
    } else {
        counted.clone().add(
            Condition::any()
                .add(Column::ZoneUuid.is_in(zones.clone()))
                .add(Column::ClusterUuid.is_in(clusters.clone()))
                .add(Column::Uuid.is_in(hosts.clone())),
        )
    };
    let whole = capacity(&node, asked, String::new()).await?;
    // One entry per resource asked for; the most specific kind asked names them.
    let mut capacity_data = Vec::new();
    for (uuids, column) in [
        (&zones, Column::ZoneUuid),
        (&clusters, Column::ClusterUuid),
        (&hosts, Column::Uuid),
    ] {
        for uuid in uuids {
            let one = counted.clone().add(column.eq(uuid.clone()));
            capacity_data.push(capacity(&node, one, uuid.clone()).await?);
        }
    }
    let resource_type = [
        (&hosts, "HostVO"),
        (&clusters, "ClusterVO"),
        (&zones, "ZoneVO"),
    ]
    .into_iter()
    .find(|(uuids, _)| !uuids.is_empty())
    .map(|(_, vo)| vo.to_string());
    Ok(CpuMemoryCapacityReply {
        total_cpu: whole.total_cpu,
        available_cpu: whole.available_cpu,
        total_memory: whole.total_memory,
        available_memory: whole.available_memory,
        managed_cpu_num: whole.managed_cpu_num,
        resource_type,
        capacity_data,
    })
}

/// The capacity of the hosts `counted` selects, under `resource_uuid`.
async fn capacity(
    node: &NodeContext,
    counted: Condition,
    resource_uuid: String,
) -> ApiResult<CapacityData> {
    let query = Host::find().select_only().filter(counted.clone());
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
        .expr_as(Func::cast_as(sum(Column::CpuNum), "BIGINT"), "cpu_num")
        .into_tuple::<(i64, i64, i64, i64, i64)>()
        .one(&node.db)
        .await?
        .unwrap_or_default();
    let reserved = reserved_memory(node, counted).await?;
    Ok(CapacityData {
        resource_uuid,
        total_cpu: totals.0,
        available_cpu: totals.1,
        total_memory: totals.2,
        available_memory: (totals.3 - reserved).max(0),
        managed_cpu_num: totals.4,
    })
}

/// Every host and their CPUs together, for limits over all hosts (a license's).
pub async fn usage(
    node: NodeContext,
    _msg: GetHostUsageMsg,
    _ctx: MsgContext,
) -> ApiResult<HostUsage> {
    let (host_num, cpu_num) = Host::find()
        .select_only()
        .expr_as(
            Func::cast_as(Func::count(Expr::col(Column::Uuid)), "BIGINT"),
            "host_num",
        )
        .expr_as(
            Func::cast_as(
                Func::coalesce([
                    Expr::from(Func::sum(Expr::col(Column::CpuNum))),
                    Expr::val(0i64),
                ]),
                "BIGINT",
            ),
            "cpu_num",
        )
        .into_tuple::<(i64, i64)>()
        .one(&node.db)
        .await?
        .unwrap_or_default();
    Ok(HostUsage { host_num, cpu_num })
}

pub const RESERVED_MEMORY: &str = "reservedMemory::{size}";

/// The memory the counted hosts' `reservedMemory::{size}` tags hold back, each host's at most
/// its available memory.
async fn reserved_memory(node: &NodeContext, counted: Condition) -> ApiResult<i64> {
    // The tags are the tag service's: asked for, not read from its table.
    let tags = node
        .bus
        .call(ListSystemTagsMsg {
            resource_type: HOST.vo_name.into(),
            prefix: "reservedMemory::".into(),
        })
        .await?;
    if tags.is_empty() {
        return Ok(0);
    }
    let mut per_host: HashMap<String, i64> = HashMap::new();
    for tag in tags {
        let size = tag
            .tag
            .strip_prefix("reservedMemory::")
            .and_then(size_in_bytes);
        match size {
            // Several tags on one host: the largest holds.
            Some(size) => {
                let held = per_host.entry(tag.resource_uuid).or_insert(0);
                *held = (*held).max(size);
            }
            None => {
                tracing::warn!(tag = %tag.tag, "ignored a reservedMemory tag whose size is not a size")
            }
        }
    }
    // Only the hosts counted hold memory back.
    let available: HashMap<String, i64> = Host::find()
        .filter(counted)
        .filter(Column::Uuid.is_in(per_host.keys().cloned()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|h| (h.uuid, h.available_memory_capacity))
        .collect();
    Ok(per_host
        .iter()
        .map(|(uuid, held)| (*held).min(available.get(uuid).copied().unwrap_or(0)))
        .sum())
}

/// `1024`, `512M`, `1G`, `2T`, `64KB`: bytes.
fn size_in_bytes(text: &str) -> Option<i64> {
    let text = text.trim().to_ascii_uppercase();
    let text = text.strip_suffix('B').unwrap_or(&text);
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let n: i64 = digits.parse().ok()?;
    let factor: i64 = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::size_in_bytes;

    #[test]
    fn sizes_read_with_and_without_units() {
        assert_eq!(size_in_bytes("1024"), Some(1024));
        assert_eq!(size_in_bytes("512M"), Some(512 << 20));
        assert_eq!(size_in_bytes("1g"), Some(1 << 30));
        assert_eq!(size_in_bytes("2TB"), Some(2 << 40));
        assert_eq!(size_in_bytes("lots"), None);
        assert_eq!(size_in_bytes("1P"), None);
    }
}
