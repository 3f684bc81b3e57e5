//! What volumes do when the storage under them goes (ZStack's VolumeCascadeExtension, and local
//! storage losing a host): the data volumes on a primary storage that is deleted, or on the
//! local storage of a host that is deleted, are detached from their VMs and deleted for good.
//! Root volumes go with their VMs, through the VM family's cascade. Nothing here refuses a
//! Permissive delete: a VM using such a volume refuses it on its own side, and volumes no VM
//! uses go in either mode, as ZStack deletes them.
//!
//! Beside the cascade, the two messages other families ask about volumes by where they are:
//! which volumes are on a storage or a host's disks, and a migrated VM's local volumes moving
//! with it.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use zstack_header::volume::{ListVolumesOnMsg, MoveVmVolumesToHostMsg, VOLUME, VolumeSummary};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::data::detach_from_vm;
use crate::entity::{Column, Entity as Volume, LOCAL_HOST, Model};
use crate::handlers::{DATA, give_back, remove, summary};

const PRIMARY_STORAGE_VO: &str = "PrimaryStorageVO";
const HOST_VO: &str = "HostVO";

/// The volume family's part in cascades.
pub struct VolumeCascade;

impl CascadeFamily for VolumeCascade {
    const MESSAGE: &'static str = "VolumeCascadeMsg";
    const PARENTS: &'static [&'static str] = &[PRIMARY_STORAGE_VO, HOST_VO];
}

/// The volumes on primary storage `storage`, then those on the local storage of `hosts`.
async fn volumes_on(
    node: &NodeContext,
    storage: &[String],
    hosts: &[String],
) -> ApiResult<Vec<Model>> {
    let mut found = Vec::new();
    if !storage.is_empty() {
        found = Volume::find()
            .filter(Column::PrimaryStorageUuid.is_in(storage.to_vec()))
            .order_by_asc(Column::Uuid)
            .all(&node.db)
            .await?;
    }
    for host in hosts {
        let on_host = LOCAL_HOST.linking(&node.db, host).await?;
        if on_host.is_empty() {
            continue;
        }
        found.extend(
            Volume::find()
                .filter(Column::Uuid.is_in(on_host))
                .order_by_asc(Column::Uuid)
                .all(&node.db)
                .await?,
        );
    }
    Ok(found)
}

/// Primary storage or hosts are going: their data volumes go first.
pub async fn parents_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    let volumes = match req.parent_type.as_str() {
        PRIMARY_STORAGE_VO => volumes_on(&node, &req.parent_uuids, &[]).await?,
        HOST_VO => volumes_on(&node, &[], &req.parent_uuids).await?,
        _ => return Ok(()),
    };
    let data: Vec<Model> = volumes.into_iter().filter(|v| v.r#type == DATA).collect();
    let uuids: Vec<String> = data.iter().map(|v| v.uuid.clone()).collect();
    if req.check_only {
        return node
            .cascade_to(VOLUME.vo_name, uuids, &req, |_| async { Ok(()) })
            .await;
    }
    for volume in &data {
        // Through the VM's queue, its hypervisor told, when the VM lets it; otherwise the row
        // alone: the volume goes whatever the VM is doing.
        if let Err(e) = detach_from_vm(&node, volume).await {
            tracing::warn!(volume = %volume.uuid, error = %e,
                "could not detach a volume whose storage is going through its VM; it is detached all the same");
        }
    }
    if req.parent_type == HOST_VO {
        // The local storage stays without this host's disks: it gets their bytes back.
        for volume in &data {
            if let Some(ps) = &volume.primary_storage_uuid {
                give_back(&node, ps, volume.size).await?;
            }
        }
    }
    // What a failed detach left attached goes too: the row is about to go.
    node.cascade_to(VOLUME.vo_name, uuids, &req, |uuids| remove(&node, uuids))
        .await?;
    tracing::info!(parent = %req.parent_type, parents = ?req.parent_uuids, volumes = data.len(),
        "data volumes deleted with their storage");
    Ok(())
}

pub async fn list_on(
    node: NodeContext,
    msg: ListVolumesOnMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<VolumeSummary>> {
    let volumes = volumes_on(&node, &msg.primary_storage_uuids, &msg.host_uuids).await?;
    let mut out = Vec::with_capacity(volumes.len());
    for v in volumes {
        out.push(summary(&node, v).await?);
    }
    Ok(out)
}

pub async fn move_to_host(
    node: NodeContext,
    msg: MoveVmVolumesToHostMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let uuids: Vec<String> = Volume::find()
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid.clone()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|v| v.uuid)
        .collect();
    if uuids.is_empty() {
        return Ok(EmptyReply {});
    }
    let update = Query::update()
        .table(Alias::new(LOCAL_HOST.table))
        .value(Alias::new(LOCAL_HOST.to.0), msg.to_host_uuid.clone())
        .and_where(Expr::col(Alias::new(LOCAL_HOST.from.0)).is_in(uuids))
        .and_where(Expr::col(Alias::new(LOCAL_HOST.to.0)).eq(msg.from_host_uuid.clone()))
        .to_owned();
    node.db.execute(&update).await?;
    Ok(EmptyReply {})
}
