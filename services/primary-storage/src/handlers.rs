//! What each primary storage API does. Storage is simulated: it connects at once and has the
//! capacity it was declared with.

use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use zstack_header::cluster::GetClusterMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, enable_disable, find, set_state};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, CLUSTERS, Entity as PrimaryStorage, Model, PRIMARY_STORAGE,
    PrimaryStorageInventory,
};
use crate::messages::{
    APIAddLocalPrimaryStorageMsg, APIAddNfsPrimaryStorageMsg, APIAttachPrimaryStorageToClusterMsg,
    APIChangePrimaryStorageStateMsg, APIDetachPrimaryStorageFromClusterMsg,
    APIUpdatePrimaryStorageMsg,
};

/// What the simulator declares when the caller gives no capacity: 1 TiB.
pub const DEFAULT_CAPACITY: i64 = 1 << 40;

const WHAT: &str = "primary storage";

/// An NFS url is `host:/path`, as `mount` takes it.
fn check_nfs_url(url: &str) -> ApiResult<()> {
    let valid = match url.split_once(':') {
        Some((host, path)) => {
            !host.is_empty()
                && !host.contains(['/', ' '])
                && path.starts_with('/')
                && !path.contains(' ')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(argerr(format!(
            "the url[{url}] is not a valid NFS url; it must be host:/path, e.g. 192.168.0.1:/nfs/share"
        )))
    }
}

struct NewStorage {
    uuid: Option<String>,
    zone_uuid: String,
    name: String,
    description: Option<String>,
    url: String,
    r#type: &'static str,
    total_capacity: Option<i64>,
}

async fn add(node: &NodeContext, ctx: &MsgContext, new: NewStorage) -> ApiResult<Model> {
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let capacity = new.total_capacity.unwrap_or(DEFAULT_CAPACITY);
    let mount_path = if new.r#type == "NFS" {
        format!("/opt/zstack/nfsprimarystorage/prim-{uuid}")
    } else {
        new.url.clone()
    };
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        zone_uuid: Set(new.zone_uuid),
        name: Set(new.name),
        url: Set(new.url),
        description: Set(new.description),
        total_capacity: Set(capacity),
        available_capacity: Set(capacity),
        total_physical_capacity: Set(capacity),
        available_physical_capacity: Set(capacity),
        system_used_capacity: Set(0),
        r#type: Set(new.r#type.into()),
        state: Set("Enabled".into()),
        status: Set("Connected".into()),
        mount_path: Set(Some(mount_path)),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    create_resource(node, &node.db, ctx, PRIMARY_STORAGE, &uuid, row).await
}

/// The row with the clusters it is attached to.
pub async fn inventory(node: &NodeContext, storage: Model) -> ApiResult<PrimaryStorageInventory> {
    let attached_cluster_uuids = CLUSTERS.linked(&node.db, &storage.uuid).await?;
    Ok(PrimaryStorageInventory {
        storage,
        attached_cluster_uuids,
    })
}

/// The storage an add API describes (both carry the same fields), of type `type`.
macro_rules! new_storage {
    ($msg:ident, $type:literal) => {
        NewStorage {
            uuid: $msg.resource_uuid,
            zone_uuid: $msg.zone_uuid,
            name: $msg.name,
            description: $msg.description,
            url: $msg.url,
            r#type: $type,
            total_capacity: $msg.total_capacity,
        }
    };
}

pub async fn add_local(
    node: NodeContext,
    msg: APIAddLocalPrimaryStorageMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    let ps = add(&node, &ctx, new_storage!(msg, "LocalStorage")).await?;
    Ok(inventory(&node, ps).await?.into())
}

pub async fn add_nfs(
    node: NodeContext,
    msg: APIAddNfsPrimaryStorageMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    check_nfs_url(&msg.url)?;
    let ps = add(&node, &ctx, new_storage!(msg, "NFS")).await?;
    Ok(inventory(&node, ps).await?.into())
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdatePrimaryStorageMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    let ps = find::<PrimaryStorage, _>(&node.db, WHAT, &msg.uuid).await?;
    if let Some(url) = &msg.url
        && ps.r#type == "NFS"
    {
        check_nfs_url(url)?;
    }
    let mut active: ActiveModel = ps.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    if let Some(url) = msg.url {
        active.url = Set(url);
    }
    active.last_op_date = Set(now());
    Ok(inventory(&node, active.update(&node.db).await?)
        .await?
        .into())
}

pub async fn change_state(
    node: NodeContext,
    msg: APIChangePrimaryStorageStateMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    let state = match msg.state_event.as_str() {
        // The simulator has no volumes to stop, so maintenance is reached at once.
        "maintain" => "Maintenance",
        event => enable_disable(event)?,
    };
    let ps = set_state::<PrimaryStorage>(&node.db, WHAT, &msg.uuid, state).await?;
    Ok(inventory(&node, ps).await?.into())
}

pub async fn attach(
    node: NodeContext,
    msg: APIAttachPrimaryStorageToClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    let ps = find::<PrimaryStorage, _>(&node.db, WHAT, &msg.primary_storage_uuid).await?;
    let cluster = node
        .bus
        .call(GetClusterMsg {
            uuid: msg.cluster_uuid.clone(),
        })
        .await?;
    if cluster.zone_uuid != ps.zone_uuid {
        return Err(operr(format!(
            "cannot attach primary storage[uuid:{}] to cluster[uuid:{}]: the cluster is in zone[uuid:{}], the primary storage in zone[uuid:{}]",
            ps.uuid, cluster.uuid, cluster.zone_uuid, ps.zone_uuid
        )));
    }
    CLUSTERS.attach(&node.db, &ps.uuid, &cluster.uuid).await?;
    Ok(inventory(&node, ps).await?.into())
}

pub async fn detach(
    node: NodeContext,
    msg: APIDetachPrimaryStorageFromClusterMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<PrimaryStorageInventory>> {
    let ps = find::<PrimaryStorage, _>(&node.db, WHAT, &msg.primary_storage_uuid).await?;
    CLUSTERS
        .detach(&node.db, &ps.uuid, &msg.cluster_uuid)
        .await?;
    Ok(inventory(&node, ps).await?.into())
}

/// Deletes primary storage after its children, detaching it from its clusters and dropping its
/// image cache first.
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    CLUSTERS.forget_from(&node.db, &uuids).await?;
    crate::image_cache::IMAGE_CACHE
        .forget_from(&node.db, &uuids)
        .await?;
    delete_rows(&node.db, PRIMARY_STORAGE, &uuids).await
}

/// A cluster's going only detaches its primary storage (the zone's going takes it, through the
/// declared cascade).
pub struct ClusterRefCascade;

impl CascadeFamily for ClusterRefCascade {
    const MESSAGE: &'static str = "PrimaryStorageClusterRefCascadeMsg";
    const PARENTS: &'static [&'static str] = &["ClusterVO"];
}

pub async fn cluster_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    if !req.check_only {
        CLUSTERS.forget_to(&node.db, &req.parent_uuids).await?;
    }
    Ok(())
}
