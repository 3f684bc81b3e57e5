//! Running long jobs: the job's API goes through the API pipeline with its submitter's
//! account and the job's API id, on a task of the node that runs the job; its end moves the job
//! to its final state. A job whose node stopped or died is taken over (ZStack's takeover):
//! Waiting starts, Running or Suspended resumes when its family can resume it (else its
//! leftovers are cleaned up and it fails with SYS.1012), Canceling ends Canceled.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};
use zstack_kernel::NodeContext;
use zstack_kernel::cancel::{self, Cancellations};
use zstack_kernel::error::{ApiError, ApiResult, ErrorCode, operr};
use zstack_kernel::jobs::ApiJobCompleted;
use zstack_kernel::longjob::{LongJobKind, LongJobStep, LongJobWork};
use zstack_kernel::pipeline::{ApiCall, CallInput};
use zstack_kernel::progress::{self, Scope};

use crate::entity::Model;
use crate::state::{Event, State};
use crate::store::{self, Changes, Refusal};

/// How long a long job's API may run (ZStack's `longJob.api.timeout`: 3 days), unless the
/// node is given `longjob.timeout` (seconds).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3 * 24 * 3600);
pub const TIMEOUT_SETTING: &str = "longjob.timeout";

pub fn timeout(node: &NodeContext) -> Duration {
    node.config.setting_secs(TIMEOUT_SETTING, DEFAULT_TIMEOUT)
}

/// The long jobs this node runs now, and how many nodes have left since it started.
#[derive(Default)]
pub struct Runners {
    running: Mutex<HashSet<String>>,
    leaves: AtomicU64,
}

/// Marks one job as running on this node until dropped.
pub struct Running {
    runners: Arc<Runners>,
    uuid: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.runners
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.uuid);
    }
}

impl Runners {
    /// Marks job `uuid` as running here; `None` when it already is.
    pub fn enter(self: &Arc<Self>, uuid: &str) -> Option<Running> {
        let fresh = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(uuid.to_string());
        fresh.then(|| Running {
            runners: self.clone(),
            uuid: uuid.to_string(),
        })
    }

    pub fn is_running(&self, uuid: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(uuid)
    }

    pub fn note_leave(&self) {
        self.leaves.fetch_add(1, Ordering::SeqCst);
    }

    fn leaves(&self) -> u64 {
        self.leaves.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// The API runs from the start.
    Start,
    /// The family goes on with what a stopped node left (the API runs again when nothing was
    /// done).
    Resume,
}

/// The family's declaration for the API a job runs.
fn kind_of(node: &NodeContext, job: &Model) -> Option<Arc<LongJobKind>> {
    node.long_jobs.get(&job.job_name)
}

pub fn params_of(job: &Model) -> ApiResult<Map<String, Value>> {
    match serde_json::from_str(&job.job_data) {
        Ok(Value::Object(params)) => Ok(params),
        _ => Err(ApiError::Internal(format!(
            "long job[uuid:{}] holds jobData that is not a JSON object",
            job.uuid
        ))
        .into()),
    }
}

fn work(job: &Model, step: LongJobStep) -> ApiResult<LongJobWork> {
    Ok(LongJobWork {
        step,
        long_job_uuid: job.uuid.clone(),
        api_id: job.api_id.clone(),
        params: params_of(job)?,
    })
}

fn scope(job: &Model) -> Scope {
    Scope {
        api_id: job.api_id.clone(),
        api_name: job.job_name.clone(),
        task: None,
    }
}

/// Moves a Waiting job this node holds (it created, reset or claimed it) to Running and runs
/// it; answers the job as it then is (another state when it was canceled or taken over
/// meanwhile).
pub async fn start(node: &NodeContext, runners: &Arc<Runners>, uuid: &str) -> ApiResult<Model> {
    let me = node.config.node_uuid.clone();
    let step = (State::Waiting, Event::Start);
    go(node, runners, uuid, step, Some(&me), How::Start).await
}

/// Moves a job that is `from` to Running here and resumes it: a Suspended one whichever node
/// held it (`held_by` none), or one this node has claimed (`held_by` this node).
pub async fn resume(
    node: &NodeContext,
    runners: &Arc<Runners>,
    uuid: &str,
    from: State,
    held_by: Option<&str>,
) -> ApiResult<Model> {
    go(
        node,
        runners,
        uuid,
        (from, Event::Resume),
        held_by,
        How::Resume,
    )
    .await
}

async fn go(
    node: &NodeContext,
    runners: &Arc<Runners>,
    uuid: &str,
    (from, event): (State, Event),
    held_by: Option<&str>,
    how: How,
) -> ApiResult<Model> {
    // Marked running before it is Running, so a takeover scan never runs it a second time.
    let Some(running) = runners.enter(uuid) else {
        return found(node, uuid).await;
    };
    let me = node.config.node_uuid.clone();
    let changes = Changes {
        node: Some(me),
        ..Changes::default()
    };
    match store::transition(node, uuid, event, held_by, Some(from), changes).await? {
        Ok(job) => {
            spawn(node, runners, running, job.clone(), how);
            Ok(job)
        }
        Err(Refusal::Gone) => Err(gone(uuid)),
        Err(_) => {
            drop(running);
            found(node, uuid).await
        }
    }
}

async fn found(node: &NodeContext, uuid: &str) -> ApiResult<Model> {
    store::load(node, uuid).await?.ok_or_else(|| gone(uuid))
}

fn gone(uuid: &str) -> ErrorCode {
    ApiError::ResourceNotFound(format!("long job[uuid:{uuid}] is not found")).into()
}

fn spawn(node: &NodeContext, runners: &Arc<Runners>, running: Running, job: Model, how: How) {
    let (node, runners) = (node.clone(), runners.clone());
    tokio::spawn(async move {
        let leaves = runners.leaves();
        let uuid = job.uuid.clone();
        let outcome = progress::within(Some(scope(&job)), run(&node, &job, how)).await;
        let suspended = match finish(&node, &job, outcome).await {
            Ok(suspended) => suspended,
            Err(e) => {
                tracing::error!(job = %uuid, error = %e, "could not record the end of a long job");
                false
            }
        };
        drop(running);
        // A node left while the API ran: the takeover that followed may have looked before
        // this job was Suspended, so it is looked at again.
        if suspended && runners.leaves() != leaves {
            take_over_orphans(&node, &runners).await;
        }
    });
}

/// Runs the job's API (or has its family resume it); the API's reply body.
async fn run(node: &NodeContext, job: &Model, how: How) -> ApiResult<Value> {
    let kind = kind_of(node, job).ok_or_else(|| {
        operr(format!(
            "{} can no longer run as a long job on management node[uuid:{}]",
            job.job_name, node.config.node_uuid
        ))
    })?;
    let outcome = async {
        if how == How::Resume && kind.resumes {
            let resumed = kind
                .ask(&node.bus, work(job, LongJobStep::Resume)?, timeout(node))
                .await?;
            if let Some(body) = resumed {
                return Ok(body);
            }
        }
        run_api(node, job).await
    }
    .await;
    if let Err(e) = &outcome
        && e.code == ApiError::Timeout(String::new()).code().0
    {
        // Past its timeout the job fails; its work must not go on behind it.
        Cancellations::request(&node.bus, &job.api_id);
    }
    outcome
}

/// The job's API, through the whole pipeline, as its submitter's account, under its API id.
async fn run_api(node: &NodeContext, job: &Model) -> ApiResult<Value> {
    let api = node
        .apis
        .by_name(&job.job_name)
        .ok_or_else(|| operr(format!("{} is not an API of this node", job.job_name)))?;
    let mut call = ApiCall::new(
        api,
        CallInput::Params(params_of(job)?),
        job.api_id.clone(),
        timeout(node),
    );
    call.session = Some(store::session_of(job)?);
    node.pipeline.execute(node, call).await
}

fn is_node_unavailable(e: &ErrorCode) -> bool {
    e.code == ApiError::NodeUnavailable(String::new()).code().0
}

/// Records how the job's run ended; tells whether it was Suspended (its API was cut off by a
/// management node going away).
async fn finish(node: &NodeContext, job: &Model, outcome: ApiResult<Value>) -> ApiResult<bool> {
    let me = node.config.node_uuid.clone();
    let uuid = job.uuid.as_str();
    let (event, result) = match &outcome {
        Ok(body) => {
            progress::within(Some(scope(job)), async {
                progress::report(&node.bus, "100", None);
            })
            .await;
            (Event::Succeed, body.to_string())
        }
        Err(e) if is_node_unavailable(e) => (Event::Suspend, e.to_body().to_string()),
        Err(e) if cancel::is_canceled(e) => (Event::Canceled, e.to_body().to_string()),
        Err(e) => (Event::Fail, e.to_body().to_string()),
    };
    let changes = Changes {
        result: Some(result),
        ..Changes::default()
    };
    let moved = match store::transition(node, uuid, event, Some(&me), None, changes).await? {
        Ok(moved) => moved,
        Err(Refusal::NotOurs) => {
            tracing::warn!(
                job = uuid,
                "another node took the long job over; its end here is dropped"
            );
            return Ok(false);
        }
        Err(why) => {
            tracing::warn!(job = uuid, ?why, %event, "the end of a long job was not recorded");
            return Ok(false);
        }
    };
    match store::state_of(&moved)? {
        State::Suspended => {
            tracing::warn!(
                job = uuid,
                "long job suspended: a management node went away under it"
            );
            Ok(true)
        }
        // Canceled while the node under it went away: what it left goes, and it is Canceled.
        State::Canceling => {
            end_canceled(node, &moved).await?;
            Ok(false)
        }
        _ => {
            announce(node, &moved);
            Ok(false)
        }
    }
}

/// Publishes the end of a job's API, as the end of an API job is (its task progress is removed
/// a while later, operators are notified).
pub fn announce(node: &NodeContext, job: &Model) {
    let Ok(state) = store::state_of(job) else {
        return;
    };
    if !state.is_final() {
        return;
    }
    let body: Value = job
        .job_result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(Value::Null);
    node.bus.publish(ApiJobCompleted {
        api_id: job.api_id.clone(),
        api_name: job.job_name.clone(),
        success: state == State::Succeeded,
        resource_uuid: body["inventory"]["uuid"].as_str().map(String::from),
        error: body.get("error").cloned(),
    });
}

/// Has the family undo what a job's API left behind, when it can; a failure is logged (the job
/// ends all the same).
pub async fn clean(node: &NodeContext, job: &Model) {
    let Some(kind) = kind_of(node, job).filter(|k| k.cleans) else {
        return;
    };
    let asked = match work(job, LongJobStep::Clean) {
        Ok(work) => {
            progress::within(
                Some(scope(job)),
                kind.ask(&node.bus, work, node.config.api_timeout),
            )
            .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = asked {
        tracing::warn!(job = %job.uuid, error = %e, "could not clean up after a long job");
    }
}

/// A Canceling job whose work no longer runs: cleaned up, then Canceled.
pub async fn end_canceled(node: &NodeContext, job: &Model) -> ApiResult<()> {
    clean(node, job).await;
    let result = cancel::canceled(format!("long job[uuid:{}] was canceled", job.uuid));
    let changes = Changes {
        result: Some(result.to_body().to_string()),
        ..Changes::default()
    };
    let done = store::transition(
        node,
        &job.uuid,
        Event::Canceled,
        None,
        Some(State::Canceling),
        changes,
    )
    .await?;
    if let Ok(done) = done {
        announce(node, &done);
    }
    Ok(())
}

/// Takes over a job this node has just claimed, whose run on `from` was interrupted.
async fn take_over(node: &NodeContext, runners: &Arc<Runners>, job: Model, from: &str) {
    let uuid = job.uuid.clone();
    if let Err(e) = take_over_one(node, runners, job, from).await {
        tracing::error!(job = %uuid, error = %e, "could not take a long job over");
    }
}

/// What taking a job over does (ZStack's `getLoadOperation` and `doLoadLongJob`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Waiting: it starts.
    Start,
    /// Running or Suspended, and its family can resume it.
    Resume,
    /// Running or Suspended, and its family cannot: its leftovers go, it fails (SYS.1012).
    CleanAndFail,
    /// Canceling: its leftovers go, it is Canceled.
    CleanAndCancel,
    /// Finished meanwhile.
    Nothing,
}

fn plan(state: State, resumes: bool) -> Plan {
    match state {
        State::Waiting => Plan::Start,
        State::Running | State::Suspended if resumes => Plan::Resume,
        State::Running | State::Suspended => Plan::CleanAndFail,
        State::Canceling => Plan::CleanAndCancel,
        State::Succeeded | State::Failed | State::Canceled => Plan::Nothing,
    }
}

async fn take_over_one(
    node: &NodeContext,
    runners: &Arc<Runners>,
    job: Model,
    from: &str,
) -> ApiResult<()> {
    let state = store::state_of(&job)?;
    let resumes = kind_of(node, &job).is_some_and(|k| k.resumes);
    let plan = plan(state, resumes);
    tracing::warn!(job = %job.uuid, %state, from, ?plan, "taking a long job over");
    match plan {
        Plan::Start => {
            start(node, runners, &job.uuid).await?;
        }
        Plan::Resume => {
            let me = node.config.node_uuid.clone();
            resume(node, runners, &job.uuid, state, Some(&me)).await?;
        }
        Plan::CleanAndFail => {
            clean(node, &job).await;
            let why: ErrorCode = ApiError::NodeUnavailable(format!(
                "management node[uuid:{from}] is unavailable: long job[uuid:{}] was interrupted and its API cannot be resumed",
                job.uuid
            ))
            .into();
            let changes = Changes {
                result: Some(why.to_body().to_string()),
                ..Changes::default()
            };
            let done =
                store::transition(node, &job.uuid, Event::Fail, None, Some(state), changes).await?;
            if let Ok(done) = done {
                announce(node, &done);
            }
        }
        Plan::CleanAndCancel => end_canceled(node, &job).await?,
        Plan::Nothing => {}
    }
    Ok(())
}

/// Takes over the unfinished jobs no live node runs: those of nodes that left, of no node, and
/// this node's own that it does not run now (from before a restart, or Suspended). Another
/// node's go to the node that owns them on the ring; claiming one is a compare-and-set, so
/// nodes doing this at once take each job once.
pub async fn take_over_orphans(node: &NodeContext, runners: &Arc<Runners>) {
    let ring = node.bus.ring();
    if !ring.me().runs(crate::SERVICE_ID) {
        return;
    }
    let me = node.config.node_uuid.clone();
    let jobs = match store::unfinished(node).await {
        Ok(jobs) => jobs,
        Err(e) => {
            tracing::warn!(error = %e, "could not look for long jobs to take over");
            return;
        }
    };
    for job in jobs {
        let from = job.management_node_uuid.clone();
        let orphan = match from.as_deref() {
            Some(by) if by == me => !runners.is_running(&job.uuid),
            Some(by) => {
                !ring.is_member(by)
                    && ring.owner(&job.uuid, crate::SERVICE_ID).as_deref() == Some(me.as_str())
            }
            None => ring.owner(&job.uuid, crate::SERVICE_ID).as_deref() == Some(me.as_str()),
        };
        if !orphan {
            continue;
        }
        let claimed = match from.as_deref() {
            Some(by) if by == me => true,
            other => match store::claim(node, &job.uuid, other).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(job = %job.uuid, error = %e, "could not claim a long job");
                    false
                }
            },
        };
        if claimed {
            let from = from.unwrap_or_else(|| "none".into());
            take_over(node, runners, job, &from).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_taken_over_starts_resumes_or_ends_by_its_state() {
        assert_eq!(plan(State::Waiting, false), Plan::Start);
        assert_eq!(plan(State::Running, true), Plan::Resume);
        assert_eq!(plan(State::Suspended, true), Plan::Resume);
        assert_eq!(plan(State::Running, false), Plan::CleanAndFail);
        assert_eq!(plan(State::Suspended, false), Plan::CleanAndFail);
        assert_eq!(plan(State::Canceling, true), Plan::CleanAndCancel);
        assert_eq!(plan(State::Succeeded, true), Plan::Nothing);
        // Every move a takeover makes is one the state table allows.
        assert!(State::Waiting.next(Event::Start).is_some());
        assert!(State::Running.next(Event::Resume).is_some());
        assert!(State::Suspended.next(Event::Resume).is_some());
        assert!(State::Running.next(Event::Fail).is_some());
        assert!(State::Suspended.next(Event::Fail).is_some());
        assert!(State::Canceling.next(Event::Canceled).is_some());
    }
}
