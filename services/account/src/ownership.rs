//! Who owns what: every resource created through the API is owned by the creator's account
//! (ZStack's AccountResourceRefVO). Accounts other than admin see and touch only what they own.

use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryFilter};
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::ApiError;
use zstack_kernel::identity::{CheckAccessMsg, OwnResourceMsg};
use zstack_kernel::query::LinkTable;
use zstack_kernel::schema::CreateTables;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

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

pub const OWNERSHIP: LinkTable = LinkTable {
    table: "account_resource_ref",
    resource_column: "resource_uuid",
    value_column: "account_uuid",
};

pub async fn own_resource(
    node: NodeContext,
    msg: OwnResourceMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let row = resource_ref::ActiveModel {
        resource_uuid: Set(msg.resource_uuid),
        account_uuid: Set(msg.account_uuid),
        resource_type: Set(msg.resource_type),
        create_date: Set(now()),
    };
    resource_ref::Entity::insert(row)
        .on_conflict_do_nothing()
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}

pub async fn check_access(
    node: NodeContext,
    msg: CheckAccessMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let owned: Vec<String> = resource_ref::Entity::find()
        .filter(resource_ref::Column::ResourceUuid.is_in(msg.resource_uuids.clone()))
        .filter(resource_ref::Column::AccountUuid.eq(msg.account_uuid.clone()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|r| r.resource_uuid)
        .collect();
    match msg.resource_uuids.iter().find(|u| !owned.contains(u)) {
        None => Ok(EmptyReply {}),
        Some(other) => Err(ApiError::PermissionDenied(format!(
            "account[uuid:{}] has no access to resource[uuid:{other}]",
            msg.account_uuid
        ))
        .into()),
    }
}

/// Forgets what an account owned (its resources stay, for admin to see and manage).
pub async fn forget_account(node: &NodeContext, account_uuid: &str) -> ApiResult<()> {
    resource_ref::Entity::delete_many()
        .filter(resource_ref::Column::AccountUuid.eq(account_uuid))
        .exec(&node.db)
        .await?;
    Ok(())
}

/// Forgets the owners of resources that are gone.
pub async fn forget_resources(node: &NodeContext, uuids: &[String]) -> ApiResult<()> {
    resource_ref::Entity::delete_many()
        .filter(resource_ref::Column::ResourceUuid.is_in(uuids.to_vec()))
        .exec(&node.db)
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
