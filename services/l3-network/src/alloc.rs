//! Addresses handed out to other families (a VM's NICs): the answers to the IP messages of the
//! L3 contract (`zstack_header::l3_network`).

use std::collections::HashSet;
use std::net::Ipv4Addr;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr,
};
use zstack_header::l3_network::{
    AllocateIpMsg, GetL3NetworkMsg, L3NetworkSummary, ReleaseIpsMsg, UsedIp,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::message::{new_uuid, random_u64};
use zstack_kernel::resource::find;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Entity as L3Network, ip_range, used_ip};
use crate::ip;

/// The node setting naming the strategy (`RandomIpAllocatorStrategy`, the default, or
/// `FirstAvailableIpAllocatorStrategy`).
pub const STRATEGY_SETTING: &str = "l3.ipAllocateStrategy";
/// Random picks tried before looking at which addresses are free.
const RANDOM_PICKS: usize = 8;
/// Racing allocations on a crowded network may pick the same free address; the loser picks
/// again this many times before giving up.
const ATTEMPTS: usize = 16;

pub async fn get(
    node: NodeContext,
    msg: GetL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<L3NetworkSummary> {
    let l3 = find::<L3Network, _>(&node.db, "L3 network", &msg.uuid).await?;
    Ok(L3NetworkSummary {
        uuid: l3.uuid,
        name: l3.name,
        zone_uuid: l3.zone_uuid,
        l2_network_uuid: l3.l2_network_uuid,
        state: l3.state,
    })
}

pub async fn allocate(
    node: NodeContext,
    msg: AllocateIpMsg,
    _ctx: MsgContext,
) -> ApiResult<UsedIp> {
    let l3 = msg.l3_network_uuid.clone();
    let ranges = ip_range::Entity::find()
        .filter(ip_range::Column::L3NetworkUuid.eq(l3.clone()))
        .order_by_asc(ip_range::Column::CreateDate)
        .all(&node.db)
        .await?;
    if let Some(text) = &msg.required_ip {
        let wanted = ip::parse("staticIp", text)?;
        let range = ranges.iter().find(|r| contains(r, wanted)).ok_or_else(|| {
            argerr(format!(
                "the static IP[{wanted}] is not in any IP range of L3 network[uuid:{l3}]"
            ))
        })?;
        return match take(&node, &msg, range, wanted).await? {
            Some(used) => Ok(used),
            None => Err(operr(format!(
                "the static IP[{wanted}] of L3 network[uuid:{l3}] is already in use"
            ))),
        };
    }
    let spans: Vec<(&ip_range::Model, u32, u64)> = ranges
        .iter()
        .filter_map(|r| {
            let (start, end) = bounds(r)?;
            (end >= start).then(|| (r, start, u64::from(end - start) + 1))
        })
        .collect();
    let total: u64 = spans.iter().map(|s| s.2).sum();
    // ZStack's default strategy picks at random: racing allocations on a network with room
    // then almost never pick the same address, and no pick needs the list of used ones.
    let first_available =
        node.config.setting(STRATEGY_SETTING) == Some("FirstAvailableIpAllocatorStrategy");
    let random_picks = if first_available { 0 } else { RANDOM_PICKS };
    for _ in 0..random_picks {
        let Some((range, address)) = nth_address(&spans, random_u64() % total.max(1), |_| true)
        else {
            break;
        };
        if let Some(taken) = take(&node, &msg, range, address).await? {
            return Ok(taken);
        }
    }
    // A crowded network: a random one of the addresses free now.
    for _ in 0..ATTEMPTS {
        let used: HashSet<String> = used_ip::Entity::find()
            .filter(used_ip::Column::L3NetworkUuid.eq(l3.clone()))
            .all(&node.db)
            .await?
            .into_iter()
            .map(|u| u.ip)
            .collect();
        let is_free = |a: Ipv4Addr| !used.contains(&a.to_string());
        let free = spans
            .iter()
            .map(|&(_, start, len)| {
                (0..len)
                    .filter(|i| is_free(Ipv4Addr::from(start + *i as u32)))
                    .count() as u64
            })
            .sum::<u64>();
        let pick = if first_available {
            0
        } else {
            random_u64() % free.max(1)
        };
        let Some((range, address)) = (free > 0)
            .then(|| nth_address(&spans, pick, is_free))
            .flatten()
        else {
            return Err(operr(format!(
                "L3 network[uuid:{l3}] has no free IP address left in its ranges"
            )));
        };
        if let Some(taken) = take(&node, &msg, range, address).await? {
            return Ok(taken);
        }
    }
    Err(operr(format!(
        "could not allocate an IP address on L3 network[uuid:{l3}]: every pick was taken by a racing allocation"
    )))
}

/// The `n`th address (from 0) of the ranges that `keep` accepts.
fn nth_address<'a>(
    spans: &[(&'a ip_range::Model, u32, u64)],
    mut n: u64,
    keep: impl Fn(Ipv4Addr) -> bool,
) -> Option<(&'a ip_range::Model, Ipv4Addr)> {
    for &(range, start, len) in spans {
        for i in 0..len {
            let address = Ipv4Addr::from(start + i as u32);
            if !keep(address) {
                continue;
            }
            if n == 0 {
                return Some((range, address));
            }
            n -= 1;
        }
    }
    None
}

fn bounds(range: &ip_range::Model) -> Option<(u32, u32)> {
    let start = range.start_ip.parse::<Ipv4Addr>().ok()?;
    let end = range.end_ip.parse::<Ipv4Addr>().ok()?;
    Some((u32::from(start), u32::from(end)))
}

fn contains(range: &ip_range::Model, address: Ipv4Addr) -> bool {
    bounds(range).is_some_and(|(s, e)| (s..=e).contains(&u32::from(address)))
}

/// Records `address` as taken; `None` when it already was (the unique index decides).
async fn take(
    node: &NodeContext,
    msg: &AllocateIpMsg,
    range: &ip_range::Model,
    address: Ipv4Addr,
) -> ApiResult<Option<UsedIp>> {
    let row = used_ip::ActiveModel {
        uuid: Set(new_uuid()),
        l3_network_uuid: Set(msg.l3_network_uuid.clone()),
        ip_range_uuid: Set(range.uuid.clone()),
        ip: Set(address.to_string()),
        netmask: Set(range.netmask.clone()),
        gateway: Set(range.gateway.clone()),
        owner_uuid: Set(msg.owner_uuid.clone()),
        create_date: Set(now()),
    };
    match row.insert(&node.db).await {
        Ok(u) => Ok(Some(UsedIp {
            uuid: u.uuid,
            l3_network_uuid: u.l3_network_uuid,
            ip_range_uuid: u.ip_range_uuid,
            ip: u.ip,
            netmask: u.netmask,
            gateway: u.gateway,
        })),
        Err(e) => match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Ok(None),
            _ => Err(e.into()),
        },
    }
}

pub async fn release(
    node: NodeContext,
    msg: ReleaseIpsMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    if !msg.owner_uuids.is_empty() {
        used_ip::Entity::delete_many()
            .filter(used_ip::Column::OwnerUuid.is_in(msg.owner_uuids))
            .exec(&node.db)
            .await?;
    }
    Ok(EmptyReply {})
}
