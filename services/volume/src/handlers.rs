//! What the volume messages of the contract (`zstack_header::volume`) do, and what the volume
//! APIs share: loading a volume, placing one on primary storage, writing and removing rows.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use zstack_header::host::ListHostCandidatesMsg;
use zstack_header::primary_storage::{
    AllocatePrimaryStorageCapacityMsg, GetPrimaryStorageMsg, PRIMARY_STORAGE,
    PrimaryStorageSummary, ReturnPrimaryStorageCapacityMsg,
};
use zstack_header::volume::{
    CreateVolumeMsg, ExpungeVolumesMsg, ListVmVolumesMsg, ReleaseVmVolumesMsg, VOLUME,
    VolumeSummary,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::cascade::DeleteMode;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::resource::{create_resource, delete_rows, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, simulator};

use crate::entity::{ActiveModel, Column, Entity as Volume, LOCAL_HOST, Model};

pub const WHAT: &str = "volume";

pub const ROOT: &str = "Root";
pub const DATA: &str = "Data";

pub const READY: &str = "Ready";
pub const NOT_INSTANTIATED: &str = "NotInstantiated";
pub const DELETED: &str = "Deleted";
pub const MIGRATING: &str = "Migrating";

/// The format of the volumes the simulator makes.
pub const FORMAT: &str = "qcow2";

pub async fn load(node: &NodeContext, uuid: &str) -> ApiResult<Model> {
    find::<Volume, _>(&node.db, WHAT, uuid).await
}

/// The host whose local storage holds volume `uuid`.
pub async fn local_host(node: &NodeContext, uuid: &str) -> ApiResult<Option<String>> {
    Ok(LOCAL_HOST.linked(&node.db, uuid).await?.into_iter().next())
}

pub async fn summary(node: &NodeContext, v: Model) -> ApiResult<VolumeSummary> {
    let host_uuid = local_host(node, &v.uuid).await?;
    Ok(VolumeSummary {
        uuid: v.uuid,
        r#type: v.r#type,
        primary_storage_uuid: v.primary_storage_uuid,
        vm_instance_uuid: v.vm_instance_uuid,
        device_id: v.device_id,
        size: v.size,
        state: v.state,
        status: v.status,
        host_uuid,
    })
}

/// Where a volume's bits go on its primary storage.
pub fn install_path(ps: &str, uuid: &str, format: &str) -> String {
    format!("/zstack_ps/{ps}/{uuid}.{format}")
}

pub async fn storage(node: &NodeContext, uuid: &str) -> ApiResult<PrimaryStorageSummary> {
    node.bus
        .call(GetPrimaryStorageMsg {
            uuid: uuid.to_string(),
        })
        .await
}

/// Where a volume was placed: its primary storage, which holds `size` bytes for it, and the
/// host whose disks hold it when that storage is local.
pub struct Placed {
    pub primary_storage_uuid: String,
    pub host_uuid: Option<String>,
    pub size: i64,
}

impl Placed {
    /// Gives the storage's bytes back (the volume will not be made after all); a failure is
    /// logged, the caller is failing already.
    pub async fn undo(self, node: &NodeContext) {
        let ps = self.primary_storage_uuid;
        if let Err(e) = give_back(node, &ps, self.size).await {
            tracing::error!(primary_storage = %ps, size = self.size, error = %e,
                "could not give primary storage capacity back");
        }
    }
}

/// Gives `size` bytes back to primary storage `ps`.
pub async fn give_back(node: &NodeContext, ps: &str, size: i64) -> ApiResult<()> {
    let give = ReturnPrimaryStorageCapacityMsg {
        primary_storage_uuid: ps.to_string(),
        size,
    };
    node.bus.call(give).await?;
    Ok(())
}

/// Takes `size` bytes of primary storage `ps` for a volume: the storage must be Enabled and
/// Connected, and answer (simulated); on local storage the volume goes to `host`, which must be
/// a Connected host of a cluster the storage is attached to.
pub async fn place(
    node: &NodeContext,
    ps: &PrimaryStorageSummary,
    size: i64,
    host: Option<&str>,
) -> ApiResult<Placed> {
    if ps.state != "Enabled" || ps.status != "Connected" {
        return Err(operr(format!(
            "primary storage[uuid:{}] is {} and {}; a volume needs Enabled and Connected primary storage",
            ps.uuid, ps.state, ps.status
        )));
    }
    let host_uuid = if ps.is_local() {
        let Some(host) = host else {
            return Err(argerr(format!(
                "To create volume on the local primary storage, you must specify the host that the volume is going to be created using the system tag [{LOCAL_HOST_TAG}]"
            )));
        };
        let hosts = node
            .bus
            .call(ListHostCandidatesMsg {
                cluster_uuids: ps.cluster_uuids.clone(),
                host_uuid: Some(host.to_string()),
                cpu_num: 0,
                memory_size: 0,
                limit: None,
            })
            .await?;
        if hosts.is_empty() {
            return Err(operr(format!(
                "host[uuid:{host}] is not an Enabled and Connected host of a cluster local primary storage[uuid:{}] is attached to",
                ps.uuid
            )));
        }
        Some(host.to_string())
    } else {
        None
    };
    simulator::operate(&node.db, PRIMARY_STORAGE, &ps.uuid).await?;
    node.bus
        .call(AllocatePrimaryStorageCapacityMsg {
            primary_storage_uuid: ps.uuid.clone(),
            size,
        })
        .await?;
    Ok(Placed {
        primary_storage_uuid: ps.uuid.clone(),
        host_uuid,
        size,
    })
}

/// `localStorage::hostUuid::{hostUuid}`: the host whose local storage a new data volume goes
/// to (ZStack's LocalStorageSystemTags.DEST_HOST_FOR_CREATING_DATA_VOLUME).
pub const LOCAL_HOST_TAG: &str = "localStorage::hostUuid::{hostUuid}";

/// A volume about to be written.
pub struct NewVolume {
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub r#type: &'static str,
    /// None: NotInstantiated.
    pub placed: Option<Placed>,
    pub vm_instance_uuid: Option<String>,
    pub root_image_uuid: Option<String>,
    pub disk_offering_uuid: Option<String>,
    pub format: String,
    pub size: i64,
    pub device_id: Option<i64>,
}

/// Writes a volume (its row, and its host on local storage) as a new resource of the API
/// `ctx` works for.
pub async fn insert(node: &NodeContext, ctx: &MsgContext, new: NewVolume) -> ApiResult<Model> {
    let at = now();
    let (ps, host) = match &new.placed {
        Some(p) => (Some(p.primary_storage_uuid.clone()), p.host_uuid.clone()),
        None => (None, None),
    };
    let row = ActiveModel {
        uuid: Set(new.uuid.clone()),
        name: Set(new.name),
        description: Set(new.description),
        install_path: Set(ps
            .as_deref()
            .map(|ps| install_path(ps, &new.uuid, &new.format))),
        status: Set(if ps.is_some() {
            READY
        } else {
            NOT_INSTANTIATED
        }
        .into()),
        primary_storage_uuid: Set(ps),
        vm_instance_uuid: Set(new.vm_instance_uuid),
        disk_offering_uuid: Set(new.disk_offering_uuid),
        root_image_uuid: Set(new.root_image_uuid),
        r#type: Set(new.r#type.into()),
        format: Set(new.format),
        size: Set(new.size),
        actual_size: Set(0),
        device_id: Set(new.device_id),
        state: Set("Enabled".into()),
        is_shareable: Set(false),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let txn = node.db.begin().await?;
    let volume = create_resource(node, &txn, ctx, VOLUME, &new.uuid, row).await?;
    if let Some(host) = host {
        LOCAL_HOST.attach(&txn, &volume.uuid, &host).await?;
    }
    txn.commit().await?;
    Ok(volume)
}

/// Removes volumes' rows and their hosts (what they held on storage is given back by the
/// caller).
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    LOCAL_HOST.forget_from(&node.db, &uuids).await?;
    delete_rows(&node.db, VOLUME, &uuids).await
}

/// Removes volumes for good: rows, uuids, and what depends on them (their owner records).
pub async fn expunge_rows(
    node: &NodeContext,
    ctx: &MsgContext,
    uuids: Vec<String>,
) -> ApiResult<()> {
    node.delete_resources(ctx, VOLUME.vo_name, uuids, DeleteMode::Enforcing, |uuids| {
        remove(node, uuids)
    })
    .await
}

/// Refuses an operation on a volume that is not in one of the statuses `allowed`.
pub fn in_status(volume: &Model, allowed: &[&str], doing: &str) -> ApiResult<()> {
    if allowed.contains(&volume.status.as_str()) {
        return Ok(());
    }
    if volume.status == DELETED {
        return Err(operr(format!(
            "the volume[uuid:{}] is in status of deleted, cannot do the operation",
            volume.uuid
        )));
    }
    Err(operr(format!(
        "volume[uuid:{}, name:{}] is {}; it can be {doing} only when it is {}",
        volume.uuid,
        volume.name,
        volume.status,
        allowed.join(" or ")
    )))
}

pub async fn create(
    node: NodeContext,
    msg: CreateVolumeMsg,
    ctx: MsgContext,
) -> ApiResult<VolumeSummary> {
    // The caller took the capacity; on local storage the volume lives on the VM's host.
    let ps = storage(&node, &msg.primary_storage_uuid).await?;
    let placed = Placed {
        host_uuid: msg.host_uuid.filter(|_| ps.is_local()),
        primary_storage_uuid: ps.uuid,
        size: msg.size,
    };
    let r#type = if msg.r#type == ROOT { ROOT } else { DATA };
    let new = NewVolume {
        uuid: msg.uuid,
        name: msg.name,
        description: None,
        r#type,
        placed: Some(placed),
        vm_instance_uuid: msg.vm_instance_uuid,
        root_image_uuid: msg.root_image_uuid,
        disk_offering_uuid: msg.disk_offering_uuid,
        format: msg.format,
        size: msg.size,
        device_id: msg.device_id,
    };
    let volume = insert(&node, &ctx, new).await?;
    summary(&node, volume).await
}

pub async fn of_vm(
    node: NodeContext,
    msg: ListVmVolumesMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<VolumeSummary>> {
    let volumes = Volume::find()
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid))
        .order_by_asc(Column::DeviceId)
        .all(&node.db)
        .await?;
    let mut out = Vec::with_capacity(volumes.len());
    for v in volumes {
        out.push(summary(&node, v).await?);
    }
    Ok(out)
}

pub async fn expunge(
    node: NodeContext,
    msg: ExpungeVolumesMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    expunge_rows(&node, &ctx, msg.uuids).await?;
    Ok(EmptyReply {})
}

/// Detaches a VM's data volumes (they stay, Ready on their storage); with `expunge_root`, its
/// root volume goes and gives its capacity back.
pub async fn release_vm_volumes(
    node: NodeContext,
    msg: ReleaseVmVolumesMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    Volume::update_many()
        .col_expr(Column::VmInstanceUuid, Expr::value(Option::<String>::None))
        .col_expr(Column::DeviceId, Expr::value(Option::<i64>::None))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid.clone()))
        .filter(Column::Type.eq(DATA))
        .exec(&node.db)
        .await?;
    if !msg.expunge_root {
        return Ok(EmptyReply {});
    }
    let roots = Volume::find()
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid))
        .all(&node.db)
        .await?;
    for root in &roots {
        if let Some(ps) = &root.primary_storage_uuid {
            give_back(&node, ps, root.size).await?;
        }
    }
    expunge_rows(&node, &ctx, roots.into_iter().map(|v| v.uuid).collect()).await?;
    Ok(EmptyReply {})
}

/// The error of an operation a volume's type does not allow.
pub fn wrong_type(volume: &Model, doing: &str) -> ErrorCode {
    operr(format!(
        "the volume[uuid:{}, name:{}, type:{}] can't {doing}",
        volume.uuid, volume.name, volume.r#type
    ))
}
