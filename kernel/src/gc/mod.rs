//! Garbage collection (ZStack's `GarbageCollector`): cleanup that cannot happen now (the storage
//! holding the bits is unreachable) is written down as a job and done later. A family registers
//! named runners (`ServiceBuilder::gc_runner`) that take a job's JSON context and try the
//! cleanup, and submits jobs of two kinds: event-based ones run when a resource changes to a
//! status or goes ([`Wake`]), time-based ones every so many seconds until their runner succeeds.
//!
//! Everything about a job is in the database, nothing in memory: a job is persisted Idle at
//! submit, owned by a node; the owner runs it on its events or times. Running marks it
//! Processing with a conditional update, so one node at a time runs it; success makes it Done,
//! failure Idle again. When its node dies, the ring owner of the job's uuid adopts it and tries
//! it once (an event may have come while no node listened); a starting node adopts the jobs of
//! nodes that are gone. Done jobs are purged after a retention (`gc.retention`).
//!
//! Runners must be idempotent: a node cut off from the database may still finish a run that
//! another node, declaring it dead, runs again.

pub mod store;

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::{ResourceDeleted, ResourceStatusChanged};
use crate::frozen::Frozen;
use crate::message::new_uuid;
use crate::node::NodeContext;
use crate::time::now;
pub use store::GC_JOB;

/// The service that runs GC jobs: nodes running it own, adopt and run them.
pub const SERVICE: &str = "gc";

/// Setting: seconds a Done job is kept (ZStack: 14 days).
pub const RETENTION_SETTING: &str = "gc.retention";
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(14 * 24 * 3600);
/// Setting: seconds between two tries of the time-based jobs families submit.
pub const INTERVAL_SETTING: &str = "gc.interval";
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// How often a node looks for due time-based jobs.
const TICK: Duration = Duration::from_secs(1);

/// What wakes an event-based job: events about one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wake {
    pub resource_uuid: String,
    /// Its change to this status (`ResourceStatusChanged.new_status`).
    pub status: Option<String>,
    /// Its deletion.
    pub on_delete: bool,
}

impl Wake {
    /// When resource `uuid` turns Connected again.
    pub fn connected(uuid: impl Into<String>) -> Self {
        Wake {
            resource_uuid: uuid.into(),
            status: Some("Connected".into()),
            on_delete: false,
        }
    }

    /// ... or when it is deleted.
    pub fn or_deleted(mut self) -> Self {
        self.on_delete = true;
        self
    }
}

/// When a job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// On a matching event (EventBased).
    On(Wake),
    /// Every so often, the first time after one interval (TimeBased).
    Every(Duration),
}

/// A job a family submits.
pub struct NewJob<C> {
    pub name: String,
    /// A name some family registered a runner under.
    pub runner: &'static str,
    pub context: C,
    pub schedule: Schedule,
}

/// Why a job runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An event it waits for came.
    Event,
    /// Its time came.
    Timer,
    /// TriggerGCJob.
    Triggered,
    /// This node has just taken it over (or started again): a try for events it may have missed.
    Adopted,
}

/// What a runner is told beside its context.
#[derive(Debug, Clone)]
pub struct Run {
    pub job_uuid: String,
    pub job_name: String,
    pub reason: Reason,
}

type ErasedRunner = Arc<
    dyn Fn(NodeContext, serde_json::Value, Run) -> BoxFuture<'static, ApiResult<()>> + Send + Sync,
>;

/// The runners families registered at start-up, by name.
#[derive(Default)]
pub struct Runners {
    runners: Frozen<HashMap<&'static str, ErasedRunner>>,
}

impl Runners {
    /// Registers `runner` under `name`; a second runner with one name is refused.
    pub fn add<C, F, Fut>(&self, name: &'static str, runner: F) -> Result<(), ErrorCode>
    where
        C: DeserializeOwned + Send + 'static,
        F: Fn(NodeContext, C, Run) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ApiResult<()>> + Send + 'static,
    {
        let runner = Arc::new(runner);
        let erased: ErasedRunner = Arc::new(move |node, context, run| {
            let runner = runner.clone();
            Box::pin(async move {
                let context: C = serde_json::from_value(context).map_err(|e| {
                    ErrorCode::from(ApiError::Internal(format!(
                        "the context of GC job[uuid:{}] does not fit its runner: {e}",
                        run.job_uuid
                    )))
                })?;
                runner(node, context, run).await
            })
        });
        self.runners.write(|runners| {
            if runners.insert(name, erased).is_some() {
                return Err(ApiError::Internal(format!("two GC runners are named {name}")).into());
            }
            Ok(())
        })
    }

    fn get(&self, name: &str) -> Option<ErasedRunner> {
        self.runners.read(|runners| runners.get(name).cloned())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.runners.read(|runners| runners.contains_key(name))
    }

    pub fn freeze(&self) {
        self.runners.freeze();
    }
}

/// `d` after `at`, or the end of time.
fn later(at: chrono::DateTime<chrono::Utc>, d: Duration) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| at.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

fn me(node: &NodeContext) -> &str {
    node.config.node_uuid.as_str()
}

/// Whether this node owns job `uuid` on the ring (among nodes running the GC service).
fn mine(node: &NodeContext, uuid: &str) -> bool {
    node.bus.ring().owner(uuid, SERVICE).as_deref() == Some(me(node))
}

/// The seconds between two tries of a time-based job, as configured (`gc.interval`).
pub fn interval(node: &NodeContext) -> Duration {
    node.config
        .setting_secs(INTERVAL_SETTING, DEFAULT_INTERVAL)
        .max(Duration::from_secs(1))
}

/// Writes job `job` down (Idle, owned by this node when it runs the GC service) inside `db`
/// (a family's transaction, or its connection); answers its uuid.
pub async fn submit<C, D>(node: &NodeContext, db: &D, job: NewJob<C>) -> ApiResult<String>
where
    C: Serialize,
    D: ConnectionTrait,
{
    if !node.gc_runners.contains(job.runner) {
        return Err(ApiError::Internal(format!("no GC runner is named {}", job.runner)).into());
    }
    let uuid = new_uuid();
    let context = serde_json::to_string(&job.context)
        .map_err(|e| ErrorCode::from(ApiError::Internal(e.to_string())))?;
    let ring = node.bus.ring();
    let owner = if ring.me().runs(SERVICE) {
        Some(me(node).to_string())
    } else {
        ring.owner(&uuid, SERVICE)
    };
    let at = now();
    let (kind, wake, interval) = match &job.schedule {
        Schedule::On(wake) => (store::EVENT_BASED, Some(wake.clone()), None),
        Schedule::Every(every) => (store::TIME_BASED, None, Some(*every)),
    };
    let row = store::Model {
        uuid: uuid.clone(),
        name: job.name.clone(),
        runner_class: job.runner.to_string(),
        context,
        status: store::IDLE.into(),
        r#type: kind.into(),
        management_node_uuid: owner.clone(),
        wake_uuid: wake.as_ref().map(|w| w.resource_uuid.clone()),
        wake_status: wake.as_ref().and_then(|w| w.status.clone()),
        wake_on_delete: wake.as_ref().is_some_and(|w| w.on_delete),
        interval_secs: interval.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        next_run_date: interval.map(|d| later(at, d)),
        create_date: at,
        last_op_date: at,
    };
    store::insert(db, row).await?;
    tracing::info!(job = %uuid, name = %job.name, runner = job.runner, kind, owner = ?owner, "GC job submitted");
    Ok(uuid)
}

/// What trying a job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The runner succeeded: the job is Done.
    Done,
    /// The runner failed: the job is Idle again.
    Failed(String),
    /// The job was not Idle (another run holds it, or it is Done).
    NotIdle(String),
    /// No such job.
    Gone,
}

/// Runs job `uuid` now if it is Idle: Processing while its runner works, then Done or Idle.
pub async fn run(node: &NodeContext, uuid: &str, reason: Reason) -> ApiResult<Outcome> {
    let Some(job) = store::find(&node.db, uuid).await? else {
        return Ok(Outcome::Gone);
    };
    if !store::claim(&node.db, uuid).await? {
        let now_status = store::find(&node.db, uuid)
            .await?
            .map_or_else(|| "gone".to_string(), |j| j.status);
        return Ok(Outcome::NotIdle(now_status));
    }
    let result = match node.gc_runners.get(&job.runner_class) {
        None => Err(ErrorCode::from(ApiError::Internal(format!(
            "no GC runner is named {}",
            job.runner_class
        )))),
        Some(runner) => attempt(node, &job, runner, reason).await,
    };
    match result {
        Ok(()) => {
            store::finish(&node.db, uuid).await?;
            tracing::info!(job = uuid, name = %job.name, ?reason, "GC job done");
            Ok(Outcome::Done)
        }
        Err(e) => {
            let next = job
                .interval_secs
                .filter(|_| job.r#type == store::TIME_BASED)
                .map(|secs| later(now(), Duration::from_secs(secs.max(1).unsigned_abs())));
            store::release(&node.db, uuid, next).await?;
            let why = e.details.clone().unwrap_or_else(|| e.description.clone());
            tracing::warn!(job = uuid, name = %job.name, ?reason, error = %why, "GC job failed; it will be tried again");
            Ok(Outcome::Failed(why))
        }
    }
}

/// One call of a job's runner, bounded in time; a panic in it is a failure, not a lost node.
async fn attempt(
    node: &NodeContext,
    job: &store::Model,
    runner: ErasedRunner,
    reason: Reason,
) -> ApiResult<()> {
    let context: serde_json::Value = serde_json::from_str(&job.context).map_err(|e| {
        ErrorCode::from(ApiError::Internal(format!(
            "the context of GC job[uuid:{}] is not JSON: {e}",
            job.uuid
        )))
    })?;
    let run = Run {
        job_uuid: job.uuid.clone(),
        job_name: job.name.clone(),
        reason,
    };
    let work = AssertUnwindSafe(runner(node.clone(), context, run)).catch_unwind();
    match tokio::time::timeout(node.config.sync_api_timeout, work).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(ApiError::Internal("the GC runner panicked".into()).into()),
        Err(_) => Err(ApiError::Timeout(format!(
            "the GC runner took longer than {} s",
            node.config.sync_api_timeout.as_secs()
        ))
        .into()),
    }
}

/// Runs each of `uuids` in its own task.
fn spawn_runs(node: &NodeContext, uuids: Vec<String>, reason: Reason) {
    for uuid in uuids {
        let node = node.clone();
        tokio::spawn(async move {
            if let Err(e) = run(&node, &uuid, reason).await {
                tracing::warn!(job = %uuid, error = %e, "could not run a GC job");
            }
        });
    }
}

/// Runs this node's jobs that an event about `uuids` wakes (`status`: their new status, `None`:
/// their deletion).
async fn on_event(node: &NodeContext, uuids: Vec<String>, status: Option<String>) {
    match store::woken(&node.db, me(node), uuids, status.as_deref()).await {
        Ok(woken) => spawn_runs(node, woken, Reason::Event),
        Err(e) => tracing::warn!(error = %e, "could not look for the GC jobs an event wakes"),
    }
}

/// Takes over the unfinished jobs of node `from` (`None`: of every node that is not alive)
/// that this node owns on the ring, and tries the event-based ones once. A job of a node known
/// to be gone goes back to Idle even if it was Processing; one found by the scan only if Idle,
/// since its node may be alive and just missing from this node's view for a heartbeat (taking
/// an Idle job from it is harmless: runs stay exclusive through [`store::claim`]).
async fn adopt(node: &NodeContext, from: Option<&str>) -> ApiResult<usize> {
    let ring = node.bus.ring();
    if !ring.me().runs(SERVICE) || !ring.is_member(me(node)) {
        return Ok(0);
    }
    let alive: Vec<String> = ring.members().into_iter().map(|n| n.uuid).collect();
    let candidates = store::unfinished_of(&node.db, from, alive).await?;
    let mut adopted = Vec::new();
    for (uuid, owner, status) in candidates {
        if !mine(node, &uuid) || (from.is_none() && status != store::IDLE) {
            continue;
        }
        if store::adopt(&node.db, &uuid, owner.as_deref(), me(node), from.is_some()).await? {
            tracing::info!(job = %uuid, from = ?owner, "GC job adopted");
            adopted.push(uuid);
        }
    }
    let count = adopted.len();
    let mut event_based = Vec::new();
    for uuid in adopted {
        if store::find(&node.db, &uuid)
            .await?
            .is_some_and(|j| j.r#type == store::EVENT_BASED)
        {
            event_based.push(uuid);
        }
    }
    spawn_runs(node, event_based, Reason::Adopted);
    Ok(count)
}

/// Starts collecting on this node, once it has joined the cluster: listens to the events jobs
/// wait for and to nodes leaving, takes back its own jobs from an earlier life and adopts those
/// of nodes that are gone, then runs due time-based jobs, scans for orphans and purges Done jobs
/// for the life of the node.
pub async fn start(node: &NodeContext) -> ApiResult<()> {
    let n = node.clone();
    node.bus
        .subscribe(move |e: &ResourceStatusChanged| {
            let (n, uuid, status) = (n.clone(), e.resource_uuid.clone(), e.new_status.clone());
            tokio::spawn(async move { on_event(&n, vec![uuid], Some(status)).await });
        })
        .forever();
    let n = node.clone();
    node.bus
        .subscribe(move |e: &ResourceDeleted| {
            let (n, uuids) = (n.clone(), e.resource_uuids.clone());
            tokio::spawn(async move { on_event(&n, uuids, None).await });
        })
        .forever();
    let n = node.clone();
    node.bus.ring().on_leave(move |left| {
        let (n, left) = (n.clone(), left.to_string());
        tokio::spawn(async move {
            match adopt(&n, Some(&left)).await {
                Ok(0) => {}
                Ok(count) => tracing::warn!(node = %left, jobs = count, "GC jobs of a management node that left adopted"),
                Err(e) => tracing::warn!(node = %left, error = %e, "could not adopt the GC jobs of a node that left"),
            }
        });
    });

    // Runs of an earlier life died with it; events may have come while it was down.
    let reset = store::reset_own(&node.db, me(node)).await?;
    if reset > 0 {
        tracing::warn!(
            jobs = reset,
            "GC jobs left Processing by this node's earlier life are Idle again"
        );
    }
    spawn_runs(
        node,
        store::waiting(&node.db, me(node)).await?,
        Reason::Adopted,
    );
    adopt(node, None).await?;

    let node = node.clone();
    let retention = node
        .config
        .setting_secs(RETENTION_SETTING, DEFAULT_RETENTION);
    let purge_every = (retention / 4).clamp(TICK, Duration::from_secs(3600));
    let orphans_every = node.config.node_dead_after.max(TICK);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut last_purge, mut last_scan) =
            (tokio::time::Instant::now(), tokio::time::Instant::now());
        loop {
            tick.tick().await;
            match store::due(&node.db, me(&node)).await {
                Ok(due) => spawn_runs(&node, due, Reason::Timer),
                Err(e) => tracing::warn!(error = %e, "could not look for due GC jobs"),
            }
            if last_scan.elapsed() >= orphans_every {
                last_scan = tokio::time::Instant::now();
                if let Err(e) = adopt(&node, None).await {
                    tracing::warn!(error = %e, "could not look for orphaned GC jobs");
                }
            }
            if last_purge.elapsed() >= purge_every {
                last_purge = tokio::time::Instant::now();
                let before = chrono::Duration::from_std(retention)
                    .ok()
                    .and_then(|r| now().checked_sub_signed(r))
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
                match store::purge(&node.db, before).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(purged = n, "Done GC jobs past their retention removed")
                    }
                    Err(e) => tracing::warn!(error = %e, "could not purge Done GC jobs"),
                }
            }
        }
    });
    Ok(())
}
