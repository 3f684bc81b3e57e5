//! What each cluster API does.

use sea_orm::ActiveValue::Set;
use zstack_header::cluster::{ClusterInventory, GetClusterMsg};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{
    children, create_resource, delete_rows, enable_disable, find, set_state,
};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, CLUSTER, Entity as Cluster};
use crate::messages::{
    APIChangeClusterStateMsg, APICreateClusterMsg, APIDeleteClusterMsg, APIUpdateClusterMsg,
};

pub async fn create(
    node: NodeContext,
    msg: APICreateClusterMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ClusterInventory>> {
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        state: Set("Enabled".into()),
        hypervisor_type: Set(msg.hypervisor_type),
        r#type: Set(msg.r#type.unwrap_or_else(|| "zstack".into())),
        zone_uuid: Set(msg.zone_uuid),
        architecture: Set(msg.architecture),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let cluster = create_resource(&node, &node.db, &ctx, CLUSTER, &uuid, row).await?;
    Ok(ClusterInventory::from(cluster).into())
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<ClusterInventory>> {
    let cluster = find::<Cluster, _>(&node.db, "cluster", &msg.uuid).await?;
    let mut active: ActiveModel = cluster.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    active.last_op_date = Set(now());
    let cluster = sea_orm::ActiveModelTrait::update(active, &node.db).await?;
    Ok(ClusterInventory::from(cluster).into())
}

pub async fn change_state(
    node: NodeContext,
    msg: APIChangeClusterStateMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<ClusterInventory>> {
    let cluster = set_state::<Cluster>(
        &node.db,
        "cluster",
        &msg.uuid,
        enable_disable(&msg.state_event)?,
    )
    .await?;
    Ok(ClusterInventory::from(cluster).into())
}

/// Deletes clusters after their children (hosts, and what other families attach to them).
async fn remove_rows(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    delete_rows(&node.db, CLUSTER, &uuids).await
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteClusterMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let mode = msg.delete_mode.as_deref();
    node.delete_one(&ctx, CLUSTER, msg.uuid, mode, |uuids| {
        remove_rows(&node, uuids)
    })
    .await
}

pub async fn get(
    node: NodeContext,
    msg: GetClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<ClusterInventory> {
    Ok(find::<Cluster, _>(&node.db, "cluster", &msg.uuid)
        .await?
        .into())
}

/// Clusters go when their zone goes.
pub struct ClusterCascade;

impl CascadeFamily for ClusterCascade {
    const MESSAGE: &'static str = "ClusterCascadeMsg";
    const PARENTS: &'static [&'static str] = &["ZoneVO"];
}

pub async fn parent_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    let uuids = children(&node.db, CLUSTER, "zone_uuid", &req.parent_uuids).await?;
    node.cascade_to(CLUSTER.vo_name, uuids, &req, |uuids| {
        remove_rows(&node, uuids)
    })
    .await
}
