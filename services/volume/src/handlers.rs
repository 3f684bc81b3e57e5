//! What the volume messages of the contract (`zstack_header::volume`) do.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use zstack_header::volume::{
    CreateVolumeMsg, ExpungeVolumesMsg, ListVmVolumesMsg, VOLUME, VolumeSummary,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::resource::{create_resource, delete_rows, registry};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Column, Entity as Volume, Model};

fn summary(v: Model) -> VolumeSummary {
    VolumeSummary {
        uuid: v.uuid,
        r#type: v.r#type,
        primary_storage_uuid: v.primary_storage_uuid,
        vm_instance_uuid: v.vm_instance_uuid,
        size: v.size,
    }
}

pub async fn create(
    node: NodeContext,
    msg: CreateVolumeMsg,
    ctx: MsgContext,
) -> ApiResult<VolumeSummary> {
    let at = now();
    let install_path = format!(
        "/zstack_ps/{}/{}.{}",
        msg.primary_storage_uuid, msg.uuid, msg.format
    );
    let row = ActiveModel {
        uuid: Set(msg.uuid.clone()),
        name: Set(msg.name),
        description: Set(None),
        primary_storage_uuid: Set(Some(msg.primary_storage_uuid)),
        vm_instance_uuid: Set(msg.vm_instance_uuid),
        disk_offering_uuid: Set(msg.disk_offering_uuid),
        root_image_uuid: Set(msg.root_image_uuid),
        install_path: Set(Some(install_path)),
        r#type: Set(msg.r#type),
        format: Set(msg.format),
        size: Set(msg.size),
        actual_size: Set(0),
        device_id: Set(msg.device_id),
        state: Set("Enabled".into()),
        status: Set("Ready".into()),
        is_shareable: Set(false),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let volume = create_resource(&node, &node.db, &ctx, VOLUME, &msg.uuid, row).await?;
    Ok(summary(volume))
}

pub async fn of_vm(
    node: NodeContext,
    msg: ListVmVolumesMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<VolumeSummary>> {
    Ok(Volume::find()
        .filter(Column::VmInstanceUuid.eq(msg.vm_instance_uuid))
        .order_by_asc(Column::DeviceId)
        .all(&node.db)
        .await?
        .into_iter()
        .map(summary)
        .collect())
}

pub async fn expunge(
    node: NodeContext,
    msg: ExpungeVolumesMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    delete_rows(&node.db, VOLUME, &msg.uuids).await?;
    registry::release(&node.db, VOLUME, &msg.uuids).await?;
    Ok(EmptyReply {})
}
