//! What each backup storage API does. Storage is simulated: it connects at once and has the
//! capacity it was declared with.

use sea_orm::ActiveValue::Set;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, delete_rows, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{
    ActiveModel, BACKUP_STORAGE, BackupStorageInventory, Entity as BackupStorage, Model, ZONES,
};
use crate::messages::{
    APIAddImageStoreBackupStorageMsg, APIAddSftpBackupStorageMsg, APIAttachBackupStorageToZoneMsg,
    APIDetachBackupStorageFromZoneMsg,
};

/// What the simulator declares when the caller gives no capacity: 1 TiB.
pub const DEFAULT_CAPACITY: i64 = 1 << 40;

const WHAT: &str = "backup storage";

struct NewStorage {
    uuid: Option<String>,
    name: String,
    description: Option<String>,
    url: String,
    hostname: String,
    username: String,
    password: String,
    ssh_port: Option<i64>,
    r#type: &'static str,
    total_capacity: Option<i64>,
}

async fn add(node: &NodeContext, ctx: &MsgContext, new: NewStorage) -> ApiResult<Model> {
    let uuid = new.uuid.unwrap_or_else(new_uuid);
    let capacity = new.total_capacity.unwrap_or(DEFAULT_CAPACITY);
    let ssh_port = new.ssh_port.unwrap_or(22);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(new.name),
        url: Set(new.url),
        description: Set(new.description),
        hostname: Set(new.hostname),
        username: Set(new.username),
        password: Set(new.password),
        ssh_port: Set(ssh_port),
        total_capacity: Set(capacity),
        available_capacity: Set(capacity),
        r#type: Set(new.r#type.into()),
        state: Set("Enabled".into()),
        status: Set("Connected".into()),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    create_resource(node, &node.db, ctx, BACKUP_STORAGE, &uuid, row).await
}

/// The row with the zones it is attached to.
pub async fn inventory(node: &NodeContext, storage: Model) -> ApiResult<BackupStorageInventory> {
    let attached_zone_uuids = ZONES.linked(&node.db, &storage.uuid).await?;
    Ok(BackupStorageInventory {
        storage,
        attached_zone_uuids,
    })
}

/// The storage an add API describes (both carry the same fields), of type `type`.
macro_rules! new_storage {
    ($msg:ident, $type:literal) => {
        NewStorage {
            uuid: $msg.resource_uuid,
            name: $msg.name,
            description: $msg.description,
            url: $msg.url,
            hostname: $msg.hostname,
            username: $msg.username,
            password: $msg.password,
            ssh_port: $msg.ssh_port,
            r#type: $type,
            total_capacity: $msg.total_capacity,
        }
    };
}

pub async fn add_image_store(
    node: NodeContext,
    msg: APIAddImageStoreBackupStorageMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<BackupStorageInventory>> {
    let bs = add(&node, &ctx, new_storage!(msg, "ImageStoreBackupStorage")).await?;
    Ok(inventory(&node, bs).await?.into())
}

pub async fn add_sftp(
    node: NodeContext,
    msg: APIAddSftpBackupStorageMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<BackupStorageInventory>> {
    let bs = add(&node, &ctx, new_storage!(msg, "SftpBackupStorage")).await?;
    Ok(inventory(&node, bs).await?.into())
}

pub async fn attach(
    node: NodeContext,
    msg: APIAttachBackupStorageToZoneMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<BackupStorageInventory>> {
    let bs = find::<BackupStorage, _>(&node.db, WHAT, &msg.backup_storage_uuid).await?;
    ZONES.attach(&node.db, &bs.uuid, &msg.zone_uuid).await?;
    Ok(inventory(&node, bs).await?.into())
}

pub async fn detach(
    node: NodeContext,
    msg: APIDetachBackupStorageFromZoneMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<BackupStorageInventory>> {
    let bs = find::<BackupStorage, _>(&node.db, WHAT, &msg.backup_storage_uuid).await?;
    ZONES.detach(&node.db, &bs.uuid, &msg.zone_uuid).await?;
    Ok(inventory(&node, bs).await?.into())
}

/// Deletes backup storage after its children (the image copies it holds).
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    ZONES.forget_from(&node.db, &uuids).await?;
    delete_rows(&node.db, BACKUP_STORAGE, &uuids).await
}

/// A zone's going only detaches its backup storage: the storage may serve other zones.
pub struct BackupStorageCascade;

impl CascadeFamily for BackupStorageCascade {
    const MESSAGE: &'static str = "BackupStorageCascadeMsg";
    const PARENTS: &'static [&'static str] = &["ZoneVO"];
}

pub async fn parent_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    if !req.check_only {
        ZONES.forget_to(&node.db, &req.parent_uuids).await?;
    }
    Ok(())
}
