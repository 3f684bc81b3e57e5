//! The life of a data volume: created (on primary storage, or NotInstantiated until a VM needs
//! it), Deleted (detached first; it keeps its storage and can be recovered), expunged (its
//! storage gets the capacity back); its state changed; a volume grown.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use zstack_header::disk_offering::GetDiskOfferingMsg;
use zstack_header::primary_storage::{AllocatePrimaryStorageCapacityMsg, PRIMARY_STORAGE};
use zstack_header::vm_instance::DetachDataVolumeFromVmMsg;
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::cascade::DeleteMode;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::family::handlers::change_state as set_state;
use zstack_kernel::message::new_uuid;
use zstack_kernel::tags::SYSTEM_TAGS_HEADER;
use zstack_kernel::time::now;
use zstack_kernel::{ApiError, ApiResult, MsgContext, NodeContext, simulator};

use crate::entity::{ActiveModel, Entity as Volume, Model};
use crate::handlers::{
    DATA, DELETED, FORMAT, NOT_INSTANTIATED, NewVolume, READY, ROOT, expunge_rows, give_back,
    in_status, insert, load, place, storage, wrong_type,
};
use crate::messages::{
    APIChangeVolumeStateMsg, APICreateDataVolumeMsg, APIDeleteDataVolumeMsg,
    APIExpungeDataVolumeMsg, APIRecoverDataVolumeMsg, APIResizeDataVolumeMsg,
    APIResizeRootVolumeMsg,
};

/// The values of the request's system tags of the form `{prefix}{value}`.
fn tag_values(ctx: &MsgContext) -> ApiResult<BTreeMap<String, String>> {
    let tags: Vec<String> = match ctx.headers.get(SYSTEM_TAGS_HEADER) {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| ApiError::Internal(format!("systemTags header: {e}")))?,
        None => Vec::new(),
    };
    Ok(tags
        .into_iter()
        .filter_map(|t| {
            let (key, value) = t.rsplit_once("::")?;
            Some((format!("{key}::"), value.to_string()))
        })
        .collect())
}

pub async fn create(
    node: NodeContext,
    msg: APICreateDataVolumeMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let size = match &msg.disk_offering_uuid {
        Some(uuid) => {
            let offering = node
                .bus
                .call(GetDiskOfferingMsg { uuid: uuid.clone() })
                .await?;
            if offering.state != "Enabled" {
                return Err(operr(format!(
                    "disk offering[uuid:{uuid}] is {}, can't create a volume from it",
                    offering.state
                )));
            }
            offering.disk_size
        }
        None => match msg.disk_size {
            Some(size) if size > 0 => size,
            _ => {
                return Err(argerr(
                    "a data volume needs diskOfferingUuid or a positive diskSize",
                ));
            }
        },
    };
    let placed = match &msg.primary_storage_uuid {
        Some(uuid) => {
            let ps = storage(&node, uuid).await?;
            let host = tag_values(&ctx)?.remove("localStorage::hostUuid::");
            Some(place(&node, &ps, size, host.as_deref()).await?)
        }
        None => None,
    };
    let holds = placed
        .as_ref()
        .map(|p| (p.primary_storage_uuid.clone(), p.size));
    let new = NewVolume {
        uuid: msg.resource_uuid.unwrap_or_else(new_uuid),
        name: msg.name,
        description: msg.description,
        r#type: DATA,
        placed,
        vm_instance_uuid: None,
        root_image_uuid: None,
        disk_offering_uuid: msg.disk_offering_uuid,
        format: FORMAT.into(),
        size,
        device_id: None,
    };
    match insert(&node, &ctx, new).await {
        Ok(volume) => Ok(volume.into()),
        Err(e) => {
            if let Some((ps, size)) = holds
                && let Err(back) = give_back(&node, &ps, size).await
            {
                tracing::error!(primary_storage = %ps, size, error = %back,
                    "could not give primary storage capacity back");
            }
            Err(e)
        }
    }
}

/// Detaches an attached volume through its VM (in the VM's queue, refused when the VM's state
/// does not allow it).
pub async fn detach_from_vm(node: &NodeContext, volume: &Model) -> ApiResult<()> {
    if let Some(vm) = &volume.vm_instance_uuid {
        node.bus
            .call(DetachDataVolumeFromVmMsg {
                vm_instance_uuid: vm.clone(),
                volume_uuid: volume.uuid.clone(),
            })
            .await?;
    }
    Ok(())
}

async fn set_status(node: &NodeContext, volume: Model, status: &str) -> ApiResult<Model> {
    let mut active: ActiveModel = volume.into();
    active.status = Set(status.into());
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteDataVolumeMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    DeleteMode::parse(msg.delete_mode.as_deref())?;
    let Some(volume) = Volume::find_by_id(msg.uuid.clone()).one(&node.db).await? else {
        // Deleting what is not there succeeds, as for every family.
        return Ok(EmptyReply {});
    };
    if volume.r#type != DATA {
        return Err(argerr(format!(
            "volume[uuid:{}, type:{}] can't be deleted",
            volume.uuid, volume.r#type
        )));
    }
    if volume.status == DELETED {
        return Err(operr(format!(
            "volume[uuid:{}] is already in status of deleted",
            volume.uuid
        )));
    }
    in_status(&volume, &[READY, NOT_INSTANTIATED], "deleted")?;
    detach_from_vm(&node, &volume).await?;
    let volume = load(&node, &volume.uuid).await?;
    set_status(&node, volume, DELETED).await?;
    Ok(EmptyReply {})
}

pub async fn recover(
    node: NodeContext,
    msg: APIRecoverDataVolumeMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let volume = load(&node, &msg.uuid).await?;
    if volume.status != DELETED {
        return Err(operr(format!(
            "the volume[uuid:{}] is not in status of deleted. This is operation is to recover a deleted data volume",
            volume.uuid
        )));
    }
    let status = if volume.primary_storage_uuid.is_some() {
        READY
    } else {
        NOT_INSTANTIATED
    };
    Ok(set_status(&node, volume, status).await?.into())
}

pub async fn expunge(
    node: NodeContext,
    msg: APIExpungeDataVolumeMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let volume = load(&node, &msg.uuid).await?;
    if volume.r#type != DATA {
        return Err(wrong_type(&volume, "be expunged"));
    }
    if volume.status != DELETED {
        return Err(operr(format!(
            "the volume[uuid:{}] is {}; only a Deleted data volume can be expunged",
            volume.uuid, volume.status
        )));
    }
    if let Some(ps) = &volume.primary_storage_uuid {
        // The bits go from the storage, which must answer.
        simulator::operate(&node.db, PRIMARY_STORAGE, ps).await?;
    }
    expunge_rows(&node, &ctx, vec![volume.uuid.clone()]).await?;
    if let Some(ps) = &volume.primary_storage_uuid {
        give_back(&node, ps, volume.size).await?;
    }
    Ok(EmptyReply {})
}

pub async fn change_state(
    node: NodeContext,
    msg: APIChangeVolumeStateMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let volume = load(&node, &msg.uuid).await?;
    if volume.r#type == ROOT {
        return Err(operr(format!(
            "it's not allowed to change state of root volume, uuid:{}",
            volume.uuid
        )));
    }
    in_status(&volume, &[READY, NOT_INSTANTIATED], "enabled or disabled")?;
    set_state::<Volume, _>(node, msg, ctx).await
}

/// Grows volume `uuid` of type `kind` to `size` bytes; its primary storage gives the difference.
async fn grow(node: &NodeContext, uuid: &str, kind: &str, size: i64) -> ApiResult<Model> {
    let volume = load(node, uuid).await?;
    if volume.r#type != kind {
        return Err(wrong_type(
            &volume,
            &format!("be resized as a {} volume", kind.to_lowercase()),
        ));
    }
    in_status(&volume, &[READY, NOT_INSTANTIATED], "resized")?;
    if size <= volume.size {
        return Err(operr(format!(
            "volume[uuid:{}] has {} bytes; a volume only grows, so its new size must be larger, not {size}",
            volume.uuid, volume.size
        )));
    }
    if let Some(ps) = &volume.primary_storage_uuid {
        simulator::operate(&node.db, PRIMARY_STORAGE, ps).await?;
        node.bus
            .call(AllocatePrimaryStorageCapacityMsg {
                primary_storage_uuid: ps.clone(),
                size: size - volume.size,
            })
            .await?;
    }
    let mut active: ActiveModel = volume.into();
    active.size = Set(size);
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
}

pub async fn resize_root(
    node: NodeContext,
    msg: APIResizeRootVolumeMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    if let Some(vm) = &msg.vm_instance_uuid {
        let volume = load(&node, &msg.uuid).await?;
        if volume.vm_instance_uuid.as_ref() != Some(vm) {
            return Err(operr(format!(
                "volume[uuid:{}] is not the root volume of vm[uuid:{vm}]",
                volume.uuid
            )));
        }
    }
    Ok(grow(&node, &msg.uuid, ROOT, msg.size).await?.into())
}

pub async fn resize_data(
    node: NodeContext,
    msg: APIResizeDataVolumeMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    Ok(grow(&node, &msg.uuid, DATA, msg.size).await?.into())
}
