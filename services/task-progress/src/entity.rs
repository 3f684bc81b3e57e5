//! One row per reported entry: a stage (`Task`) or how far one is (`Progress`).

use sea_orm::entity::prelude::*;
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, string_len, string_len_null, text, text_null,
    timestamp_with_time_zone,
};
use zstack_kernel::schema::CreateTables;

pub const TABLE: &str = "api_task_progress";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "api_task_progress")]
pub struct Model {
    /// The order entries were stored in (several may share a millisecond).
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_uuid: String,
    pub api_id: String,
    pub task_name: String,
    pub parent_uuid: Option<String>,
    pub r#type: String,
    pub content: String,
    pub opaque: Option<String>,
    pub total_steps: Option<i64>,
    pub current_step: Option<i64>,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// When the entry goes (ms), set once its API has ended.
    pub time_to_delete: Option<i64>,
    pub create_date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

pub fn migration() -> CreateTables {
    CreateTables::new("m1000_task_progress")
        .table(
            Table::create()
                .table(TABLE)
                .col(big_pk_auto("id"))
                .col(string_len("task_uuid", 32))
                .col(string_len("api_id", 64))
                .col(string_len("task_name", 255))
                .col(string_len_null("parent_uuid", 32))
                .col(string_len("type", 32))
                .col(text("content"))
                .col(text_null("opaque"))
                .col(big_integer_null("total_steps"))
                .col(big_integer_null("current_step"))
                .col(big_integer("time"))
                .col(big_integer_null("time_to_delete"))
                .col(timestamp_with_time_zone("create_date")),
        )
        .index(
            Index::create()
                .name("idx_api_task_progress_api_id")
                .table(TABLE)
                .col("api_id"),
        )
}
