//! Reading and moving long jobs in the database. Every change of state is a compare-and-set on
//! the state and the node running the job, so two nodes (or a node and an API) racing on one job
//! cannot both move it, and a node that lost a job (another adopted it) cannot write its end.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use zstack_kernel::error::{ApiError, ApiResult};
use zstack_kernel::time::now;
use zstack_kernel::{NodeContext, SessionInfo};

use crate::entity::{Column, Entity as LongJob, Model};
use crate::state::{Event, State};

pub async fn load(node: &NodeContext, uuid: &str) -> ApiResult<Option<Model>> {
    Ok(LongJob::find_by_id(uuid.to_string()).one(&node.db).await?)
}

pub fn state_of(job: &Model) -> ApiResult<State> {
    State::parse(&job.state).ok_or_else(|| {
        ApiError::Internal(format!(
            "long job[uuid:{}] has an unknown state [{}]",
            job.uuid, job.state
        ))
        .into()
    })
}

/// The jobs not in a final state.
pub async fn unfinished(node: &NodeContext) -> ApiResult<Vec<Model>> {
    let open: Vec<&str> = State::ALL
        .iter()
        .filter(|s| !s.is_final())
        .map(|s| s.name())
        .collect();
    Ok(LongJob::find()
        .filter(Column::State.is_in(open))
        .all(&node.db)
        .await?)
}

/// What a transition writes besides the state.
#[derive(Default)]
pub struct Changes {
    pub result: Option<String>,
    /// The node that runs the job from now on.
    pub node: Option<String>,
}

/// Why a transition did not happen.
#[derive(Debug)]
pub enum Refusal {
    Gone,
    /// Another node runs the job now.
    NotOurs,
    /// The event may not happen in the job's state.
    Refused,
}

/// How many times a transition reads again after losing a race, before giving up.
const TRIES: usize = 8;

/// Moves job `uuid` by `event` (see [`State::next`]): only while node `owner` runs it and only
/// from state `from`, when given (the state the caller decided on: a job that moved meanwhile
/// is refused, not moved on by an event its new state also allows).
pub async fn transition(
    node: &NodeContext,
    uuid: &str,
    event: Event,
    owner: Option<&str>,
    expected: Option<State>,
    changes: Changes,
) -> ApiResult<Result<Model, Refusal>> {
    for _ in 0..TRIES {
        let Some(job) = load(node, uuid).await? else {
            return Ok(Err(Refusal::Gone));
        };
        if owner.is_some() && job.management_node_uuid.as_deref() != owner {
            return Ok(Err(Refusal::NotOurs));
        }
        let from = state_of(&job)?;
        if expected.is_some_and(|expected| expected != from) {
            return Ok(Err(Refusal::Refused));
        }
        let Some(to) = from.next(event) else {
            return Ok(Err(Refusal::Refused));
        };
        let at = now();
        let mut update = LongJob::update_many()
            .col_expr(Column::State, Expr::value(to.name()))
            .col_expr(Column::LastOpDate, Expr::value(at));
        if let Some(result) = &changes.result {
            update = update.col_expr(Column::JobResult, Expr::value(result.clone()));
        }
        if let Some(by) = &changes.node {
            update = update.col_expr(Column::ManagementNodeUuid, Expr::value(by.clone()));
        }
        if to.is_final() && !from.is_final() {
            let took = (at - job.create_date).num_seconds().max(1);
            update = update.col_expr(Column::ExecuteTime, Expr::value(took));
        }
        let update = update
            .filter(Column::Uuid.eq(uuid))
            .filter(Column::State.eq(from.name()));
        let update = match &job.management_node_uuid {
            Some(by) => update.filter(Column::ManagementNodeUuid.eq(by.clone())),
            None => update.filter(Column::ManagementNodeUuid.is_null()),
        };
        if update.exec(&node.db).await?.rows_affected == 1 {
            tracing::info!(job = uuid, %from, %to, %event, "long job state changed");
            return match load(node, uuid).await? {
                Some(job) => Ok(Ok(job)),
                None => Ok(Err(Refusal::Gone)),
            };
        }
    }
    Err(ApiError::Internal(format!(
        "long job[uuid:{uuid}] kept changing while it was being moved"
    ))
    .into())
}

/// Makes this node the one running job `job`, which node `from` (none: no node) left:
/// whether it did (another node may have been quicker).
pub async fn claim(node: &NodeContext, job: &str, from: Option<&str>) -> ApiResult<bool> {
    let update = LongJob::update_many()
        .col_expr(
            Column::ManagementNodeUuid,
            Expr::value(node.config.node_uuid.clone()),
        )
        .filter(Column::Uuid.eq(job));
    let update = match from {
        Some(from) => update.filter(Column::ManagementNodeUuid.eq(from)),
        None => update.filter(Column::ManagementNodeUuid.is_null()),
    };
    Ok(update.exec(&node.db).await?.rows_affected == 1)
}

/// What a finished job runs again with: a new API id, no result, this node, `submitter`'s
/// account; Waiting. Only from the final state `from`.
pub struct Rerun<'a> {
    pub from: State,
    pub api_id: String,
    pub job_data: String,
    pub target_resource_uuid: Option<String>,
    pub submitter: &'a SessionInfo,
}

pub async fn reset(node: &NodeContext, uuid: &str, rerun: Rerun<'_>) -> ApiResult<bool> {
    let at = now();
    let res = LongJob::update_many()
        .col_expr(Column::State, Expr::value(State::Waiting.name()))
        .col_expr(Column::ApiId, Expr::value(rerun.api_id))
        .col_expr(Column::JobData, Expr::value(rerun.job_data))
        .col_expr(Column::JobResult, Expr::value(Option::<String>::None))
        .col_expr(Column::ExecuteTime, Expr::value(Option::<i64>::None))
        .col_expr(
            Column::TargetResourceUuid,
            Expr::value(rerun.target_resource_uuid),
        )
        .col_expr(
            Column::ManagementNodeUuid,
            Expr::value(node.config.node_uuid.clone()),
        )
        .col_expr(Column::Submitter, Expr::value(submitter(rerun.submitter)?))
        .col_expr(Column::CreateDate, Expr::value(at))
        .col_expr(Column::LastOpDate, Expr::value(at))
        .filter(Column::Uuid.eq(uuid))
        .filter(Column::State.eq(rerun.from.name()))
        .exec(&node.db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Who submitted a job, as stored: the session's account, never its token.
pub fn submitter(session: &SessionInfo) -> ApiResult<String> {
    let stored = SessionInfo {
        uuid: String::new(),
        ..session.clone()
    };
    serde_json::to_string(&stored).map_err(|e| ApiError::Internal(e.to_string()).into())
}

/// The session a job's API runs with: its submitter's account (the token is not kept, and the
/// session may have ended since).
pub fn session_of(job: &Model) -> ApiResult<SessionInfo> {
    serde_json::from_str(&job.submitter).map_err(|e| {
        ApiError::Internal(format!(
            "long job[uuid:{}] does not say who submitted it: {e}",
            job.uuid
        ))
        .into()
    })
}
