//! Who owns what: every resource created through the API is owned by the creator's account
//! (ZStack's AccountResourceRefVO). Accounts other than admin see and touch only what they own,
//! and use what is shared with them (see `sharing`).

use sea_orm::QueryFilter;
use sea_orm::entity::prelude::*;
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::ApiError;
use zstack_kernel::identity::{CheckAccessMsg, ResourceKey};
use zstack_kernel::query::OwnerTable;
use zstack_kernel::schema::CreateTables;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::sharing;

pub mod resource_ref {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_resource_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub resource_uuid: String,
        pub account_uuid: String,
        pub resource_type: String,
        pub create_date: chrono::DateTime<chrono::Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub const OWNERSHIP: OwnerTable = OwnerTable {
    table: "account_resource_ref",
    resource_column: "resource_uuid",
    account_column: "account_uuid",
    type_column: "resource_type",
    date_column: "create_date",
};

pub async fn check_access(
    node: NodeContext,
    msg: CheckAccessMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let uuids: Vec<String> = msg.resources.iter().map(|r| r.uuid.clone()).collect();
    let owned: Vec<(String, String)> = resource_ref::Entity::find()
        .filter(resource_ref::Column::ResourceUuid.is_in(uuids))
        .filter(resource_ref::Column::AccountUuid.eq(msg.account_uuid.clone()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|r| (r.resource_uuid, r.resource_type))
        .collect();
    let matches = |want: &ResourceKey, found: &[(String, String)]| {
        found.iter().any(|(uuid, vo)| {
            *uuid == want.uuid && want.resource_type.as_ref().is_none_or(|t| t == vo)
        })
    };
    let not_owned: Vec<&ResourceKey> = msg
        .resources
        .iter()
        .filter(|want| !matches(want, &owned))
        .collect();
    let usable: Vec<&ResourceKey> = not_owned.iter().copied().filter(|r| r.shared).collect();
    let shared = sharing::shared_with(&node.db, &msg.account_uuid, &usable).await?;
    let foreign: Vec<String> = not_owned
        .into_iter()
        .filter(|want| !(want.shared && matches(want, &shared)))
        .map(|r| match &r.resource_type {
            Some(vo) => format!("{vo}[uuid:{}]", r.uuid),
            None => format!("resource[uuid:{}]", r.uuid),
        })
        .collect();
    if foreign.is_empty() {
        return Ok(EmptyReply {});
    }
    Err(ApiError::PermissionDenied(format!(
        "account[uuid:{}] has no access to {}",
        msg.account_uuid,
        foreign.join(", ")
    ))
    .into())
}

/// Forgets what an account owned (its resources stay, for admin to see and manage).
pub async fn forget_account(node: &NodeContext, account_uuid: &str) -> ApiResult<()> {
    resource_ref::Entity::delete_many()
        .filter(resource_ref::Column::AccountUuid.eq(account_uuid))
        .exec(&node.db)
        .await?;
    Ok(())
}

/// Forgets the owners of resources that are gone (or whose uuid a new resource took).
pub async fn forget_resources<C: ConnectionTrait>(db: &C, uuids: &[String]) -> ApiResult<()> {
    resource_ref::Entity::delete_many()
        .filter(resource_ref::Column::ResourceUuid.is_in(uuids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

pub fn migration() -> CreateTables {
    CreateTables::new("m0012_account_resource_ref")
        .table(
            Table::create()
                .table("account_resource_ref")
                .col(string_len("resource_uuid", 32).primary_key())
                .col(string_len("account_uuid", 32))
                .col(string_len("resource_type", 255))
                .col(timestamp_with_time_zone("create_date")),
        )
        .index(
            Index::create()
                .name("idx_account_resource_ref_account")
                .table("account_resource_ref")
                .col("account_uuid"),
        )
}
