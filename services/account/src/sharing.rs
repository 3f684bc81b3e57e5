//! Sharing (ZStack's SharedResourceVO): an account shares what it owns (admin: anything) with
//! other accounts or with every account. Those it is shared with see it in their queries and may
//! use it where a call only uses a resource (`checks().resource(X).shared()`: the image, offering
//! and L3 network of a new VM); they never change it.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, Condition, QueryFilter};
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{boolean, string_len, string_len_null, timestamp_with_time_zone};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{ApiError, argerr, not_found};
use zstack_kernel::identity::ResourceKey;
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable, ShareTable};
use zstack_kernel::resource::registry;
use zstack_kernel::schema::CreateTables;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, SessionInfo};

use crate::messages::{APIRevokeResourceSharingMsg, APIShareResourceMsg};

pub mod shared_resource {
    use super::*;

    /// One share of a resource by one owner with one account, or with every account.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "shared_resource")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub owner_account_uuid: String,
        /// The receiving account's uuid, or [`PUBLIC`]: with the two above, the key, so that
        /// sharing twice (racing requests included) records one share.
        #[sea_orm(primary_key, auto_increment = false)]
        pub receiver: String,
        pub receiver_account_uuid: Option<String>,
        pub to_public: bool,
        pub resource_type: String,
        pub create_date: chrono::DateTime<chrono::Utc>,
        pub last_op_date: chrono::DateTime<chrono::Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use shared_resource::{ActiveModel, Column, Entity as SharedResource};

/// The receiver key of a share with every account.
const PUBLIC: &str = "public";

pub const SHARING: ShareTable = ShareTable {
    table: "shared_resource",
    resource_column: "resource_uuid",
    type_column: "resource_type",
    receiver_column: "receiver_account_uuid",
    public_column: "to_public",
};

/// ZStack's `nonempty` on `resourceUuids`.
fn some_resources(uuids: &[String]) -> ApiResult<()> {
    if uuids.is_empty() {
        return Err(argerr("resourceUuids cannot be empty"));
    }
    Ok(())
}

fn caller(ctx: &MsgContext) -> ApiResult<&SessionInfo> {
    ctx.session
        .as_ref()
        .ok_or_else(|| ApiError::PermissionDenied("sharing needs a session".into()).into())
}

pub async fn share(
    node: NodeContext,
    msg: APIShareResourceMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let owner = caller(&ctx)?.account_uuid.clone();
    some_resources(&msg.resource_uuids)?;
    let to_public = msg.to_public.unwrap_or(false);
    let accounts = msg.account_uuids.unwrap_or_default();
    if !to_public && accounts.is_empty() {
        return Err(argerr(
            "toPublic is set to false, accountUuids cannot be null or empty",
        ));
    }
    // With every account, or with those named (ZStack: toPublic decides).
    let receivers: Vec<Option<String>> = if to_public {
        vec![None]
    } else {
        accounts.into_iter().map(Some).collect()
    };
    let at = now();
    let mut rows = Vec::new();
    for uuid in &msg.resource_uuids {
        let resource_type = registry::type_of(&node.db, uuid)
            .await?
            .ok_or_else(|| not_found(format!("resource[uuid:{uuid}] is not found")))?;
        for receiver in &receivers {
            rows.push(ActiveModel {
                resource_uuid: Set(uuid.clone()),
                owner_account_uuid: Set(owner.clone()),
                receiver: Set(receiver.clone().unwrap_or_else(|| PUBLIC.into())),
                receiver_account_uuid: Set(receiver.clone()),
                to_public: Set(receiver.is_none()),
                resource_type: Set(resource_type.clone()),
                create_date: Set(at),
                last_op_date: Set(at),
            });
        }
    }
    if rows.is_empty() {
        return Ok(EmptyReply {});
    }
    SharedResource::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                Column::ResourceUuid,
                Column::OwnerAccountUuid,
                Column::Receiver,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&node.db)
        .await?;
    tracing::info!(resources = ?msg.resource_uuids, %owner, to_public, "resources shared");
    Ok(EmptyReply {})
}

pub async fn revoke(
    node: NodeContext,
    msg: APIRevokeResourceSharingMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let session = caller(&ctx)?;
    some_resources(&msg.resource_uuids)?;
    let all = msg.all.unwrap_or(false);
    let to_public = msg.to_public.unwrap_or(false);
    let accounts = msg.account_uuids.unwrap_or_default();
    if !all && !to_public && accounts.is_empty() {
        return Err(argerr(
            "all is set to false, accountUuids cannot be null or empty",
        ));
    }
    let mut which = Condition::any();
    if all {
        which = which.add(Column::ResourceUuid.is_not_null());
    }
    if to_public {
        which = which.add(Column::ToPublic.eq(true));
    }
    if !accounts.is_empty() {
        which = which.add(Column::ReceiverAccountUuid.is_in(accounts));
    }
    let mut delete = SharedResource::delete_many()
        .filter(Column::ResourceUuid.is_in(msg.resource_uuids.clone()))
        .filter(which);
    // An account takes back only what it shared; admin, any share.
    if !session.is_admin {
        delete = delete.filter(Column::OwnerAccountUuid.eq(session.account_uuid.clone()));
    }
    let gone = delete.exec(&node.db).await?;
    tracing::info!(resources = ?msg.resource_uuids, revoked = gone.rows_affected, "sharing revoked");
    Ok(EmptyReply {})
}

/// Which of `wanted` (resources a call only uses) are shared with `account` or with every
/// account, by uuid and type.
pub async fn shared_with(
    db: &DatabaseConnection,
    account: &str,
    wanted: &[&ResourceKey],
) -> ApiResult<Vec<(String, String)>> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let uuids: Vec<String> = wanted.iter().map(|r| r.uuid.clone()).collect();
    Ok(SharedResource::find()
        .filter(Column::ResourceUuid.is_in(uuids))
        .filter(
            Condition::any()
                .add(Column::ReceiverAccountUuid.eq(account))
                .add(Column::ToPublic.eq(true)),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.resource_uuid, s.resource_type))
        .collect())
}

/// Forgets the shares of resources that are gone (or whose uuid a new resource took).
pub async fn forget_resources<C: ConnectionTrait>(db: &C, uuids: &[String]) -> ApiResult<()> {
    SharedResource::delete_many()
        .filter(Column::ResourceUuid.is_in(uuids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every share an account made or received (it is gone).
pub async fn forget_account<C: ConnectionTrait>(db: &C, account_uuid: &str) -> ApiResult<()> {
    SharedResource::delete_many()
        .filter(
            Condition::any()
                .add(Column::OwnerAccountUuid.eq(account_uuid))
                .add(Column::ReceiverAccountUuid.eq(account_uuid)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// `GET /accounts/resources` (QuerySharedResource): admin sees every share, other accounts the
/// shares they made or received.
pub struct SharedResourceQuery;

impl Queryable for SharedResourceQuery {
    const QUERY_API: &'static str = "APIQuerySharedResourceMsg";
    const PATH: &'static str = "/accounts/resources";
    const PATH_BY_UUID: Option<&'static str> = None;

    fn meta() -> QueryMeta {
        let mut meta = QueryMeta::new(
            "sharedResource",
            SHARING.table,
            "org.zstack.header.identity.SharedResourceInventory",
        )
        .field("ownerAccountUuid", FieldKind::Str)
        .field("receiverAccountUuid", FieldKind::Str)
        .field("toPublic", FieldKind::Bool)
        .field("resourceType", FieldKind::Str)
        .field("resourceUuid", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .seen_by(&["owner_account_uuid", "receiver_account_uuid"]);
        // A share has no uuid of its own.
        meta.primary_key = "resourceUuid";
        meta
    }
}

pub fn migration() -> CreateTables {
    CreateTables::new("m0014_account_shared_resource")
        .table(
            Table::create()
                .table(SHARING.table)
                .col(string_len("resource_uuid", 32))
                .col(string_len("owner_account_uuid", 32))
                .col(string_len("receiver", 32))
                .col(string_len_null("receiver_account_uuid", 32))
                .col(boolean("to_public"))
                .col(string_len("resource_type", 255))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date"))
                .primary_key(
                    Index::create()
                        .col("resource_uuid")
                        .col("owner_account_uuid")
                        .col("receiver"),
                ),
        )
        .index(
            Index::create()
                .name("idx_shared_resource_receiver")
                .table(SHARING.table)
                .col("receiver_account_uuid"),
        )
}
