//! What each L3 network API does.

use std::collections::BTreeMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr,
};
use serde_json::Value;
use zstack_header::l2_network::GetL2NetworkMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, delete_where, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, Entity as L3Network, IP_RANGE, L3_NETWORK, L3NetworkInventory, Model,
    NetworkServiceRef, dns, ip_range, service_ref,
};
use crate::ip;
use crate::messages::{
    APIAddDnsToL3NetworkMsg, APIAddIpRangeByNetworkCidrMsg, APIAddIpRangeMsg,
    APIAttachNetworkServiceToL3NetworkMsg, APICreateL3NetworkMsg,
    APIDetachNetworkServiceFromL3NetworkMsg, APIRemoveDnsFromL3NetworkMsg, APIUpdateL3NetworkMsg,
    SERVICE_TYPES,
};

const WHAT: &str = "L3 network";

/// The network with its DNS servers, IP ranges and network services.
pub async fn inventory(node: &NodeContext, network: Model) -> ApiResult<L3NetworkInventory> {
    let uuid = network.uuid.clone();
    let dns = dns::Entity::find()
        .filter(dns::Column::L3NetworkUuid.eq(uuid.clone()))
        .order_by_asc(dns::Column::Id)
        .all(&node.db)
        .await?
        .into_iter()
        .map(|d| d.dns)
        .collect();
    let ip_ranges = ip_range::Entity::find()
        .filter(ip_range::Column::L3NetworkUuid.eq(uuid.clone()))
        .order_by_asc(ip_range::Column::CreateDate)
        .all(&node.db)
        .await?;
    let network_services = service_ref::Entity::find()
        .filter(service_ref::Column::L3NetworkUuid.eq(uuid))
        .order_by_asc(service_ref::Column::NetworkServiceProviderUuid)
        .order_by_asc(service_ref::Column::NetworkServiceType)
        .all(&node.db)
        .await?
        .into_iter()
        .map(|s| NetworkServiceRef {
            l3_network_uuid: s.l3_network_uuid,
            network_service_provider_uuid: s.network_service_provider_uuid,
            network_service_type: s.network_service_type,
        })
        .collect();
    Ok(L3NetworkInventory {
        network,
        dns,
        ip_ranges,
        network_services,
    })
}

async fn reply(node: &NodeContext, uuid: &str) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, uuid).await?;
    Ok(inventory(node, network).await?.into())
}

pub async fn create(
    node: NodeContext,
    msg: APICreateL3NetworkMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let l2 = node
        .bus
        .call(GetL2NetworkMsg {
            uuid: msg.l2_network_uuid.clone(),
        })
        .await?;
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        r#type: Set(msg.r#type.unwrap_or_else(|| "L3BasicNetwork".into())),
        zone_uuid: Set(l2.zone_uuid),
        l2_network_uuid: Set(l2.uuid),
        state: Set("Enabled".into()),
        system: Set(msg.system.unwrap_or(false)),
        category: Set(msg.category.unwrap_or_else(|| "Private".into())),
        dns_domain: Set(msg.dns_domain),
        ip_version: Set(msg.ip_version.unwrap_or(4)),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let network = create_resource(&node, &node.db, &ctx, L3_NETWORK, &uuid, row).await?;
    Ok(inventory(&node, network).await?.into())
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &msg.uuid).await?;
    let mut active: ActiveModel = network.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    if let Some(dns_domain) = msg.dns_domain {
        active.dns_domain = Set(Some(dns_domain));
    }
    if let Some(category) = msg.category {
        active.category = Set(category);
    }
    if let Some(system) = msg.system {
        active.system = Set(system);
    }
    active.last_op_date = Set(now());
    let network = active.update(&node.db).await?;
    Ok(inventory(&node, network).await?.into())
}

/// Deletes L3 networks after their children: other families' first, then their own IP
/// ranges, DNS servers and network services.
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    for table in [
        "ip_range",
        "l3_network_dns",
        "network_service_l3_network_ref",
    ] {
        delete_where(&node.db, table, "l3_network_uuid", &uuids).await?;
    }
    delete_rows(&node.db, L3_NETWORK, &uuids).await
}

/// Stores a checked range after making sure it shares no address with the L3's other ranges.
async fn store_range(
    node: &NodeContext,
    ctx: &MsgContext,
    l3_network_uuid: String,
    name: String,
    description: Option<String>,
    resource_uuid: Option<String>,
    range: ip::Range,
) -> ApiResult<InventoryReply<ip_range::Model>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &l3_network_uuid).await?;
    let others = ip_range::Entity::find()
        .filter(ip_range::Column::L3NetworkUuid.eq(network.uuid.clone()))
        .all(&node.db)
        .await?;
    for other in others {
        let (Ok(start), Ok(end)) = (
            ip::parse("startIp", &other.start_ip),
            ip::parse("endIp", &other.end_ip),
        ) else {
            continue;
        };
        if ip::overlap((range.start, range.end), (start, end)) {
            return Err(argerr(format!(
                "the range [{} - {}] overlaps ipRange[uuid:{}, name:{}] [{} - {}] of l3Network[uuid:{}]",
                range.start,
                range.end,
                other.uuid,
                other.name,
                other.start_ip,
                other.end_ip,
                network.uuid
            )));
        }
    }
    let uuid = resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ip_range::ActiveModel {
        uuid: Set(uuid.clone()),
        l3_network_uuid: Set(network.uuid),
        name: Set(name),
        description: Set(description),
        start_ip: Set(range.start.to_string()),
        end_ip: Set(range.end.to_string()),
        netmask: Set(range.netmask.to_string()),
        gateway: Set(range.gateway.to_string()),
        network_cidr: Set(range.cidr()),
        ip_version: Set(4),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    Ok(create_resource(node, &node.db, ctx, IP_RANGE, &uuid, row)
        .await?
        .into())
}

pub async fn add_ip_range(
    node: NodeContext,
    msg: APIAddIpRangeMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ip_range::Model>> {
    let range = ip::check(
        &msg.start_ip,
        &msg.end_ip,
        &msg.netmask,
        msg.gateway.as_deref(),
    )?;
    store_range(
        &node,
        &ctx,
        msg.l3_network_uuid,
        msg.name,
        msg.description,
        msg.resource_uuid,
        range,
    )
    .await
}

pub async fn add_ip_range_by_cidr(
    node: NodeContext,
    msg: APIAddIpRangeByNetworkCidrMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ip_range::Model>> {
    let range = ip::from_cidr(&msg.network_cidr, msg.gateway.as_deref())?;
    store_range(
        &node,
        &ctx,
        msg.l3_network_uuid,
        msg.name,
        msg.description,
        msg.resource_uuid,
        range,
    )
    .await
}

pub async fn add_dns(
    node: NodeContext,
    msg: APIAddDnsToL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &msg.l3_network_uuid).await?;
    let server = ip::parse("dns", &msg.dns)?.to_string();
    let taken = || {
        argerr(format!(
            "dns[{server}] is already on l3Network[uuid:{}]",
            network.uuid
        ))
    };
    if dns::Entity::find()
        .filter(dns::Column::L3NetworkUuid.eq(network.uuid.clone()))
        .filter(dns::Column::Dns.eq(server.clone()))
        .one(&node.db)
        .await?
        .is_some()
    {
        return Err(taken());
    }
    let row = dns::ActiveModel {
        l3_network_uuid: Set(network.uuid.clone()),
        dns: Set(server.clone()),
        create_date: Set(now()),
        ..Default::default()
    };
    row.insert(&node.db).await.map_err(|e| match e.sql_err() {
        // Racing adds of one server: the unique index decides.
        Some(SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => e.into(),
    })?;
    Ok(inventory(&node, network).await?.into())
}

pub async fn remove_dns(
    node: NodeContext,
    msg: APIRemoveDnsFromL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &msg.l3_network_uuid).await?;
    // Removing a server the network does not have leaves it as wanted: no error, as deletes go.
    dns::Entity::delete_many()
        .filter(dns::Column::L3NetworkUuid.eq(network.uuid.clone()))
        .filter(dns::Column::Dns.eq(msg.dns))
        .exec(&node.db)
        .await?;
    Ok(inventory(&node, network).await?.into())
}

/// Reads `{"<provider uuid>": ["DHCP", ...]}` (or its JSON text, as a query string carries it).
fn services_map(value: Value) -> Result<BTreeMap<String, Vec<String>>, ErrorCode> {
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).map_err(|_| {
            argerr(format!(
                "networkServices[{text}] must be a JSON object of provider uuid to a list of service types"
            ))
        })?,
        other => other,
    };
    let map: BTreeMap<String, Vec<String>> = serde_json::from_value(value).map_err(|e| {
        argerr(format!(
            "networkServices must be an object of provider uuid to a list of service types: {e}"
        ))
    })?;
    if map.is_empty() || map.values().all(Vec::is_empty) {
        return Err(argerr("networkServices names no service"));
    }
    for types in map.values() {
        if let Some(unknown) = types.iter().find(|t| !SERVICE_TYPES.contains(&t.as_str())) {
            return Err(argerr(format!(
                "unknown network service type [{unknown}]; valid types are {SERVICE_TYPES:?}"
            )));
        }
    }
    Ok(map)
}

pub async fn attach_services(
    node: NodeContext,
    msg: APIAttachNetworkServiceToL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &msg.l3_network_uuid).await?;
    let wanted = services_map(msg.network_services)?;
    let present = service_ref::Entity::find()
        .filter(service_ref::Column::L3NetworkUuid.eq(network.uuid.clone()))
        .all(&node.db)
        .await?;
    // One provider per service type on a network, as in ZStack.
    for (provider, types) in &wanted {
        for t in types {
            if let Some(other) = present.iter().find(|p| {
                &p.network_service_type == t && &p.network_service_provider_uuid != provider
            }) {
                return Err(operr(format!(
                    "l3Network[uuid:{}] already has service [{t}] from provider[{}]; detach it first",
                    network.uuid, other.network_service_provider_uuid
                )));
            }
        }
    }
    for (provider, types) in wanted {
        for t in types {
            let known = present.iter().any(|p| {
                p.network_service_type == t && p.network_service_provider_uuid == provider
            });
            if known {
                continue;
            }
            let row = service_ref::ActiveModel {
                l3_network_uuid: Set(network.uuid.clone()),
                network_service_provider_uuid: Set(provider.clone()),
                network_service_type: Set(t),
            };
            row.insert(&node.db).await.map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    operr("the network service was attached meanwhile; retry")
                }
                _ => e.into(),
            })?;
        }
    }
    reply(&node, &network.uuid).await
}

pub async fn detach_services(
    node: NodeContext,
    msg: APIDetachNetworkServiceFromL3NetworkMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L3NetworkInventory>> {
    let network = find::<L3Network, _>(&node.db, WHAT, &msg.l3_network_uuid).await?;
    if msg.network_services.is_none() && msg.service.is_none() {
        return Err(argerr(
            "give networkServices (provider uuid to service types) or service (one service type)",
        ));
    }
    if let Some(services) = msg.network_services {
        for (provider, types) in services_map(services)? {
            service_ref::Entity::delete_many()
                .filter(service_ref::Column::L3NetworkUuid.eq(network.uuid.clone()))
                .filter(service_ref::Column::NetworkServiceProviderUuid.eq(provider))
                .filter(service_ref::Column::NetworkServiceType.is_in(types))
                .exec(&node.db)
                .await?;
        }
    }
    if let Some(service) = msg.service {
        service_ref::Entity::delete_many()
            .filter(service_ref::Column::L3NetworkUuid.eq(network.uuid.clone()))
            .filter(service_ref::Column::NetworkServiceType.eq(service))
            .exec(&node.db)
            .await?;
    }
    Ok(inventory(&node, network).await?.into())
}
