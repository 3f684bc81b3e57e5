//! What each tag API does, and the tag side of creates and deletes.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::error::{argerr, not_found, operr};
use zstack_kernel::identity::{CheckAccessMsg, ResourceKey};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::exists;
use zstack_kernel::tags::{AttachTagsMsg, ListSystemTagsMsg, ResourceTag};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::entity::{system_tag, user_tag};
use crate::messages::{
    APICreateSystemTagMsg, APICreateUserTagMsg, APIDeleteTagMsg, APIUpdateSystemTagMsg,
};

fn table_of(node: &NodeContext, resource_type: &str) -> ApiResult<&'static str> {
    node.resources.table_of(resource_type).ok_or_else(|| {
        argerr(format!(
            "unknown resourceType[{resource_type}]; the resource types are {:?}",
            node.resources.names()
        ))
    })
}

/// The resource a tag is for must exist, and an account other than admin must own it.
async fn check_resource(
    node: &NodeContext,
    ctx: &MsgContext,
    resource_type: &str,
    uuid: &str,
) -> ApiResult<()> {
    let table = table_of(node, resource_type)?;
    if !exists(&node.db, table, uuid).await? {
        return Err(not_found(format!(
            "{resource_type}[uuid:{uuid}] is not found"
        )));
    }
    if let Some(session) = ctx.session.as_ref().filter(|s| !s.is_admin) {
        let check = CheckAccessMsg {
            account_uuid: session.account_uuid.clone(),
            resources: vec![ResourceKey::new(uuid, Some(resource_type))],
        };
        node.bus.call(check).await?;
    }
    Ok(())
}

/// A system tag must match a pattern declared for its resource type.
pub(crate) fn check_pattern(
    node: &NodeContext,
    resource_type: &str,
    tag: &str,
) -> Result<(), ErrorCode> {
    if node.tag_patterns.find(resource_type, tag).is_some() {
        return Ok(());
    }
    Err(argerr(format!(
        "system tag[{tag}] is not one {resource_type} accepts; the accepted system tags are {:?}",
        node.tag_patterns.of(resource_type)
    )))
}

pub(crate) async fn insert_system_tag(
    db: &impl ConnectionTrait,
    resource_type: &str,
    resource_uuid: &str,
    tag: &str,
    inherent: bool,
) -> ApiResult<system_tag::Model> {
    let at = now();
    Ok(system_tag::ActiveModel {
        uuid: Set(new_uuid()),
        resource_uuid: Set(resource_uuid.to_string()),
        resource_type: Set(resource_type.to_string()),
        tag: Set(tag.to_string()),
        inherent: Set(inherent),
        r#type: Set("System".into()),
        create_date: Set(at),
        last_op_date: Set(at),
    }
    .insert(db)
    .await?)
}

pub(crate) async fn insert_user_tag(
    db: &impl ConnectionTrait,
    resource_type: &str,
    resource_uuid: &str,
    tag: &str,
) -> ApiResult<user_tag::Model> {
    let at = now();
    Ok(user_tag::ActiveModel {
        uuid: Set(new_uuid()),
        resource_uuid: Set(resource_uuid.to_string()),
        resource_type: Set(resource_type.to_string()),
        tag: Set(tag.to_string()),
        r#type: Set("User".into()),
        create_date: Set(at),
        last_op_date: Set(at),
    }
    .insert(db)
    .await?)
}

pub async fn create_system_tag(
    node: NodeContext,
    msg: APICreateSystemTagMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<system_tag::Model>> {
    table_of(&node, &msg.resource_type)?;
    check_pattern(&node, &msg.resource_type, &msg.tag)?;
    check_resource(&node, &ctx, &msg.resource_type, &msg.resource_uuid).await?;
    let tag = insert_system_tag(
        &node.db,
        &msg.resource_type,
        &msg.resource_uuid,
        &msg.tag,
        false,
    )
    .await?;
    Ok(tag.into())
}

pub async fn update_system_tag(
    node: NodeContext,
    msg: APIUpdateSystemTagMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<system_tag::Model>> {
    let tag = system_tag::Entity::find_by_id(msg.uuid.clone())
        .one(&node.db)
        .await?
        .ok_or_else(|| not_found(format!("system tag[uuid:{}] is not found", msg.uuid)))?;
    if tag.inherent {
        return Err(operr(format!(
            "system tag[uuid:{}, tag:{}] is inherent and cannot be changed",
            tag.uuid, tag.tag
        )));
    }
    check_pattern(&node, &tag.resource_type, &msg.tag)?;
    check_resource(&node, &ctx, &tag.resource_type, &tag.resource_uuid).await?;
    let mut active: system_tag::ActiveModel = tag.into();
    active.tag = Set(msg.tag);
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?.into())
}

pub async fn create_user_tag(
    node: NodeContext,
    msg: APICreateUserTagMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<user_tag::Model>> {
    check_resource(&node, &ctx, &msg.resource_type, &msg.resource_uuid).await?;
    let tag = insert_user_tag(&node.db, &msg.resource_type, &msg.resource_uuid, &msg.tag).await?;
    Ok(tag.into())
}

pub async fn delete_tag(
    node: NodeContext,
    msg: APIDeleteTagMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    if let Some(tag) = system_tag::Entity::find_by_id(msg.uuid.clone())
        .one(&node.db)
        .await?
    {
        if tag.inherent {
            return Err(operr(format!(
                "system tag[uuid:{}, tag:{}] is inherent and cannot be deleted",
                tag.uuid, tag.tag
            )));
        }
        check_resource(&node, &ctx, &tag.resource_type, &tag.resource_uuid).await?;
        system_tag::Entity::delete_by_id(tag.uuid)
            .exec(&node.db)
            .await?;
    } else if let Some(tag) = user_tag::Entity::find_by_id(msg.uuid.clone())
        .one(&node.db)
        .await?
    {
        check_resource(&node, &ctx, &tag.resource_type, &tag.resource_uuid).await?;
        user_tag::Entity::delete_by_id(tag.uuid)
            .exec(&node.db)
            .await?;
    }
    // A tag already gone is not an error (as with every ZStack delete).
    Ok(EmptyReply {})
}

pub async fn attach_tags(
    node: NodeContext,
    msg: AttachTagsMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    for tag in &msg.system_tags {
        check_pattern(&node, &msg.resource_type, tag)?;
    }
    for tag in &msg.system_tags {
        insert_system_tag(
            &node.db,
            &msg.resource_type,
            &msg.resource_uuid,
            tag,
            msg.inherent,
        )
        .await?;
    }
    for tag in &msg.user_tags {
        insert_user_tag(&node.db, &msg.resource_type, &msg.resource_uuid, tag).await?;
    }
    Ok(EmptyReply {})
}

pub async fn list_system_tags(
    node: NodeContext,
    msg: ListSystemTagsMsg,
    _ctx: MsgContext,
) -> ApiResult<Vec<ResourceTag>> {
    Ok(system_tag::Entity::find()
        .filter(system_tag::Column::ResourceType.eq(msg.resource_type))
        .filter(system_tag::Column::Tag.starts_with(msg.prefix))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|t| ResourceTag {
            resource_uuid: t.resource_uuid,
            tag: t.tag,
        })
        .collect())
}

/// A resource's tags go when it goes, whatever family it belongs to.
pub struct TagCascade;

impl CascadeFamily for TagCascade {
    const MESSAGE: &'static str = "TagCascadeMsg";
    const PARENTS: &'static [&'static str] = &["*"];
}

pub async fn resources_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    if req.check_only {
        return Ok(());
    }
    system_tag::Entity::delete_many()
        .filter(system_tag::Column::ResourceUuid.is_in(req.parent_uuids.clone()))
        .exec(&node.db)
        .await?;
    user_tag::Entity::delete_many()
        .filter(user_tag::Column::ResourceUuid.is_in(req.parent_uuids))
        .exec(&node.db)
        .await?;
    Ok(())
}
