//! Durable API jobs (ZStack's `AsyncRestVO`): written before the 202 goes out, completed with the
//! body a poll returns, readable from any node.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ConnectionTrait, QueryFilter, QuerySelect};
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{
    boolean_null, string_len, string_len_null, text_null, timestamp_with_time_zone,
};

use crate::error::{ApiError, ErrorCode};
use crate::schema::{AddColumns, CreateTables};
use crate::time::now;

pub mod job {
    use super::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_job")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub api_name: String,
        pub state: String,
        pub success: Option<bool>,
        #[sea_orm(column_type = "Text", nullable)]
        pub result: Option<String>,
        pub web_hook: Option<String>,
        pub node_uuid: String,
        pub create_date: DateTime<Utc>,
        pub last_op_date: DateTime<Utc>,
        /// The resource a create running as this job committed (with [`WORK_DONE`]).
        pub resource_type: Option<String>,
        pub resource_uuid: Option<String>,
        /// The account that submitted the job; only it and admin may poll it.
        pub account_uuid: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Running; its work has not committed.
pub const PROCESSING: &str = "processing";
/// Running, and its work has committed (in the same transaction as this state): if its node
/// dies now, the job still ends as a success.
pub const WORK_DONE: &str = "workDone";
/// Running past its timeout, stopped before its work committed: the work will not commit.
pub const STOPPED: &str = "stopped";
pub const DONE: &str = "done";

/// The header that carries an async API's job uuid to the handler, on whichever node it runs,
/// so the work can mark its job in its own transaction.
pub const JOB_HEADER: &str = "apiJob";

/// Marks job `job` as having done its work, inside the transaction `db` of that work: the work
/// commits only while the job is still running and not stopped, so a job that already ended
/// (timed out, or failed because its node was declared dead) leaves nothing behind.
pub async fn mark_done_work<C: ConnectionTrait>(
    db: &C,
    job: &str,
    resource_type: &str,
    resource_uuid: &str,
) -> Result<(), ErrorCode> {
    let res = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(WORK_DONE))
        .col_expr(job::Column::ResourceType, Expr::value(resource_type))
        .col_expr(job::Column::ResourceUuid, Expr::value(resource_uuid))
        .filter(job::Column::Uuid.eq(job))
        .filter(job::Column::State.eq(PROCESSING))
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        return Ok(());
    }
    match job::Entity::find_by_id(job.to_string()).one(db).await? {
        // Called with no job behind it (a sync caller passing the header on): nothing to mark.
        None => Ok(()),
        Some(row) => Err(ApiError::Canceled(format!(
            "the job[uuid:{job}] had already ended ({}) when its work was about to commit; nothing was changed",
            row.state
        ))
        .into()),
    }
}

/// Stops a job that ran past its timeout, if its work has not committed: tells whether it was
/// stopped (its work can no longer commit) or has done its work (it must end with its result).
pub async fn stop(db: &DatabaseConnection, uuid: &str) -> Result<bool, DbErr> {
    let res = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(STOPPED))
        .col_expr(job::Column::LastOpDate, Expr::value(now()))
        .filter(job::Column::Uuid.eq(uuid))
        .filter(job::Column::State.eq(PROCESSING))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// What polling a job answers.
pub enum JobView {
    Running,
    Done { success: bool, body: String },
    Gone,
}

pub async fn exists(db: &DatabaseConnection, uuid: &str) -> Result<bool, DbErr> {
    Ok(job::Entity::find_by_id(uuid.to_string())
        .one(db)
        .await?
        .is_some())
}

/// A job about to be accepted.
pub struct NewJob<'a> {
    pub uuid: &'a str,
    pub api_name: &'a str,
    pub web_hook: Option<&'a str>,
    /// The node running it.
    pub node_uuid: &'a str,
    /// The account that submitted it (only it and admin may poll it).
    pub account_uuid: Option<&'a str>,
}

pub async fn create(db: &DatabaseConnection, new: NewJob<'_>) -> Result<(), DbErr> {
    let NewJob {
        uuid,
        api_name,
        web_hook,
        node_uuid,
        account_uuid,
    } = new;
    let at = now();
    job::ActiveModel {
        uuid: Set(uuid.to_string()),
        api_name: Set(api_name.to_string()),
        state: Set(PROCESSING.to_string()),
        success: Set(None),
        result: Set(None),
        web_hook: Set(web_hook.map(String::from)),
        node_uuid: Set(node_uuid.to_string()),
        create_date: Set(at),
        last_op_date: Set(at),
        resource_type: Set(None),
        resource_uuid: Set(None),
        account_uuid: Set(account_uuid.map(String::from)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Records a job's result, unless it has ended already (failed because its node was declared
/// dead); tells whether this call ended it. Whoever ends a job fires its webhook, so the
/// webhook fires once.
pub async fn complete(
    db: &DatabaseConnection,
    uuid: &str,
    success: bool,
    body: &str,
) -> Result<bool, DbErr> {
    let res = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(DONE))
        .col_expr(job::Column::Success, Expr::value(success))
        .col_expr(job::Column::Result, Expr::value(body))
        .col_expr(job::Column::LastOpDate, Expr::value(now()))
        .filter(job::Column::Uuid.eq(uuid))
        .filter(job::Column::State.is_in([PROCESSING, WORK_DONE, STOPPED]))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn view(
    db: &DatabaseConnection,
    uuid: &str,
    retention: std::time::Duration,
) -> Result<JobView, DbErr> {
    let Some(row) = job::Entity::find_by_id(uuid.to_string()).one(db).await? else {
        return Ok(JobView::Gone);
    };
    if row.state != DONE {
        return Ok(JobView::Running);
    }
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    if row.last_op_date + retention < now() {
        return Ok(JobView::Gone);
    }
    Ok(JobView::Done {
        success: row.success.unwrap_or(false),
        body: row.result.unwrap_or_else(|| "{}".into()),
    })
}

/// Deletes finished jobs older than the retention period; returns how many went.
pub async fn expire(db: &DatabaseConnection, retention: std::time::Duration) -> Result<u64, DbErr> {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::MAX);
    let Some(before) = now().checked_sub_signed(retention) else {
        return Ok(0);
    };
    let res = job::Entity::delete_many()
        .filter(job::Column::State.eq(DONE))
        .filter(job::Column::LastOpDate.lt(before))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// A job some node was running when it stopped or died.
pub struct Orphan {
    pub uuid: String,
    pub api_name: String,
    pub web_hook: Option<String>,
    /// `Some((type, uuid))` when its work committed: the job ends with that resource.
    pub created: Option<(String, String)>,
}

/// The jobs still running on node `node_uuid`.
pub async fn orphans_of(db: &DatabaseConnection, node_uuid: &str) -> Result<Vec<Orphan>, DbErr> {
    let running = job::Entity::find()
        .filter(job::Column::State.is_in([PROCESSING, WORK_DONE, STOPPED]))
        .filter(job::Column::NodeUuid.eq(node_uuid))
        .all(db)
        .await?;
    Ok(running
        .into_iter()
        .map(|row| Orphan {
            created: match (row.state.as_str(), row.resource_type, row.resource_uuid) {
                (WORK_DONE, Some(t), Some(u)) => Some((t, u)),
                _ => None,
            },
            uuid: row.uuid,
            api_name: row.api_name,
            web_hook: row.web_hook,
        })
        .collect())
}

/// The body of a job whose node went away before its work committed: that work never will.
pub fn orphan_failure(why: &str) -> String {
    ErrorCode::from(ApiError::NodeUnavailable(format!(
        "{why}; the job's work did not commit, nothing was changed"
    )))
    .to_body()
    .to_string()
}

/// Adds the columns of a job's committed work to `api_job`.
pub fn work_migration() -> crate::schema::AddColumns {
    crate::schema::AddColumns::new("m0101_kernel_api_job_work")
        .column("api_job", string_len_null("resource_type", 255))
        .column("api_job", string_len_null("resource_uuid", 32))
}

/// Whether the session of `account_uuid` may poll job `uuid`: admin may poll every job, another
/// account only the jobs it submitted (and so none submitted without a session). An unknown job
/// is readable, so that it answers as unknown to whoever asks.
pub async fn readable_by(
    db: &DatabaseConnection,
    uuid: &str,
    account_uuid: &str,
    is_admin: bool,
) -> Result<bool, DbErr> {
    if is_admin {
        return Ok(true);
    }
    let owner = job::Entity::find_by_id(uuid.to_string())
        .select_only()
        .column(job::Column::AccountUuid)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?;
    Ok(match owner {
        None => true,
        Some(owner) => owner.as_deref() == Some(account_uuid),
    })
}

/// Adds `api_job.account_uuid`, the account that submitted each job.
pub fn account_migration() -> AddColumns {
    AddColumns::new("m0002_kernel_api_job_account")
        .column("api_job", string_len_null("account_uuid", 32))
}

/// Creates the `api_job` table.
pub fn migration() -> CreateTables {
    CreateTables::new("m0001_kernel_api_job")
        .table(
            Table::create()
                .table("api_job")
                .col(string_len("uuid", 32).primary_key())
                .col(string_len("api_name", 255))
                .col(string_len("state", 32))
                .col(boolean_null("success"))
                .col(text_null("result"))
                .col(string_len_null("web_hook", 2048))
                .col(string_len("node_uuid", 32))
                .col(timestamp_with_time_zone("create_date"))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_api_job_state_node")
                .table("api_job")
                .col("state")
                .col("node_uuid"),
        )
}
