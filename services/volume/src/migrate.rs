//! PrimaryStorageMigrateVolume: a detached data volume is copied to another primary storage of
//! its zone, then moved there. The copy is simulated: it takes as long as the volume's size at
//! the source storage's simulator bandwidth (plus its operation delay), reports its progress
//! under the API id, and stops when the API is canceled. Meanwhile the volume is Migrating and
//! the destination holds its size; at the end the source gets its capacity back, or, when the
//! copy fails or is canceled, the destination does and the volume stays where it was.
//!
//! It runs as a long job (the seed's SubmitLongJob example): a copy a stopped node left goes on
//! elsewhere, and one that will not go on is undone.

use std::time::Duration;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::Value;
use zstack_header::primary_storage::{PRIMARY_STORAGE, PrimaryStorageSummary};
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::longjob::{LongJobFor, LongJobStep, LongJobWork};
use zstack_kernel::time::now;
use zstack_kernel::{ApiError, ApiResult, MsgContext, NodeContext, cancel, progress, simulator};

use crate::entity::{ActiveModel, Entity as Volume, LOCAL_HOST, Model};
use crate::handlers::{
    DATA, MIGRATING, READY, give_back, in_status, install_path, load, place, storage, wrong_type,
};
use crate::messages::APIPrimaryStorageMigrateVolumeMsg;

/// The progress steps of a copy.
const STEPS: u32 = 10;
/// How long a copy takes when the source storage has no simulator bandwidth set.
const DEFAULT_COPY: Duration = Duration::from_millis(500);
/// The longest a copy takes, whatever the bandwidth.
const MAX_COPY: Duration = Duration::from_secs(24 * 3600);

/// Copies `volume` from primary storage `src` to `dst` (simulated), reporting progress; fails
/// when either becomes unreachable, and stops when the API it works for is canceled.
async fn copy(node: &NodeContext, volume: &Model, src: &str, dst: &str) -> ApiResult<()> {
    let mut canceled = node.cancellations.current();
    let source = simulator::state(&node.db, src).await?;
    let transfer = match source.bandwidth {
        Some(b) => Duration::from_secs_f64(volume.size as f64 / b as f64).min(MAX_COPY),
        None => DEFAULT_COPY,
    };
    let total = transfer + Duration::from_millis(source.operation_delay_ms.max(0) as u64);
    let bus = &node.bus;
    progress::stage(
        bus,
        "Copy the volume to the destination primary storage",
        async {
            progress::report(bus, "0", Some((0, STEPS as i64)));
            for step in 1..=STEPS {
                tokio::select! {
                    () = tokio::time::sleep(total / STEPS) => {}
                    () = canceled.requested() => {
                        return Err(cancel::canceled(format!(
                            "the migration of volume[uuid:{}] was canceled",
                            volume.uuid
                        )));
                    }
                }
                for ps in [src, dst] {
                    if !simulator::state(&node.db, ps).await?.connected {
                        return Err(simulator::unreachable(PRIMARY_STORAGE, ps));
                    }
                }
                let done = i64::from(step);
                progress::report(
                    bus,
                    (done * 100 / i64::from(STEPS)).to_string(),
                    Some((done, i64::from(STEPS))),
                );
            }
            Ok(())
        },
    )
    .await
}

/// The checks before a migration: a detached, Ready data volume, to another primary storage of
/// its zone that is not local storage (whose volumes belong to one host).
async fn check(node: &NodeContext, volume: &Model, dst: &PrimaryStorageSummary) -> ApiResult<()> {
    if volume.r#type != DATA {
        return Err(wrong_type(volume, "be migrated to another primary storage"));
    }
    in_status(volume, &[READY], "migrated")?;
    if let Some(vm) = &volume.vm_instance_uuid {
        return Err(operr(format!(
            "volume[uuid:{}] is attached to vm[uuid:{vm}]; detach it before migrating it",
            volume.uuid
        )));
    }
    let Some(src) = &volume.primary_storage_uuid else {
        return Err(operr(format!(
            "volume[uuid:{}] is on no primary storage",
            volume.uuid
        )));
    };
    if src == &dst.uuid {
        return Err(argerr(format!(
            "volume[uuid:{}] is on primary storage[uuid:{src}] already",
            volume.uuid
        )));
    }
    let src = storage(node, src).await?;
    if src.zone_uuid != dst.zone_uuid {
        return Err(operr(format!(
            "primary storage[uuid:{}] is in zone[uuid:{}], volume[uuid:{}] in zone[uuid:{}]",
            dst.uuid, dst.zone_uuid, volume.uuid, src.zone_uuid
        )));
    }
    if dst.is_local() {
        return Err(operr(format!(
            "primary storage[uuid:{}] is local storage, which holds a volume on one host's disks; PrimaryStorageMigrateVolume moves volumes to shared primary storage",
            dst.uuid
        )));
    }
    Ok(())
}

/// Copies a Migrating volume (the destination holds its size) and moves it, or undoes the
/// migration when the copy fails or is canceled.
async fn finish(node: &NodeContext, volume: Model, dst: &str) -> ApiResult<InventoryReply<Model>> {
    let Some(src) = volume.primary_storage_uuid.clone() else {
        return Err(operr(format!(
            "volume[uuid:{}] is on no primary storage",
            volume.uuid
        )));
    };
    if let Err(e) = copy(node, &volume, &src, dst).await {
        undo(node, volume, dst).await?;
        return Err(e);
    }
    let (uuid, size) = (volume.uuid.clone(), volume.size);
    let path = install_path(dst, &uuid, &volume.format);
    let mut active: ActiveModel = volume.into();
    active.install_path = Set(Some(path));
    active.primary_storage_uuid = Set(Some(dst.to_string()));
    active.status = Set(READY.into());
    active.last_op_date = Set(now());
    let moved = active.update(&node.db).await?;
    LOCAL_HOST
        .forget_from(&node.db, std::slice::from_ref(&uuid))
        .await?;
    give_back(node, &src, size).await?;
    Ok(moved.into())
}

/// A migration that will not go on: the destination gets its capacity back, the volume is Ready
/// where it was.
async fn undo(node: &NodeContext, volume: Model, dst: &str) -> ApiResult<()> {
    give_back(node, dst, volume.size).await?;
    let mut active: ActiveModel = volume.into();
    active.status = Set(READY.into());
    active.last_op_date = Set(now());
    active.update(&node.db).await?;
    Ok(())
}

pub async fn migrate(
    node: NodeContext,
    msg: APIPrimaryStorageMigrateVolumeMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let volume = load(&node, &msg.volume_uuid).await?;
    let dst = storage(&node, &msg.dst_primary_storage_uuid).await?;
    check(&node, &volume, &dst).await?;
    let held = place(&node, &dst, volume.size, None).await?;
    let mut active: ActiveModel = volume.into();
    active.status = Set(MIGRATING.into());
    active.last_op_date = Set(now());
    let volume = match active.update(&node.db).await {
        Ok(v) => v,
        Err(e) => {
            held.undo(&node).await;
            return Err(e.into());
        }
    };
    finish(&node, volume, &dst.uuid).await
}

/// PrimaryStorageMigrateVolume as a long job: its copy stops when canceled, a copy its node
/// left goes on elsewhere, and one that will not go on is undone.
pub struct MigrateVolumeLongJob;

impl LongJobFor for MigrateVolumeLongJob {
    type Api = APIPrimaryStorageMigrateVolumeMsg;
    const MESSAGE: &'static str = "PrimaryStorageMigrateVolumeLongJobMsg";
    const CANCELS: bool = true;
    const RESUMES: bool = true;
    const CLEANS: bool = true;
}

/// The long-job service's questions about a migration: a Migrating volume is one whose copy
/// was under way (its destination holds its size).
pub async fn long_job(
    node: NodeContext,
    work: LongJobWork,
    _ctx: MsgContext,
) -> ApiResult<Option<Value>> {
    let msg: APIPrimaryStorageMigrateVolumeMsg = work.api()?;
    let dst = msg.dst_primary_storage_uuid;
    let Some(volume) = Volume::find_by_id(msg.volume_uuid).one(&node.db).await? else {
        // Nothing to go on with or clean up: a resume runs the API again, which answers.
        return Ok(None);
    };
    let migrating = volume.status == MIGRATING;
    match work.step {
        LongJobStep::Clean => {
            if migrating {
                undo(&node, volume, &dst).await?;
            }
            Ok(None)
        }
        LongJobStep::Resume => {
            let reply = if migrating {
                // The simulated copy starts over; the destination still holds the size.
                finish(&node, volume, &dst).await?
            } else if volume.primary_storage_uuid.as_deref() == Some(dst.as_str()) {
                // Moved before its node stopped: only the answer was lost.
                volume.into()
            } else {
                return Ok(None);
            };
            let body =
                serde_json::to_value(reply).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Some(body))
        }
    }
}
