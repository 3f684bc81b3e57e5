//! What each long-job API does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};
use zstack_kernel::api::validate::typecheck;
use zstack_kernel::api::{ApiDescriptor, EmptyReply, InventoryReply};
use zstack_kernel::cancel::Cancellations;
use zstack_kernel::error::{ApiError, ApiResult, argerr};
use zstack_kernel::longjob::LongJobKind;
use zstack_kernel::message::new_uuid;
use zstack_kernel::pipeline::{ApiCall, CallInput};
use zstack_kernel::resource::{create_resource, find, registry};
use zstack_kernel::time::now;
use zstack_kernel::{MsgContext, NodeContext, SessionInfo};

use crate::entity::{ActiveModel, Column, Entity as LongJob, LONG_JOB, Model};
use crate::messages::{
    APICancelLongJobMsg, APIDeleteLongJobMsg, APIRerunLongJobMsg, APIResumeLongJobMsg,
    APISubmitLongJobMsg, StartLongJobMsg,
};
use crate::runner::{self, Runners};
use crate::state::{Event, State};
use crate::store::{self, Changes, Rerun};

const WHAT: &str = "long job";

/// How long CancelLongJob waits for a Running job's work to stop before it answers (the job
/// then ends Canceled by itself).
const CANCEL_WAIT: Duration = Duration::from_secs(60);

/// The parameter in which an API takes the uuid of what it creates.
const RESOURCE_UUID: &str = "resourceUuid";

fn session(ctx: &MsgContext) -> ApiResult<SessionInfo> {
    ctx.session.clone().ok_or_else(|| {
        ApiError::InvalidSession("a long job needs the session of who submits it".into()).into()
    })
}

/// The API `name` and its family's long-job declaration; a name that is not an API, or not one
/// that can run as a long job, is refused naming those that can.
fn capable(node: &NodeContext, name: &str) -> ApiResult<(Arc<LongJobKind>, Arc<ApiDescriptor>)> {
    let api = node.apis.by_name(name);
    match (node.long_jobs.get(name), api) {
        (Some(kind), Some(api)) => Ok((kind, api)),
        (_, api) => {
            let can = node.long_jobs.names().join(", ");
            Err(argerr(match api {
                None => {
                    format!("{name} is not an API; the APIs that can run as long jobs are: {can}")
                }
                Some(_) => format!("{name} cannot run as a long job; the APIs that can are: {can}"),
            }))
        }
    }
}

/// The parameters `jobData` gives API `api`, checked as the API checks them when called
/// directly (types, declared checks, access, tags, quotas) with the session of `session`; the
/// uuid of what it creates is fixed now, so that a resume or a cleanup finds it again.
async fn checked_params(
    node: &NodeContext,
    api: &Arc<ApiDescriptor>,
    raw: Map<String, Value>,
    session: &SessionInfo,
) -> ApiResult<Map<String, Value>> {
    let mut params = typecheck(&api.params, raw, false).map_err(argerr)?;
    if api.params.iter().any(|p| p.name == RESOURCE_UUID) && !params.contains_key(RESOURCE_UUID) {
        params.insert(RESOURCE_UUID.into(), Value::String(new_uuid()));
    }
    let mut call = ApiCall::new(
        api.clone(),
        CallInput::Params(params),
        new_uuid(),
        node.config.sync_api_timeout,
    );
    call.session = Some(session.clone());
    node.pipeline.check(node, call).await
}

fn job_data(api: &ApiDescriptor, text: &str) -> ApiResult<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(params)) => Ok(params),
        Ok(_) => Err(argerr(format!(
            "jobData must be a JSON object holding the parameters of {}",
            api.name
        ))),
        Err(e) => Err(argerr(format!(
            "jobData must be the JSON text of the parameters of {}: {e}",
            api.name
        ))),
    }
}

fn text(params: Map<String, Value>) -> String {
    Value::Object(params).to_string()
}

fn target_of(given: Option<String>, params: &Map<String, Value>) -> Option<String> {
    given.or_else(|| params.get(RESOURCE_UUID)?.as_str().map(String::from))
}

pub async fn submit(
    node: NodeContext,
    msg: APISubmitLongJobMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let session = session(&ctx)?;
    let (_, api) = capable(&node, &msg.job_name)?;
    let raw = job_data(&api, &msg.job_data)?;
    let params = checked_params(&node, &api, raw, &session).await?;
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name.unwrap_or_else(|| msg.job_name.clone())),
        description: Set(msg.description),
        api_id: Set(new_uuid()),
        job_name: Set(msg.job_name),
        target_resource_uuid: Set(target_of(msg.target_resource_uuid, &params)),
        job_data: Set(text(params)),
        job_result: Set(None),
        state: Set(State::Waiting.name().into()),
        management_node_uuid: Set(Some(node.config.node_uuid.clone())),
        execute_time: Set(None),
        submitter: Set(store::submitter(&session)?),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    create_resource(&node, &node.db, &ctx, LONG_JOB, &uuid, row).await?;
    let started = node.bus.call(StartLongJobMsg { uuid }).await?;
    Ok(started.into())
}

pub async fn start(
    runners: Arc<Runners>,
    node: NodeContext,
    msg: StartLongJobMsg,
    _ctx: MsgContext,
) -> ApiResult<Model> {
    runner::start(&node, &runners, &msg.uuid).await
}

pub async fn cancel(
    node: NodeContext,
    msg: APICancelLongJobMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    // Each pass acts on the state it read; a job that moved meanwhile is looked at again.
    for _ in 0..8 {
        let job = find::<LongJob, _>(&node.db, WHAT, &msg.uuid).await?;
        let state = store::state_of(&job)?;
        match state {
            State::Succeeded | State::Failed => {
                return Err(argerr(format!(
                    "cannot cancel long job[uuid:{}]: it is {state}",
                    job.uuid
                )));
            }
            State::Canceled => return Ok(EmptyReply {}),
            State::Waiting => {
                let moved = store::transition(
                    &node,
                    &job.uuid,
                    Event::Canceled,
                    None,
                    Some(state),
                    Changes::default(),
                )
                .await?;
                if moved.is_ok() {
                    return Ok(EmptyReply {});
                }
            }
            State::Suspended => {
                let moved = store::transition(
                    &node,
                    &job.uuid,
                    Event::Canceling,
                    None,
                    Some(state),
                    Changes::default(),
                )
                .await?;
                if let Ok(canceling) = moved {
                    runner::end_canceled(&node, &canceling).await?;
                    return Ok(EmptyReply {});
                }
            }
            State::Running | State::Canceling => {
                if !node.long_jobs.get(&job.job_name).is_some_and(|k| k.cancels) {
                    return Err(ApiError::LongJobNotSupported(format!(
                        "long job[uuid:{}] runs {}, which cannot be canceled while it runs",
                        job.uuid, job.job_name
                    ))
                    .into());
                }
                let moved = store::transition(
                    &node,
                    &job.uuid,
                    Event::Canceling,
                    None,
                    Some(state),
                    Changes::default(),
                )
                .await?;
                if moved.is_ok() {
                    Cancellations::request(&node.bus, &job.api_id);
                    wait_until_ended(&node, &job.uuid).await?;
                    return Ok(EmptyReply {});
                }
            }
        }
    }
    Err(ApiError::OperationFailed(format!(
        "long job[uuid:{}] kept changing state; try again",
        msg.uuid
    ))
    .into())
}

/// Waits, a while at most, until a Canceling job has ended.
async fn wait_until_ended(node: &NodeContext, uuid: &str) -> ApiResult<()> {
    let started = Instant::now();
    while started.elapsed() < CANCEL_WAIT {
        match store::load(node, uuid).await? {
            Some(job) if !store::state_of(&job)?.is_final() => {}
            _ => return Ok(()),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::warn!(job = uuid, "a canceled long job's work has not stopped yet");
    Ok(())
}

pub async fn resume(
    runners: Arc<Runners>,
    node: NodeContext,
    msg: APIResumeLongJobMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let job = find::<LongJob, _>(&node.db, WHAT, &msg.uuid).await?;
    let state = store::state_of(&job)?;
    if state != State::Suspended {
        return Err(argerr(format!(
            "can only resume a long job that is Suspended, but long job[uuid:{}] is {state}",
            job.uuid
        )));
    }
    if !node.long_jobs.get(&job.job_name).is_some_and(|k| k.resumes) {
        return Err(ApiError::LongJobNotSupported(format!(
            "long job[uuid:{}] runs {}, which cannot be resumed",
            job.uuid, job.job_name
        ))
        .into());
    }
    let resumed = runner::resume(&node, &runners, &job.uuid, State::Suspended, None).await?;
    if resumed.state == State::Suspended.name() {
        return Err(ApiError::OperationFailed(format!(
            "long job[uuid:{}] could not be resumed; try again",
            job.uuid
        ))
        .into());
    }
    Ok(resumed.into())
}

pub async fn rerun(
    node: NodeContext,
    msg: APIRerunLongJobMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let job = find::<LongJob, _>(&node.db, WHAT, &msg.uuid).await?;
    let state = store::state_of(&job)?;
    if !state.is_final() {
        return Err(argerr(format!(
            "can only rerun a long job that is Succeeded, Failed or Canceled, but long job[uuid:{}] is {state}",
            job.uuid
        )));
    }
    let session = session(&ctx)?;
    let (_, api) = capable(&node, &job.job_name)?;
    let mut raw = runner::params_of(&job)?;
    let mut target = job.target_resource_uuid.clone();
    // What the last run created keeps its uuid: this run creates anew under another one.
    let created = match raw.get(RESOURCE_UUID).and_then(Value::as_str) {
        Some(uuid) => registry::type_of(&node.db, uuid)
            .await?
            .map(|_| uuid.to_string()),
        None => None,
    };
    if let Some(old) = created {
        let fresh = new_uuid();
        if target.as_deref() == Some(old.as_str()) {
            target = Some(fresh.clone());
        }
        raw.insert(RESOURCE_UUID.into(), Value::String(fresh));
    }
    let params = checked_params(&node, &api, raw, &session).await?;
    let rerun = Rerun {
        from: state,
        api_id: new_uuid(),
        job_data: text(params),
        target_resource_uuid: target,
        submitter: &session,
    };
    if !store::reset(&node, &job.uuid, rerun).await? {
        return Err(ApiError::OperationFailed(format!(
            "long job[uuid:{}] changed state meanwhile; try again",
            job.uuid
        ))
        .into());
    }
    let started = node.bus.call(StartLongJobMsg { uuid: job.uuid }).await?;
    Ok(started.into())
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteLongJobMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let Some(job) = store::load(&node, &msg.uuid).await? else {
        // Deleting what is not there succeeds, as for every family.
        return Ok(EmptyReply {});
    };
    let state = store::state_of(&job)?;
    if !state.is_final() {
        return Err(argerr(format!(
            "can only delete a long job that is Succeeded, Failed or Canceled, but long job[uuid:{}] is {state}",
            job.uuid
        )));
    }
    let db = node.db.clone();
    let finals: Vec<&str> = State::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| s.name())
        .collect();
    node.delete_one(&ctx, LONG_JOB, msg.uuid, None, |uuids| async move {
        // Only a job that is still finished: a rerun may have started it again meanwhile.
        LongJob::delete_many()
            .filter(Column::Uuid.is_in(uuids))
            .filter(Column::State.is_in(finals))
            .exec(&db)
            .await?;
        Ok(())
    })
    .await
}
