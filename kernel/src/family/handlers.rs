//! The handlers every family shares, generic over its [`ResourceTable`]: a family registers
//! them as they are (`.api(handlers::update::<Cluster, APIUpdateClusterMsg>)`) and writes its
//! own only where it differs.

use sea_orm::{ActiveModelTrait, IdenStatic, IntoActiveModel, Iterable};

use super::ResourceTable;
use crate::api::{ApiMessage, EmptyReply, InventoryReply};
use crate::cascade::CascadeRequest;
use crate::error::{ApiError, ApiResult};
use crate::message::{Message, MsgContext};
use crate::node::NodeContext;
use crate::resource::{children, enable_disable, find, set_state};

/// An update of a resource's name and description.
pub trait Update: ApiMessage {
    fn target(&self) -> &str;
    fn into_changes(self) -> (Option<String>, Option<String>);
}

/// A change-state API (`enable`, `disable`).
pub trait ChangeState: ApiMessage {
    fn target(&self) -> &str;
    fn event(&self) -> &str;
}

/// A reconnect API (storage, hosts): the resource's `status` goes Connecting, then Connected.
pub trait Reconnect: ApiMessage {
    fn target(&self) -> &str;
}

/// A delete API with its `deleteMode`.
pub trait Delete: ApiMessage {
    fn target(&self) -> &str;
    fn mode(&self) -> Option<&str>;
}

/// An internal message asking for one resource's inventory (`GetClusterMsg`).
pub trait Get: Message {
    fn target(&self) -> &str;
}

pub async fn update<T, M>(
    node: NodeContext,
    msg: M,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<T::Reply>>
where
    T: ResourceTable,
    M: Update,
{
    let uuid = msg.target().to_string();
    let (name, description) = msg.into_changes();
    let mut active = find::<T, _>(&node.db, T::QUERY, &uuid)
        .await?
        .into_active_model();
    if let Some(name) = name {
        active.set(column::<T>("name")?, name.into());
    }
    if let Some(description) = description {
        active.set(column::<T>("description")?, Some(description).into());
    }
    active.set(column::<T>("last_op_date")?, crate::time::now().into());
    let model = active.update(&node.db).await?;
    Ok(T::reply(&node, model).await?.into())
}

pub async fn change_state<T, M>(
    node: NodeContext,
    msg: M,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<T::Reply>>
where
    T: ResourceTable,
    M: ChangeState,
{
    let state = enable_disable(msg.event())?;
    let model = set_state::<T>(&node.db, T::QUERY, msg.target(), state).await?;
    Ok(T::reply(&node, model).await?.into())
}

/// Reconnects a simulated resource: it answers at once, so Connecting is passed through.
pub async fn reconnect<T, M>(
    node: NodeContext,
    msg: M,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<T::Reply>>
where
    T: ResourceTable,
    M: Reconnect,
{
    let status = column::<T>("status")?;
    let found = find::<T, _>(&node.db, T::QUERY, msg.target()).await?;
    crate::simulator::reconnecting(&node, T::OF, msg.target()).await?;
    let mut active = found.into_active_model();
    active.set(status, "Connecting".into());
    let mut active = active.update(&node.db).await?.into_active_model();
    active.set(status, "Connected".into());
    active.set(column::<T>("last_op_date")?, crate::time::now().into());
    let model = active.update(&node.db).await?;
    Ok(T::reply(&node, model).await?.into())
}

pub async fn delete<T, M>(node: NodeContext, msg: M, ctx: MsgContext) -> ApiResult<EmptyReply>
where
    T: ResourceTable,
    M: Delete,
{
    let uuid = msg.target().to_string();
    if crate::cascade::DeleteMode::parse(msg.mode())? == crate::cascade::DeleteMode::Permissive {
        T::refuse(&node, vec![uuid.clone()]).await?;
    }
    let reply = node
        .delete_one(&ctx, T::OF, uuid.clone(), msg.mode(), |uuids| {
            T::remove(&node, uuids)
        })
        .await?;
    tracing::info!(resource = T::OF.vo_name, %uuid, mode = ?msg.mode(), "deleted");
    Ok(reply)
}

pub async fn get<T, M>(node: NodeContext, msg: M, _ctx: MsgContext) -> ApiResult<T::Inventory>
where
    T: ResourceTable,
    M: Get,
{
    Ok(find::<T, _>(&node.db, T::QUERY, msg.target()).await?.into())
}

/// Parents of one of the declared types are going: these resources go first (their own
/// dependents before them).
pub async fn parent_gone<T: ResourceTable>(
    node: NodeContext,
    req: CascadeRequest,
) -> ApiResult<()> {
    let Some((_, column)) = T::PARENT_COLUMNS
        .iter()
        .find(|(parent, _)| *parent == req.parent_type)
    else {
        return Ok(());
    };
    let uuids = children(&node.db, T::OF, column, &req.parent_uuids).await?;
    if req.asks_refusals() {
        T::refuse(&node, uuids.clone()).await?;
    }
    node.cascade_to(T::OF.vo_name, uuids, &req, |uuids| T::remove(&node, uuids))
        .await
}

fn column<T: ResourceTable>(name: &str) -> ApiResult<T::Column> {
    T::Column::iter()
        .find(|c| c.as_str() == name)
        .ok_or_else(|| ApiError::Internal(format!("{} has no column [{name}]", T::QUERY)).into())
}
