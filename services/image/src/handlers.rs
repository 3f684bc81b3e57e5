//! What each image API does. The download from the image's URL is simulated inside AddImage:
//! the image is written as Downloading, progress is reported by steps under the API id, then
//! the image is Ready with its size taken from the backup storage's capacity. AddImage can run
//! as a long job: its download stops when its API is canceled, and a download a stopped node
//! left behind can be resumed or cleaned up.

use std::collections::BTreeSet;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use zstack_header::backup_storage::{
    AllocateBackupStorageCapacityMsg, AllocatedCapacity, BACKUP_STORAGE, DELETE_BITS_GC,
    DeleteBitsGc, DeleteBitsOnBackupStorageMsg, ReturnBackupStorageCapacityMsg,
};
use zstack_header::notification::NotifyMsg;
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::cancel;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest, DeleteMode};
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::longjob::{LongJobFor, LongJobStep, LongJobWork};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};
use zstack_kernel::{gc, progress, simulator};

use crate::entity::{
    ActiveModel, COPIES, Entity as Image, IMAGE, ImageInventory, backup_storage_ref,
};
use crate::messages::{
    APIAddImageMsg, APIDeleteImageMsg, APIExpungeImageMsg, APIRecoverImageMsg, APIUpdateImageMsg,
};

/// The simulated size of a downloaded image when its URL gives none: 1 GiB.
pub const DEFAULT_SIZE: i64 = 1 << 30;

/// The progress steps of a simulated download.
const STEPS: i64 = 10;
/// How long a download takes when no backup storage has a simulator bandwidth set.
const DEFAULT_DOWNLOAD: Duration = Duration::from_millis(500);
/// The longest a simulated download takes, whatever the bandwidth.
const MAX_DOWNLOAD: Duration = Duration::from_secs(24 * 3600);

const WHAT: &str = "image";

/// The simulated size: a URL ending in `#size=<bytes>` declares it, any other gets 1 GiB.
fn simulated_size(url: &str) -> ApiResult<i64> {
    match url.rsplit_once("#size=") {
        None => Ok(DEFAULT_SIZE),
        Some((_, bytes)) => match bytes.parse::<i64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(argerr(format!(
                "the size hint in url[{url}] must be a positive number of bytes (#size=<bytes>)"
            ))),
        },
    }
}

/// Where an image's bits go on a backup storage at `url`.
fn install_path(url: &str, uuid: &str, format: &str) -> String {
    format!("{}/images/{uuid}.{format}", url.trim_end_matches('/'))
}

async fn give_back(node: &NodeContext, bs_uuids: &[String], size: i64) -> ApiResult<()> {
    let give = ReturnBackupStorageCapacityMsg {
        backup_storage_uuids: bs_uuids.to_vec(),
        size,
    };
    node.bus.call(give).await?;
    Ok(())
}

async fn refs_of(node: &NodeContext, uuid: &str) -> ApiResult<Vec<backup_storage_ref::Model>> {
    Ok(backup_storage_ref::Entity::find()
        .filter(backup_storage_ref::Column::ImageUuid.eq(uuid))
        .all(&node.db)
        .await?)
}

/// Downloads image `uuid` to its backup storage (simulated): at the pace of the slowest one's
/// simulator bandwidth, reporting progress in steps; fails when one becomes unreachable, and
/// stops when the API it works for is canceled.
async fn download(node: &NodeContext, uuid: &str, bs_uuids: &[String], size: i64) -> ApiResult<()> {
    let mut canceled = node.cancellations.current();
    let mut bandwidth: Option<i64> = None;
    for bs in bs_uuids {
        if let Some(b) = simulator::state(&node.db, bs).await?.bandwidth {
            bandwidth = Some(bandwidth.map_or(b, |slowest| slowest.min(b)));
        }
    }
    let total = match bandwidth {
        Some(b) => Duration::from_secs_f64(size as f64 / b as f64).min(MAX_DOWNLOAD),
        None => DEFAULT_DOWNLOAD,
    };
    let bus = &node.bus;
    progress::stage(bus, "Download the image to backup storage", async {
        progress::report(bus, "0", Some((0, STEPS)));
        for step in 1..=STEPS {
            tokio::select! {
                () = tokio::time::sleep(total / STEPS as u32) => {}
                () = canceled.requested() => {
                    return Err(cancel::canceled(format!(
                        "the download of image[uuid:{uuid}] was canceled"
                    )));
                }
            }
            for bs in bs_uuids {
                if !simulator::state(&node.db, bs).await?.connected {
                    return Err(simulator::unreachable(BACKUP_STORAGE, bs));
                }
            }
            progress::report(bus, (step * 100 / STEPS).to_string(), Some((step, STEPS)));
        }
        Ok(())
    })
    .await
}

/// A download that failed or was canceled: the image and its copies go, the capacity comes
/// back, and operators are told.
async fn download_failed(
    node: &NodeContext,
    image: &crate::entity::Model,
    bs_uuids: &[String],
    size: i64,
    error: &zstack_kernel::ErrorCode,
) -> ApiResult<()> {
    discard(node, image, bs_uuids, size).await?;
    let (content, kind) = if cancel::is_canceled(error) {
        (
            "the download of image[uuid:%s, name:%s] was canceled: %s",
            "Info",
        )
    } else {
        (
            "the download of image[uuid:%s, name:%s] failed: %s",
            "Error",
        )
    };
    node.bus.send(NotifyMsg {
        sender: "system".into(),
        name: "image".into(),
        content: content.into(),
        arguments: vec![
            image.uuid.clone(),
            image.name.clone(),
            error.details.clone().unwrap_or_default(),
        ],
        r#type: kind.into(),
        resource_uuid: Some(image.uuid.clone()),
        resource_type: Some(IMAGE.vo_name.into()),
        opaque: None,
    });
    Ok(())
}

/// Removes an image that will not be downloaded: its row and copies go, its uuid is free
/// again, and its backup storage get `size` bytes each back.
async fn discard(
    node: &NodeContext,
    image: &crate::entity::Model,
    bs_uuids: &[String],
    size: i64,
) -> ApiResult<()> {
    remove(node, vec![image.uuid.clone()]).await?;
    zstack_kernel::resource::registry::release(&node.db, IMAGE, std::slice::from_ref(&image.uuid))
        .await?;
    give_back(node, bs_uuids, size).await
}

pub async fn add(
    node: NodeContext,
    msg: APIAddImageMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<ImageInventory>> {
    let size = simulated_size(&msg.url)?;
    let bs_uuids: Vec<String> = msg
        .backup_storage_uuids
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if bs_uuids.is_empty() {
        return Err(argerr(
            "backupStorageUuids must name at least one backup storage",
        ));
    }
    // Each backup storage takes the image's size; one refusal gives back what the others took.
    let mut storages: Vec<AllocatedCapacity> = Vec::with_capacity(bs_uuids.len());
    for uuid in &bs_uuids {
        let take = AllocateBackupStorageCapacityMsg {
            backup_storage_uuid: uuid.clone(),
            size,
            purpose: format!("image[url:{}]", msg.url),
        };
        match node.bus.call(take).await {
            Ok(allocated) => storages.push(allocated),
            Err(e) => {
                let taken: Vec<String> = storages
                    .iter()
                    .map(|s| s.backup_storage_uuid.clone())
                    .collect();
                give_back(&node, &taken, size).await?;
                return Err(e);
            }
        }
    }
    let reserved: Vec<String> = storages
        .iter()
        .map(|s| s.backup_storage_uuid.clone())
        .collect();

    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let media_type = msg
        .media_type
        .unwrap_or_else(|| "RootVolumeTemplate".into());
    let default_format = if media_type == "ISO" { "iso" } else { "qcow2" };
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        url: Set(msg.url.clone()),
        media_type: Set(media_type),
        guest_os_type: Set(msg.guest_os_type),
        architecture: Set(msg.architecture.unwrap_or_else(|| "x86_64".into())),
        platform: Set(msg.platform.unwrap_or_else(|| "Linux".into())),
        format: Set(msg.format.unwrap_or_else(|| default_format.into())),
        system: Set(msg.system.unwrap_or(false)),
        virtio: Set(msg.virtio.unwrap_or(true)),
        state: Set("Enabled".into()),
        status: Set("Downloading".into()),
        size: Set(0),
        actual_size: Set(0),
        md5_sum: Set(None),
        r#type: Set(msg.r#type.unwrap_or_else(|| "zstack".into())),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let image = match create_resource(&node, &node.db, &ctx, IMAGE, &uuid, row).await {
        Ok(image) => image,
        Err(e) => {
            give_back(&node, &reserved, size).await?;
            return Err(e);
        }
    };
    for bs in &storages {
        let row = backup_storage_ref::ActiveModel {
            image_uuid: Set(uuid.clone()),
            backup_storage_uuid: Set(bs.backup_storage_uuid.clone()),
            install_path: Set(install_path(&bs.url, &uuid, &image.format)),
            status: Set("Downloading".into()),
            create_date: Set(at),
            last_op_date: Set(at),
        };
        backup_storage_ref::Entity::insert(row)
            .exec_without_returning(&node.db)
            .await?;
    }

    finish_download(&node, image, &reserved, size).await
}

/// Downloads a Downloading image to backup storage `reserved` (which hold `size` bytes each for
/// it) and makes it Ready; a failed or canceled download removes it.
async fn finish_download(
    node: &NodeContext,
    image: crate::entity::Model,
    reserved: &[String],
    size: i64,
) -> ApiResult<InventoryReply<ImageInventory>> {
    if let Err(e) = download(node, &image.uuid, reserved, size).await {
        download_failed(node, &image, reserved, size, &e).await?;
        return Err(e);
    }

    // The bits are on each storage now.
    for copy in refs_of(node, &image.uuid).await? {
        simulator::put_file(
            &node.db,
            &copy.backup_storage_uuid,
            &copy.install_path,
            size,
        )
        .await?;
    }
    let done = now();
    let uuid = image.uuid.clone();
    // A stable stand-in for the checksum the real download would compute.
    let md5 = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, image.url.as_bytes())
        .simple()
        .to_string();
    let mut active: ActiveModel = image.into();
    active.status = Set("Ready".into());
    active.size = Set(size);
    active.actual_size = Set(size);
    active.md5_sum = Set(Some(md5));
    active.last_op_date = Set(done);
    let image = active.update(&node.db).await?;
    backup_storage_ref::Entity::update_many()
        .col_expr(backup_storage_ref::Column::Status, Expr::value("Ready"))
        .col_expr(backup_storage_ref::Column::LastOpDate, Expr::value(done))
        .filter(backup_storage_ref::Column::ImageUuid.eq(uuid.clone()))
        .exec(&node.db)
        .await?;
    let refs = refs_of(node, &uuid).await?;
    Ok(ImageInventory {
        image,
        backup_storage_refs: Some(refs),
    }
    .into())
}

/// AddImage as a long job: its download stops when canceled, a download its node left behind
/// goes on elsewhere, and what a canceled one left is removed.
pub struct AddImageLongJob;

impl LongJobFor for AddImageLongJob {
    type Api = APIAddImageMsg;
    const MESSAGE: &'static str = "AddImageLongJobMsg";
    const CANCELS: bool = true;
    const RESUMES: bool = true;
    const CLEANS: bool = true;
}

/// The long-job service's questions about an AddImage long job. The job fixes the image's uuid
/// (`resourceUuid`) before it first runs, so the image is found again by it.
pub async fn long_job(
    node: NodeContext,
    work: LongJobWork,
    _ctx: MsgContext,
) -> ApiResult<Option<Value>> {
    let msg: APIAddImageMsg = work.api()?;
    let image = match &msg.resource_uuid {
        Some(uuid) => Image::find_by_id(uuid.clone()).one(&node.db).await?,
        None => None,
    };
    let Some(image) = image else {
        // Nothing was written: a resume runs the API again, and there is nothing to clean.
        return Ok(None);
    };
    let refs = refs_of(&node, &image.uuid).await?;
    let holders: Vec<String> = refs.iter().map(|r| r.backup_storage_uuid.clone()).collect();
    let size = simulated_size(&image.url)?;
    match work.step {
        LongJobStep::Clean => {
            discard(&node, &image, &holders, size).await?;
            Ok(None)
        }
        LongJobStep::Resume => {
            let reply = match image.status.as_str() {
                // Done before its node stopped: only the answer was lost.
                "Ready" => ImageInventory {
                    image,
                    backup_storage_refs: Some(refs),
                }
                .into(),
                // The simulated transfer starts over; the storage still holds its bytes for it.
                "Downloading" => finish_download(&node, image, &holders, size).await?,
                other => {
                    return Err(operr(format!(
                        "image[uuid:{}] is {other}: its interrupted download cannot go on",
                        image.uuid
                    )));
                }
            };
            let body = serde_json::to_value(reply)
                .map_err(|e| zstack_kernel::ApiError::Internal(e.to_string()))?;
            Ok(Some(body))
        }
    }
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateImageMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<ImageInventory>> {
    let image = find::<Image, _>(&node.db, WHAT, &msg.uuid).await?;
    let mut active: ActiveModel = image.into();
    if let Some(v) = msg.name {
        active.name = Set(v);
    }
    if let Some(v) = msg.description {
        active.description = Set(Some(v));
    }
    if let Some(v) = msg.guest_os_type {
        active.guest_os_type = Set(Some(v));
    }
    if let Some(v) = msg.media_type {
        active.media_type = Set(v);
    }
    if let Some(v) = msg.format {
        active.format = Set(v);
    }
    if let Some(v) = msg.system {
        active.system = Set(v);
    }
    if let Some(v) = msg.platform {
        active.platform = Set(v);
    }
    if let Some(v) = msg.architecture {
        active.architecture = Set(v);
    }
    if let Some(v) = msg.virtio {
        active.virtio = Set(v);
    }
    active.last_op_date = Set(now());
    Ok(ImageInventory::from(active.update(&node.db).await?).into())
}

/// Marks the image Deleted: it keeps its copies (and their capacity) until expunged.
pub async fn delete(
    node: NodeContext,
    msg: APIDeleteImageMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    DeleteMode::parse(msg.delete_mode.as_deref())?;
    let Some(image) = Image::find_by_id(msg.uuid.clone()).one(&node.db).await? else {
        // Deleting what is not there succeeds, as for every family.
        return Ok(EmptyReply {});
    };
    if image.status == "Deleted" {
        return Ok(EmptyReply {});
    }
    let mut active: ActiveModel = image.into();
    active.status = Set("Deleted".into());
    active.last_op_date = Set(now());
    active.update(&node.db).await?;
    Ok(EmptyReply {})
}

/// Removes images and their copies, after their children.
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    COPIES.forget_from(&node.db, &uuids).await?;
    delete_rows(&node.db, IMAGE, &uuids).await
}

pub async fn expunge(
    node: NodeContext,
    msg: APIExpungeImageMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let image = find::<Image, _>(&node.db, WHAT, &msg.uuid).await?;
    if image.status != "Deleted" {
        return Err(operr(format!(
            "image[uuid:{}, name:{}] is {}; only a Deleted image can be expunged",
            image.uuid, image.name, image.status
        )));
    }
    let copies = refs_of(&node, &image.uuid).await?;
    node.delete_resources(
        &ctx,
        IMAGE.vo_name,
        vec![image.uuid.clone()],
        DeleteMode::Enforcing,
        |uuids| remove(&node, uuids),
    )
    .await?;
    for copy in copies {
        delete_bits(&node, &image, copy).await?;
    }
    Ok(EmptyReply {})
}

/// Deletes the bits of an expunged image's copy, which gives their capacity back; a storage
/// that cannot do it now keeps both until a GC job does it. A storage known to be unreachable
/// gets a job that waits for it to reconnect (or go); one that failed otherwise, a job that
/// tries again every GC interval.
async fn delete_bits(
    node: &NodeContext,
    image: &crate::entity::Model,
    copy: backup_storage_ref::Model,
) -> ApiResult<()> {
    let bs = copy.backup_storage_uuid;
    let now = DeleteBitsOnBackupStorageMsg {
        backup_storage_uuid: bs.clone(),
        install_path: copy.install_path.clone(),
    };
    let Err(e) = node.bus.call(now).await else {
        return Ok(());
    };
    let schedule = if simulator::state(&node.db, &bs).await?.connected {
        gc::Schedule::Every(gc::interval(node))
    } else {
        gc::Schedule::On(gc::Wake::connected(bs.clone()).or_deleted())
    };
    let job = gc::NewJob {
        name: format!("gc-delete-bits-{}-on-backup-storage-{bs}", image.uuid),
        runner: DELETE_BITS_GC,
        context: DeleteBitsGc {
            image_uuid: image.uuid.clone(),
            backup_storage_uuid: bs.clone(),
            install_path: copy.install_path,
        },
        schedule,
    };
    let job = gc::submit(node, &node.db, job).await?;
    tracing::warn!(image = %image.uuid, backup_storage = %bs, gc_job = %job, error = %e,
        "the bits of an expunged image stay on its backup storage until a GC job deletes them");
    Ok(())
}

pub async fn recover(
    node: NodeContext,
    msg: APIRecoverImageMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<ImageInventory>> {
    let image = find::<Image, _>(&node.db, WHAT, &msg.uuid).await?;
    if image.status != "Deleted" {
        return Err(operr(format!(
            "image[uuid:{}, name:{}] is {}; only a Deleted image can be recovered",
            image.uuid, image.name, image.status
        )));
    }
    let mut active: ActiveModel = image.into();
    active.status = Set("Ready".into());
    active.last_op_date = Set(now());
    Ok(ImageInventory::from(active.update(&node.db).await?).into())
}

/// A backup storage's going takes its image copies; an image left with no copy goes too.
pub struct ImageCascade;

impl CascadeFamily for ImageCascade {
    const MESSAGE: &'static str = "ImageCascadeMsg";
    const PARENTS: &'static [&'static str] = &["BackupStorageVO"];
}

/// The images whose every copy is on backup storage `gone`: they go with it.
async fn images_only_on(node: &NodeContext, gone: &[String]) -> ApiResult<Vec<String>> {
    let affected: BTreeSet<String> = backup_storage_ref::Entity::find()
        .filter(backup_storage_ref::Column::BackupStorageUuid.is_in(gone.to_vec()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|r| r.image_uuid)
        .collect();
    let held_elsewhere: BTreeSet<String> = backup_storage_ref::Entity::find()
        .filter(backup_storage_ref::Column::ImageUuid.is_in(affected.clone()))
        .filter(backup_storage_ref::Column::BackupStorageUuid.is_not_in(gone.to_vec()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|r| r.image_uuid)
        .collect();
    Ok(affected.difference(&held_elsewhere).cloned().collect())
}

pub async fn backup_storage_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    let orphans = images_only_on(&node, &req.parent_uuids).await?;
    if req.check_only {
        // The images that lose their last copy are dependents: the acting account must own
        // them.
        return node
            .cascade_to(IMAGE.vo_name, orphans, &req, |_| async { Ok(()) })
            .await;
    }
    COPIES.forget_to(&node.db, &req.parent_uuids).await?;
    node.cascade_to(IMAGE.vo_name, orphans, &req, |uuids| remove(&node, uuids))
        .await
}
