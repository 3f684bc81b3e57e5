//! Accounts other than admin: created, listed and deleted by admin only.

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde::{Deserialize, Serialize};
pub use zstack_header::account::ACCOUNT;
use zstack_kernel::api::{EmptyReply, Inventory, InventoryReply};
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::error::{ApiError, argerr, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::create_resource_or;
use zstack_kernel::resource::registry::release;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::entity::account;
use crate::handlers::ADMIN_UUID;
use crate::messages::{APICreateAccountMsg, APIDeleteAccountMsg};
use crate::session_cache::{ForgetSessionsMsg, forget_everywhere};
use crate::{ownership, sharing};

/// `AccountInventory`: an account without its password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountInventory {
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type")]
    pub r#type: String,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: chrono::DateTime<chrono::Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: chrono::DateTime<chrono::Utc>,
}

impl Inventory for AccountInventory {
    const CLASS: &'static str = "org.zstack.header.identity.AccountInventory";
    const VO_NAME: Option<&'static str> = Some("AccountVO");
}

impl From<account::Model> for AccountInventory {
    fn from(a: account::Model) -> Self {
        AccountInventory {
            uuid: a.uuid,
            name: a.name,
            description: a.description,
            r#type: a.r#type,
            create_date: a.create_date,
            last_op_date: a.last_op_date,
        }
    }
}

/// Account management is admin's.
pub fn admin_only(ctx: &MsgContext, what: &str) -> Result<(), ErrorCode> {
    match &ctx.session {
        Some(s) if s.is_admin => Ok(()),
        Some(s) => Err(ApiError::PermissionDenied(format!(
            "account[uuid:{}] is not admin and cannot {what}",
            s.account_uuid
        ))
        .into()),
        None => Err(ApiError::PermissionDenied(format!("only admin can {what}")).into()),
    }
}

pub async fn create(
    node: NodeContext,
    msg: APICreateAccountMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<AccountInventory>> {
    admin_only(&ctx, "create accounts")?;
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = account::ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name.clone()),
        password: Set(crate::credentials::hash(&msg.password).await?),
        r#type: Set(msg.r#type.unwrap_or_else(|| "Normal".into())),
        description: Set(msg.description),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    let created = create_resource_or(&node, &node.db, &ctx, ACCOUNT, &uuid, row, |_| {
        argerr(format!("an account named [{}] already exists", msg.name))
    })
    .await?;
    // An account sees itself in its own queries.
    ownership::OWNERSHIP
        .record(&node.db, &created.uuid, &created.uuid, ACCOUNT.vo_name)
        .await?;
    Ok(AccountInventory::from(created).into())
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteAccountMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    admin_only(&ctx, "delete accounts")?;
    if msg.uuid == ADMIN_UUID {
        return Err(operr("the admin account cannot be deleted"));
    }
    // Its sessions go with it (foreign key); what it owned stays, for admin.
    account::Entity::delete_by_id(msg.uuid.clone())
        .exec(&node.db)
        .await?;
    release(&node.db, ACCOUNT, std::slice::from_ref(&msg.uuid)).await?;
    ownership::forget_account(&node, &msg.uuid).await?;
    sharing::forget_account(&node.db, &msg.uuid).await?;
    let ended = ForgetSessionsMsg {
        account_uuids: vec![msg.uuid],
        ..Default::default()
    };
    forget_everywhere(&node, ended).await;
    Ok(EmptyReply {})
}

/// Owner records and shares go when their resources go, whatever family those belong to.
pub struct OwnershipCascade;

impl CascadeFamily for OwnershipCascade {
    const MESSAGE: &'static str = "AccountResourceRefCascadeMsg";
    const PARENTS: &'static [&'static str] = &["*"];
}

pub async fn resources_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    if req.check_only {
        return Ok(());
    }
    ownership::forget_resources(&node.db, &req.parent_uuids).await?;
    sharing::forget_resources(&node.db, &req.parent_uuids).await
}
