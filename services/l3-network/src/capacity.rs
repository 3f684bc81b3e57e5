//! GetIpAddressCapacity: the addresses of the ranges of the given zones, L3 networks and IP
//! ranges (their union), or of every range with `all=true`, and how many are used.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{EntityTrait, QuerySelect};
use zstack_kernel::error::argerr;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Entity as L3Network, ip_range, used_ip};
use crate::messages::{APIGetIpAddressCapacityMsg, IpCapacity, IpCapacityData, IpCapacityReply};

/// One range: where it is, how many addresses it holds and how many are used.
struct RangeUse {
    uuid: String,
    l3: String,
    zone: String,
    ipv6: bool,
    total: i64,
    used: i64,
}

impl IpCapacity {
    fn add(&mut self, r: &RangeUse) {
        let free = (r.total - r.used).max(0);
        self.total_capacity += r.total;
        self.available_capacity += free;
        self.used_ip_address_number += r.used;
        if r.ipv6 {
            self.ipv6_total_capacity += r.total;
            self.ipv6_available_capacity += free;
            self.ipv6_used_ip_address_number += r.used;
        } else {
            self.ipv4_total_capacity += r.total;
            self.ipv4_available_capacity += free;
            self.ipv4_used_ip_address_number += r.used;
        }
    }

    fn of<'a>(ranges: impl Iterator<Item = &'a RangeUse>) -> Self {
        let mut c = IpCapacity::default();
        ranges.for_each(|r| c.add(r));
        c
    }
}

fn size(range: &ip_range::Model) -> i64 {
    let parse = |s: &str| s.parse::<std::net::IpAddr>().ok();
    match (parse(&range.start_ip), parse(&range.end_ip)) {
        (Some(std::net::IpAddr::V4(a)), Some(std::net::IpAddr::V4(b))) => {
            (i64::from(u32::from(b)) - i64::from(u32::from(a)) + 1).max(0)
        }
        (Some(std::net::IpAddr::V6(a)), Some(std::net::IpAddr::V6(b))) => {
            let n = u128::from(b)
                .saturating_sub(u128::from(a))
                .saturating_add(1);
            i64::try_from(n).unwrap_or(i64::MAX)
        }
        _ => 0,
    }
}

pub async fn get_ip_capacity(
    node: NodeContext,
    msg: APIGetIpAddressCapacityMsg,
    _ctx: MsgContext,
) -> ApiResult<IpCapacityReply> {
    let all = msg.all.unwrap_or(false);
    let zones = msg.zone_uuids.unwrap_or_default();
    let l3s = msg.l3_network_uuids.unwrap_or_default();
    let ranges = msg.ip_range_uuids.unwrap_or_default();
    if !all && zones.is_empty() && l3s.is_empty() && ranges.is_empty() {
        return Err(argerr(
            "zoneUuids, l3NetworkUuids and ipRangeUuids cannot all be empty unless all is true",
        ));
    }
    let zone_of: HashMap<String, String> = L3Network::find()
        .all(&node.db)
        .await?
        .into_iter()
        .map(|l3| (l3.uuid, l3.zone_uuid))
        .collect();
    let used: HashMap<String, i64> = used_ip::Entity::find()
        .select_only()
        .column(used_ip::Column::IpRangeUuid)
        .expr_as(
            Func::cast_as(Func::count(Expr::col(used_ip::Column::Uuid)), "BIGINT"),
            "n",
        )
        .group_by(used_ip::Column::IpRangeUuid)
        .into_tuple::<(String, i64)>()
        .all(&node.db)
        .await?
        .into_iter()
        .collect();
    let uses: Vec<RangeUse> = ip_range::Entity::find()
        .all(&node.db)
        .await?
        .into_iter()
        .map(|r| RangeUse {
            zone: zone_of.get(&r.l3_network_uuid).cloned().unwrap_or_default(),
            total: size(&r),
            used: used.get(&r.uuid).copied().unwrap_or(0),
            ipv6: r.ip_version == 6,
            l3: r.l3_network_uuid,
            uuid: r.uuid,
        })
        .collect();
    let asked = |r: &&RangeUse| {
        all || zones.contains(&r.zone) || l3s.contains(&r.l3) || ranges.contains(&r.uuid)
    };
    let whole = IpCapacity::of(uses.iter().filter(asked));
    let mut capacity_data = Vec::new();
    for (uuids, pick) in [
        (&zones, (|r: &RangeUse| &r.zone) as fn(&RangeUse) -> &String),
        (&l3s, |r: &RangeUse| &r.l3),
        (&ranges, |r: &RangeUse| &r.uuid),
    ] {
        for uuid in uuids {
            capacity_data.push(IpCapacityData {
                resource_uuid: uuid.clone(),
                capacity: IpCapacity::of(uses.iter().filter(|r| pick(r) == uuid)),
            });
        }
    }
    // The most specific kind asked names the entries, as ZStack answers.
    let resource_type = [
        (&ranges, "IpRangeVO"),
        (&l3s, "L3NetworkVO"),
        (&zones, "ZoneVO"),
    ]
    .into_iter()
    .find(|(u, _)| !u.is_empty())
    .map(|(_, kind)| kind.to_string());
    Ok(IpCapacityReply {
        whole,
        resource_type,
        capacity_data,
    })
}
