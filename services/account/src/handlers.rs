//! Login, logout, session checks, and the admin account of a fresh database.

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::error::ApiError;
use zstack_kernel::identity::CheckSessionMsg;
use zstack_kernel::message::new_uuid;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, SessionInfo};

use crate::credentials::{self, Verdict};
use crate::entity::session::SessionInventory;
use crate::entity::{account, session};
use crate::messages::{
    APILogInByAccountMsg, APILogOutMsg, APIValidateSessionMsg, ValidateSessionReply,
};
use crate::session_cache::{ForgetSessionsMsg, LookUpSessionMsg, SessionLookup, forget_everywhere};
use crate::throttle;

pub const ADMIN_UUID: &str = "36c27e8ff05c4780bf6d2fa65700f22e";
pub const ADMIN_NAME: &str = "admin";
/// sha512("password"), ZStack's initial admin password.
pub const ADMIN_INITIAL_PASSWORD: &str = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";
pub const SYSTEM_ADMIN: &str = "SystemAdmin";

/// Creates the admin account unless it exists (several nodes may race to do it), its password
/// stored hashed like any other.
pub async fn ensure_admin(node: &NodeContext) -> ApiResult<()> {
    let exists = account::Entity::find_by_id(ADMIN_UUID.to_string())
        .one(&node.db)
        .await?
        .is_some();
    if exists {
        return Ok(());
    }
    let at = now();
    let admin = account::ActiveModel {
        uuid: Set(ADMIN_UUID.into()),
        name: Set(ADMIN_NAME.into()),
        password: Set(credentials::hash(ADMIN_INITIAL_PASSWORD).await?),
        r#type: Set(SYSTEM_ADMIN.into()),
        description: Set(None),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    account::Entity::insert(admin)
        .on_conflict_do_nothing()
        .exec(&node.db)
        .await?;
    Ok(())
}

pub async fn log_in(
    node: NodeContext,
    msg: APILogInByAccountMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<SessionInventory>> {
    let attempt = throttle::begin(&node, &msg.account_name, &ctx).await?;
    let account = account::Entity::find()
        .filter(account::Column::Name.eq(msg.account_name.as_str()))
        .one(&node.db)
        .await?;
    let stored = account.as_ref().map(|a| a.password.clone());
    let rehashed = match credentials::verify(stored.clone(), &msg.password).await? {
        Verdict::Accepted { rehashed } => rehashed,
        Verdict::Refused => {
            attempt.failed(&node).await?;
            return Err(ApiError::WrongCredentials.into());
        }
    };
    let Some(account) = account else {
        return Err(ApiError::WrongCredentials.into());
    };
    attempt.succeeded(&node).await?;
    if let (Some(new), Some(old)) = (rehashed, stored) {
        // Unless the row changed meanwhile, a legacy plain-sha512 row becomes a slow hash.
        account::Entity::update_many()
            .col_expr(account::Column::Password, Expr::value(new))
            .filter(account::Column::Uuid.eq(account.uuid.as_str()))
            .filter(account::Column::Password.eq(old))
            .exec(&node.db)
            .await?;
    }
    let at = now();
    let timeout = Duration::from_std(node.config.session_timeout)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let token = new_uuid();
    let session = session::ActiveModel {
        token_hash: Set(credentials::token_hash(&token)),
        account_uuid: Set(account.uuid.clone()),
        user_uuid: Set(account.uuid),
        expired_date: Set(at + timeout),
        create_date: Set(at),
    }
    .insert(&node.db)
    .await?;
    Ok(SessionInventory::new(token, session).into())
}

pub async fn log_out(
    node: NodeContext,
    msg: APILogOutMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    session::Entity::delete_by_id(credentials::token_hash(&msg.session_uuid))
        .exec(&node.db)
        .await?;
    let ended = ForgetSessionsMsg {
        session_uuids: vec![msg.session_uuid],
        ..Default::default()
    };
    forget_everywhere(&node, ended).await;
    Ok(EmptyReply {})
}

/// The session behind token `uuid` if it is valid (one query, with its account), with how long
/// it stays valid; an expired one is removed.
async fn valid_session(node: &NodeContext, uuid: &str) -> ApiResult<Option<SessionLookup>> {
    let Some((found, owner)) = session::Entity::find_by_id(credentials::token_hash(uuid))
        .find_also_related(account::Entity)
        .one(&node.db)
        .await?
    else {
        return Ok(None);
    };
    let left = found.expired_date - now();
    if left <= chrono::TimeDelta::zero() {
        session::Entity::delete_by_id(found.token_hash)
            .exec(&node.db)
            .await?;
        return Ok(None);
    }
    Ok(Some(SessionLookup {
        session: SessionInfo {
            uuid: uuid.to_string(),
            account_uuid: found.account_uuid,
            user_uuid: found.user_uuid,
            is_admin: owner.is_some_and(|a| a.r#type == SYSTEM_ADMIN),
        },
        valid_for_ms: u64::try_from(left.num_milliseconds()).unwrap_or(0),
    }))
}

fn invalid_session(uuid: &str) -> ErrorCode {
    ApiError::InvalidSession(format!("Session expired or invalid: session[uuid:{uuid}]")).into()
}

pub async fn look_up_session(
    node: NodeContext,
    msg: LookUpSessionMsg,
    _ctx: MsgContext,
) -> ApiResult<SessionLookup> {
    valid_session(&node, &msg.session_uuid)
        .await?
        .ok_or_else(|| invalid_session(&msg.session_uuid))
}

pub async fn check_session(
    node: NodeContext,
    msg: CheckSessionMsg,
    ctx: MsgContext,
) -> ApiResult<SessionInfo> {
    let look_up = LookUpSessionMsg {
        session_uuid: msg.session_uuid,
    };
    Ok(look_up_session(node, look_up, ctx).await?.session)
}

pub async fn validate(
    node: NodeContext,
    msg: APIValidateSessionMsg,
    _ctx: MsgContext,
) -> ApiResult<ValidateSessionReply> {
    Ok(ValidateSessionReply {
        valid: valid_session(&node, &msg.session_uuid).await?.is_some(),
    })
}

/// Deletes expired sessions; a session nobody presents again would otherwise stay forever.
pub async fn remove_expired_sessions(node: &NodeContext) -> ApiResult<u64> {
    let gone = session::Entity::delete_many()
        .filter(session::Column::ExpiredDate.lte(now()))
        .exec(&node.db)
        .await?;
    Ok(gone.rows_affected)
}
