//! Attaching data volumes to VMs and detaching them (ZStack's VolumeBase and VmInstanceBase):
//! the API checks the volume, then asks the VM, in the VM's queue, which checks its own state
//! and has the volume bound here: instantiated on storage the VM reaches if it was not yet,
//! refused if it is on storage the VM cannot reach, given the next free device id.

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::primary_storage::ListPrimaryStorageCandidatesMsg;
use zstack_header::vm_instance::AttachDataVolumeToVmMsg;
use zstack_header::volume::{BindVolumeToVmMsg, UnbindVolumeFromVmMsg, VolumeSummary};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::error::operr;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::data::detach_from_vm;
use crate::entity::{Column, Entity as Volume, LOCAL_HOST, Model};
use crate::handlers::{
    DATA, DELETED, NOT_INSTANTIATED, READY, install_path, load, local_host, place, storage,
    summary, wrong_type,
};
use crate::messages::{APIAttachDataVolumeToVmMsg, APIDetachDataVolumeFromVmMsg};

/// Refuses a volume that cannot be attached, as ZStack words it.
fn attachable(volume: &Model) -> ApiResult<()> {
    let refusal = if volume.r#type != DATA {
        format!(
            "the volume[uuid:{}, name:{}] is Root Volume, can't attach it",
            volume.uuid, volume.name
        )
    } else if volume.state == "Disabled" {
        format!(
            "data volume[uuid:{}] is Disabled, can't attach",
            volume.uuid
        )
    } else if volume.status == DELETED {
        format!(
            "the volume[uuid:{}] is in status of deleted, cannot do the operation",
            volume.uuid
        )
    } else if volume.vm_instance_uuid.is_some() {
        format!(
            "data volume[uuid:{}] has been attached to some vm, can't attach again",
            volume.uuid
        )
    } else if volume.status != READY && volume.status != NOT_INSTANTIATED {
        format!(
            "data volume can only be attached when status is [{READY}, {NOT_INSTANTIATED}], current is {}",
            volume.status
        )
    } else {
        return Ok(());
    };
    Err(operr(refusal))
}

pub async fn attach(
    node: NodeContext,
    msg: APIAttachDataVolumeToVmMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let volume = load(&node, &msg.volume_uuid).await?;
    attachable(&volume)?;
    node.bus
        .call(AttachDataVolumeToVmMsg {
            vm_instance_uuid: msg.vm_instance_uuid,
            volume_uuid: volume.uuid.clone(),
        })
        .await?;
    Ok(load(&node, &volume.uuid).await?.into())
}

pub async fn detach(
    node: NodeContext,
    msg: APIDetachDataVolumeFromVmMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let volume = load(&node, &msg.uuid).await?;
    if volume.r#type != DATA {
        return Err(wrong_type(&volume, "detach it"));
    }
    let Some(vm) = &volume.vm_instance_uuid else {
        return Err(operr(format!(
            "data volume[uuid:{}] is not attached to any vm, can't detach",
            volume.uuid
        )));
    };
    if let Some(asked) = &msg.vm_uuid
        && asked != vm
    {
        return Err(operr(format!(
            "data volume[uuid:{}] is attached to vm[uuid:{vm}], not to vm[uuid:{asked}]",
            volume.uuid
        )));
    }
    detach_from_vm(&node, &volume).await?;
    Ok(load(&node, &volume.uuid).await?.into())
}

/// Puts a NotInstantiated volume on the first primary storage of the VM's cluster with room
/// (on local storage, the disks of the VM's host).
async fn instantiate(
    node: &NodeContext,
    volume: Model,
    cluster: &str,
    host: &str,
) -> ApiResult<Model> {
    let candidates = node
        .bus
        .call(ListPrimaryStorageCandidatesMsg {
            cluster_uuids: vec![cluster.to_string()],
            primary_storage_uuid: None,
            size: volume.size,
        })
        .await?;
    let mut placed = None;
    for candidate in candidates {
        let ps = storage(node, &candidate.uuid).await?;
        match place(node, &ps, volume.size, Some(host)).await {
            Ok(p) => {
                placed = Some(p);
                break;
            }
            Err(e) => {
                tracing::info!(volume = %volume.uuid, primary_storage = %ps.uuid, error = %e,
                    "primary storage cannot take the volume, trying the next");
            }
        }
    }
    let Some(placed) = placed else {
        return Err(operr(format!(
            "no primary storage attached to cluster[uuid:{cluster}] has {} bytes available for volume[uuid:{}]",
            volume.size, volume.uuid
        )));
    };
    // Only a NotInstantiated volume is placed, so racing instantiations take storage once.
    let done = Volume::update_many()
        .col_expr(
            Column::PrimaryStorageUuid,
            Expr::value(Some(placed.primary_storage_uuid.clone())),
        )
        .col_expr(
            Column::InstallPath,
            Expr::value(Some(install_path(
                &placed.primary_storage_uuid,
                &volume.uuid,
                &volume.format,
            ))),
        )
        .col_expr(Column::Status, Expr::value(READY))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(volume.uuid.clone()))
        .filter(Column::Status.eq(NOT_INSTANTIATED))
        .exec(&node.db)
        .await?;
    if done.rows_affected != 1 {
        placed.undo(node).await;
        return Err(operr(format!(
            "volume[uuid:{}] changed while it was being instantiated",
            volume.uuid
        )));
    }
    if let Some(host) = &placed.host_uuid {
        LOCAL_HOST.attach(&node.db, &volume.uuid, host).await?;
    }
    load(node, &volume.uuid).await
}

/// Refuses a volume on primary storage that the VM's cluster (or, for local storage, its host)
/// cannot reach.
async fn reachable(node: &NodeContext, volume: &Model, cluster: &str, host: &str) -> ApiResult<()> {
    let Some(ps) = &volume.primary_storage_uuid else {
        return Ok(());
    };
    let ps = storage(node, ps).await?;
    if !ps.cluster_uuids.iter().any(|c| c == cluster) {
        return Err(operr(format!(
            "Can't attach volume to VM, no qualified cluster: volume[uuid:{}] is on primary storage[uuid:{}], which is not attached to the VM's cluster[uuid:{cluster}]",
            volume.uuid, ps.uuid
        )));
    }
    if ps.is_local()
        && let Some(on) = local_host(node, &volume.uuid).await?
        && on != host
    {
        return Err(operr(format!(
            "Can't attach volume to VM: volume[uuid:{}] is on the local primary storage[uuid:{}] of host[uuid:{on}], the VM is on host[uuid:{host}]",
            volume.uuid, ps.uuid
        )));
    }
    Ok(())
}

/// The smallest device id none of the VM's volumes has (the root volume has 0).
async fn next_device_id(node: &NodeContext, vm: &str) -> ApiResult<i64> {
    let taken: BTreeSet<i64> = Volume::find()
        .filter(Column::VmInstanceUuid.eq(vm))
        .all(&node.db)
        .await?
        .into_iter()
        .filter_map(|v| v.device_id)
        .collect();
    Ok((0..).find(|id| !taken.contains(id)).unwrap_or(0))
}

pub async fn bind(
    node: NodeContext,
    msg: BindVolumeToVmMsg,
    _ctx: MsgContext,
) -> ApiResult<VolumeSummary> {
    let mut volume = load(&node, &msg.volume_uuid).await?;
    attachable(&volume)?;
    if volume.status == NOT_INSTANTIATED {
        volume = instantiate(&node, volume, &msg.cluster_uuid, &msg.host_uuid).await?;
    } else {
        reachable(&node, &volume, &msg.cluster_uuid, &msg.host_uuid).await?;
    }
    let device_id = next_device_id(&node, &msg.vm_instance_uuid).await?;
    // Only a volume still detached, Enabled and Ready is attached: a racing attach of the same
    // volume to another VM finds it taken.
    let done = Volume::update_many()
        .col_expr(
            Column::VmInstanceUuid,
            Expr::value(Some(msg.vm_instance_uuid.clone())),
        )
        .col_expr(Column::DeviceId, Expr::value(Some(device_id)))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(volume.uuid.clone()))
        .filter(Column::VmInstanceUuid.is_null())
        .filter(Column::State.eq("Enabled"))
        .filter(Column::Status.eq(READY))
        .exec(&node.db)
        .await?;
    if done.rows_affected != 1 {
        attachable(&load(&node, &volume.uuid).await?)?;
        return Err(operr(format!(
            "data volume[uuid:{}] changed while it was being attached",
            volume.uuid
        )));
    }
    summary(&node, load(&node, &volume.uuid).await?).await
}

pub async fn unbind(
    node: NodeContext,
    msg: UnbindVolumeFromVmMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    Volume::update_many()
        .col_expr(Column::VmInstanceUuid, Expr::value(Option::<String>::None))
        .col_expr(Column::DeviceId, Expr::value(Option::<i64>::None))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(msg.volume_uuid))
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid))
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}
