//! What each L2 network API does.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::cluster::GetClusterMsg;
use zstack_header::l2_network::L2NetworkInventory;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::error::operr;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, CLUSTERS, Column, Entity as L2Network, L2_NETWORK, Model, NO_VLAN, VLAN,
};
use crate::messages::{
    APIAttachL2NetworkToClusterMsg, APICreateL2NoVlanNetworkMsg, APICreateL2VlanNetworkMsg,
    APIDetachL2NetworkFromClusterMsg,
};

const WHAT: &str = "L2 network";

/// The network with the clusters it is attached to.
pub async fn inventory(node: &NodeContext, network: Model) -> ApiResult<L2NetworkInventory> {
    let attached_cluster_uuids = CLUSTERS.linked(&node.db, &network.uuid).await?;
    Ok(L2NetworkInventory {
        network: network.into(),
        attached_cluster_uuids,
    })
}

/// Creates the network a create API describes (both carry the same fields), of `type`.
macro_rules! create {
    ($node:ident, $ctx:ident, $msg:ident, $type:expr, $vlan:expr) => {{
        let uuid = $msg.resource_uuid.unwrap_or_else(new_uuid);
        let at = now();
        let row = ActiveModel {
            uuid: Set(uuid.clone()),
            name: Set($msg.name),
            description: Set($msg.description),
            zone_uuid: Set($msg.zone_uuid),
            physical_interface: Set($msg.physical_interface),
            r#type: Set($type.into()),
            vlan: Set($vlan),
            create_date: Set(at),
            last_op_date: Set(at),
        };
        let network = create_resource(&$node, &$node.db, &$ctx, L2_NETWORK, &uuid, row).await?;
        Ok(inventory(&$node, network).await?.into())
    }};
}

pub async fn create_no_vlan(
    node: NodeContext,
    msg: APICreateL2NoVlanNetworkMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<L2NetworkInventory>> {
    create!(node, ctx, msg, NO_VLAN, None)
}

pub async fn create_vlan(
    node: NodeContext,
    msg: APICreateL2VlanNetworkMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<L2NetworkInventory>> {
    create!(node, ctx, msg, VLAN, Some(msg.vlan))
}

/// Another L2 network attached to `cluster_uuid` that uses the same wire as `network`: the
/// same interface without VLAN, or the same interface and VLAN.
async fn clash(
    node: &NodeContext,
    network: &Model,
    cluster_uuid: &str,
) -> ApiResult<Option<Model>> {
    let mut attached = CLUSTERS.linking(&node.db, cluster_uuid).await?;
    attached.retain(|uuid| *uuid != network.uuid);
    if attached.is_empty() {
        return Ok(None);
    }
    let mut same_wire = L2Network::find()
        .filter(Column::Uuid.is_in(attached))
        .filter(Column::PhysicalInterface.eq(network.physical_interface.clone()))
        .filter(Column::Type.eq(network.r#type.clone()));
    if let Some(vlan) = network.vlan {
        same_wire = same_wire.filter(Column::Vlan.eq(vlan));
    }
    Ok(same_wire.one(&node.db).await?)
}

pub async fn attach_cluster(
    node: NodeContext,
    msg: APIAttachL2NetworkToClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L2NetworkInventory>> {
    let network = find::<L2Network, _>(&node.db, WHAT, &msg.l2_network_uuid).await?;
    let cluster = node
        .bus
        .call(GetClusterMsg {
            uuid: msg.cluster_uuid.clone(),
        })
        .await?;
    if cluster.zone_uuid != network.zone_uuid {
        return Err(operr(format!(
            "cannot attach l2Network[uuid:{}] to cluster[uuid:{}]: the cluster is in zone[uuid:{}], the L2 network in zone[uuid:{}]",
            network.uuid, cluster.uuid, cluster.zone_uuid, network.zone_uuid
        )));
    }
    if let Some(other) = clash(&node, &network, &cluster.uuid).await? {
        let wire = match network.vlan {
            Some(vlan) => format!(
                "physicalInterface[{}] and vlan[{vlan}]",
                network.physical_interface
            ),
            None => format!("physicalInterface[{}]", network.physical_interface),
        };
        return Err(operr(format!(
            "cannot attach l2Network[uuid:{}] to cluster[uuid:{}]: l2Network[uuid:{}, name:{}] with the same {wire} is already attached to it",
            network.uuid, cluster.uuid, other.uuid, other.name
        )));
    }
    CLUSTERS
        .attach(&node.db, &network.uuid, &cluster.uuid)
        .await?;
    Ok(inventory(&node, network).await?.into())
}

pub async fn detach_cluster(
    node: NodeContext,
    msg: APIDetachL2NetworkFromClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<L2NetworkInventory>> {
    let network = find::<L2Network, _>(&node.db, WHAT, &msg.l2_network_uuid).await?;
    CLUSTERS
        .detach(&node.db, &network.uuid, &msg.cluster_uuid)
        .await?;
    Ok(inventory(&node, network).await?.into())
}

/// Deletes L2 networks after their children (L3 networks), then their attachments.
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    CLUSTERS.forget_from(&node.db, &uuids).await?;
    delete_rows(&node.db, L2_NETWORK, &uuids).await
}

/// A cluster going takes its L2 attachments with it; the L2 networks stay.
pub struct L2ClusterRefCascade;

impl CascadeFamily for L2ClusterRefCascade {
    const MESSAGE: &'static str = "L2NetworkClusterRefCascadeMsg";
    const PARENTS: &'static [&'static str] = &["ClusterVO"];
}

pub async fn cluster_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    if req.check_only {
        return Ok(());
    }
    CLUSTERS.forget_to(&node.db, &req.parent_uuids).await?;
    Ok(())
}

/// The clusters an L2 network is attached to (`GetL2NetworkClustersMsg`).
pub async fn clusters(
    node: NodeContext,
    msg: zstack_header::l2_network::GetL2NetworkClustersMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<String>> {
    find::<crate::entity::Entity, _>(&node.db, "L2 network", &msg.uuid).await?;
    crate::entity::CLUSTERS.linked(&node.db, &msg.uuid).await
}
