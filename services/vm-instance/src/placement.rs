//! Where a VM can run (ZStack's host allocator): a host Enabled and Connected with the CPU and
//! memory free, whose cluster is attached to an L2 network of every L3 network of the VM and to
//! a primary storage with room for its root volume.

use std::collections::BTreeSet;

use zstack_header::host::{HostCandidate, ListHostCandidatesMsg, ReserveHostCapacityMsg};
use zstack_header::l2_network::GetL2NetworkClustersMsg;
use zstack_header::l3_network::L3NetworkSummary;
use zstack_header::primary_storage::{ListPrimaryStorageCandidatesMsg, PrimaryStorageCandidate};
use zstack_kernel::error::operr;
use zstack_kernel::{ApiResult, NodeContext};

/// How many hosts one placement tries.
const CANDIDATES: u64 = 16;

pub struct Wanted<'a> {
    pub l3s: &'a [L3NetworkSummary],
    pub zone_uuid: Option<&'a str>,
    pub cluster_uuid: Option<&'a str>,
    pub host_uuid: Option<&'a str>,
    /// The storage the VM's root volume is on already (a start); any with room otherwise.
    pub primary_storage_uuid: Option<&'a str>,
    pub disk_size: i64,
    pub cpu_num: i64,
    pub memory_size: i64,
    /// Tried first (LastHostPreferred).
    pub preferred_host: Option<&'a str>,
}

/// The hosts that fit, best first, and the primary storage of their clusters.
pub struct Placement {
    pub hosts: Vec<HostCandidate>,
    pub primary_storage: Vec<PrimaryStorageCandidate>,
}

pub async fn find(node: &NodeContext, wanted: &Wanted<'_>) -> ApiResult<Placement> {
    let mut clusters: Option<BTreeSet<String>> = None;
    for l3 in wanted.l3s {
        if let Some(zone) = wanted.zone_uuid
            && l3.zone_uuid != zone
        {
            return Err(operr(format!(
                "L3 network[uuid:{}] is in zone[uuid:{}], not in the zone asked for[uuid:{zone}]",
                l3.uuid, l3.zone_uuid
            )));
        }
        let attached: BTreeSet<String> = node
            .bus
            .call(GetL2NetworkClustersMsg {
                uuid: l3.l2_network_uuid.clone(),
            })
            .await?
            .into_iter()
            .collect();
        clusters = Some(match clusters {
            None => attached,
            Some(before) => before.intersection(&attached).cloned().collect(),
        });
    }
    let mut clusters: Vec<String> = clusters.unwrap_or_default().into_iter().collect();
    if let Some(cluster) = wanted.cluster_uuid {
        clusters.retain(|c| c == cluster);
    }
    if clusters.is_empty() {
        return Err(operr(
            "no cluster is attached to the L2 networks of all the VM's L3 networks",
        ));
    }
    let primary_storage = node
        .bus
        .call(ListPrimaryStorageCandidatesMsg {
            cluster_uuids: clusters.clone(),
            primary_storage_uuid: wanted.primary_storage_uuid.map(str::to_string),
            size: wanted.disk_size,
        })
        .await?;
    let with_storage: BTreeSet<&String> = primary_storage
        .iter()
        .flat_map(|ps| ps.cluster_uuids.iter())
        .collect();
    clusters.retain(|c| with_storage.contains(c));
    if clusters.is_empty() {
        return Err(operr(format!(
            "no primary storage attached to the VM's clusters is Enabled, Connected and has {} bytes available",
            wanted.disk_size
        )));
    }
    let list = |host_uuid: Option<&str>, limit: Option<u64>| ListHostCandidatesMsg {
        cluster_uuids: clusters.clone(),
        host_uuid: host_uuid.map(str::to_string),
        cpu_num: wanted.cpu_num,
        memory_size: wanted.memory_size,
        limit,
    };
    // A few hosts picked at random, not every host that fits: racing VMs rarely try the same
    // ones, and a VM waiting for its next step holds a short list.
    let mut hosts = node
        .bus
        .call(list(wanted.host_uuid, Some(CANDIDATES)))
        .await?;
    if wanted.host_uuid.is_none()
        && let Some(preferred) = wanted.preferred_host
    {
        hosts.retain(|h| h.uuid != preferred);
        let mut first = node.bus.call(list(Some(preferred), None)).await?;
        first.append(&mut hosts);
        hosts = first;
    }
    if let Some(zone) = wanted.zone_uuid {
        hosts.retain(|h| h.zone_uuid == zone);
    }
    if hosts.is_empty() {
        return Err(operr(format!(
            "no host is Enabled and Connected with {} CPUs and {} bytes of memory free in the clusters the VM can use",
            wanted.cpu_num, wanted.memory_size
        )));
    }
    Ok(Placement {
        hosts,
        primary_storage,
    })
}

/// Takes the CPU and memory on the first of `hosts` that still has them (a racing VM may have
/// taken a candidate's last room meanwhile).
pub async fn reserve(
    node: &NodeContext,
    hosts: &[HostCandidate],
    cpu_num: i64,
    memory_size: i64,
) -> ApiResult<HostCandidate> {
    for host in hosts {
        let taken = node
            .bus
            .call(ReserveHostCapacityMsg {
                host_uuid: host.uuid.clone(),
                cpu_num,
                memory_size,
            })
            .await;
        if taken.is_ok() {
            return Ok(host.clone());
        }
    }
    Err(operr(format!(
        "none of the {} candidate hosts has {cpu_num} CPUs and {memory_size} bytes of memory free any more",
        hosts.len()
    )))
}
