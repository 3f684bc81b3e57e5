//! The GC job table (ZStack's `GarbageCollectorVO`) and the conditional updates that move a job
//! between Idle, Processing and Done, so that one node at a time runs it.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter, QuerySelect};
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    big_integer_null, boolean, string_len, string_len_null, text, timestamp_with_time_zone,
    timestamp_with_time_zone_null,
};

use crate::api::ResourceRef;
use crate::schema::CreateTables;
use crate::time::now;

/// GC jobs as checks and queries name them. They are not resources of the node-wide resource
/// table: no account owns them, so only admin sees and touches them.
pub const GC_JOB: ResourceRef = ResourceRef {
    table: "gc_job",
    vo_name: "GarbageCollectorVO",
};

pub const IDLE: &str = "Idle";
pub const PROCESSING: &str = "Processing";
pub const DONE: &str = "Done";

pub const EVENT_BASED: &str = "EventBased";
pub const TIME_BASED: &str = "TimeBased";

pub mod job {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "gc_job")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub name: String,
        /// The stable name a family registered its runner under.
        pub runner_class: String,
        /// The runner's input, as JSON text.
        #[sea_orm(column_type = "Text")]
        pub context: String,
        /// Idle, Processing or Done.
        pub status: String,
        /// EventBased or TimeBased.
        pub r#type: String,
        /// The node that waits for the job's events or times (`None`: no node yet).
        pub management_node_uuid: Option<String>,
        /// Event-based: the resource whose events wake the job.
        pub wake_uuid: Option<String>,
        /// Event-based: the status the resource must change to.
        pub wake_status: Option<String>,
        /// Event-based: the resource's deletion wakes it too.
        pub wake_on_delete: bool,
        /// Time-based: seconds between two tries, and when the next is due.
        pub interval_secs: Option<i64>,
        pub next_run_date: Option<DateTime<Utc>>,
        pub create_date: DateTime<Utc>,
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub use job::{Column, Entity, Model};

pub fn migration() -> CreateTables {
    CreateTables::new("m0040_gc_job")
        .table(
            Table::create()
                .table(GC_JOB.table)
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("name", 255))
                .col(string_len("runner_class", 255))
                .col(text("context"))
                .col(string_len("status", 32))
                .col(string_len("type", 32))
                .col(string_len_null("management_node_uuid", 32))
                .col(string_len_null("wake_uuid", 32))
                .col(string_len_null("wake_status", 32))
                .col(boolean("wake_on_delete"))
                .col(big_integer_null("interval_secs"))
                .col(timestamp_with_time_zone_null("next_run_date"))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_gc_job_management_node_uuid")
                .table(GC_JOB.table)
                .col("management_node_uuid"),
        )
        .index(
            Index::create()
                .name("idx_gc_job_wake_uuid")
                .table(GC_JOB.table)
                .col("wake_uuid"),
        )
}

pub async fn insert<C: ConnectionTrait>(db: &C, row: Model) -> Result<(), DbErr> {
    let active = job::ActiveModel {
        uuid: Set(row.uuid),
        name: Set(row.name),
        runner_class: Set(row.runner_class),
        context: Set(row.context),
        status: Set(row.status),
        r#type: Set(row.r#type),
        management_node_uuid: Set(row.management_node_uuid),
        wake_uuid: Set(row.wake_uuid),
        wake_status: Set(row.wake_status),
        wake_on_delete: Set(row.wake_on_delete),
        interval_secs: Set(row.interval_secs),
        next_run_date: Set(row.next_run_date),
        create_date: Set(row.create_date),
        last_op_date: Set(row.last_op_date),
    };
    Entity::insert(active).exec_without_returning(db).await?;
    Ok(())
}

pub async fn find(db: &DatabaseConnection, uuid: &str) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(uuid.to_string()).one(db).await
}

/// Idle → Processing; tells whether this caller got the job (no one else runs it now).
pub async fn claim(db: &DatabaseConnection, uuid: &str) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(PROCESSING))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(uuid))
        .filter(Column::Status.eq(IDLE))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Processing → Done.
pub async fn finish(db: &DatabaseConnection, uuid: &str) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(DONE))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(uuid))
        .filter(Column::Status.eq(PROCESSING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Processing → Idle, to be tried again (a time-based job at `next_run`).
pub async fn release(
    db: &DatabaseConnection,
    uuid: &str,
    next_run: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::Status, Expr::value(IDLE))
        .col_expr(Column::LastOpDate, Expr::value(now()));
    if let Some(at) = next_run {
        update = update.col_expr(Column::NextRunDate, Expr::value(at));
    }
    let res = update
        .filter(Column::Uuid.eq(uuid))
        .filter(Column::Status.eq(PROCESSING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// The Idle event-based jobs of node `owner` that an event about resources `uuids` wakes:
/// their change to `status`, or (with `None`) their deletion.
pub async fn woken(
    db: &DatabaseConnection,
    owner: &str,
    uuids: Vec<String>,
    status: Option<&str>,
) -> Result<Vec<String>, DbErr> {
    let mut select = Entity::find()
        .select_only()
        .column(Column::Uuid)
        .filter(Column::Status.eq(IDLE))
        .filter(Column::Type.eq(EVENT_BASED))
        .filter(Column::ManagementNodeUuid.eq(owner))
        .filter(Column::WakeUuid.is_in(uuids));
    select = match status {
        Some(status) => select.filter(Column::WakeStatus.eq(status)),
        None => select.filter(Column::WakeOnDelete.eq(true)),
    };
    select.into_tuple().all(db).await
}

/// The Idle time-based jobs of node `owner` whose next try is due.
pub async fn due(db: &DatabaseConnection, owner: &str) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Uuid)
        .filter(Column::Status.eq(IDLE))
        .filter(Column::Type.eq(TIME_BASED))
        .filter(Column::ManagementNodeUuid.eq(owner))
        .filter(Column::NextRunDate.lte(now()))
        .into_tuple()
        .all(db)
        .await
}

/// The Idle event-based jobs of node `owner`.
pub async fn waiting(db: &DatabaseConnection, owner: &str) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Uuid)
        .filter(Column::Status.eq(IDLE))
        .filter(Column::Type.eq(EVENT_BASED))
        .filter(Column::ManagementNodeUuid.eq(owner))
        .into_tuple()
        .all(db)
        .await
}

/// Jobs not Done whose node is `owner` (`None`: any node that is not one of `alive`), with
/// their node and status.
pub async fn unfinished_of(
    db: &DatabaseConnection,
    owner: Option<&str>,
    alive: Vec<String>,
) -> Result<Vec<(String, Option<String>, String)>, DbErr> {
    let select = Entity::find()
        .select_only()
        .column(Column::Uuid)
        .column(Column::ManagementNodeUuid)
        .column(Column::Status)
        .filter(Column::Status.ne(DONE));
    let select = match owner {
        Some(owner) => select.filter(Column::ManagementNodeUuid.eq(owner)),
        None => select.filter(
            sea_orm::Condition::any()
                .add(Column::ManagementNodeUuid.is_null())
                .add(Column::ManagementNodeUuid.is_not_in(alive)),
        ),
    };
    select.into_tuple().all(db).await
}

/// Moves job `uuid` from node `from` to node `to`, unless it moved or finished meanwhile. A
/// Processing job goes back to Idle only when `reset` (its run died with `from`).
pub async fn adopt(
    db: &DatabaseConnection,
    uuid: &str,
    from: Option<&str>,
    to: &str,
    reset: bool,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .col_expr(Column::ManagementNodeUuid, Expr::value(to))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.eq(uuid));
    update = match from {
        Some(from) => update.filter(Column::ManagementNodeUuid.eq(from)),
        None => update.filter(Column::ManagementNodeUuid.is_null()),
    };
    update = if reset {
        update
            .col_expr(Column::Status, Expr::value(IDLE))
            .filter(Column::Status.ne(DONE))
    } else {
        update.filter(Column::Status.eq(IDLE))
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Processing → Idle for node `owner`'s jobs: the runs of its earlier life died with it.
pub async fn reset_own(db: &DatabaseConnection, owner: &str) -> Result<u64, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(IDLE))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::ManagementNodeUuid.eq(owner))
        .filter(Column::Status.eq(PROCESSING))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Removes Done jobs last changed before `before`.
pub async fn purge(db: &DatabaseConnection, before: DateTime<Utc>) -> Result<u64, DbErr> {
    let res = Entity::delete_many()
        .filter(Column::Status.eq(DONE))
        .filter(Column::LastOpDate.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

pub async fn delete(db: &DatabaseConnection, uuid: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(uuid.to_string()).exec(db).await?;
    Ok(())
}
