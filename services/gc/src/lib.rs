//! The GC service (ZStack's garbage collector, `垃圾回收相关接口`): `GET /gc-jobs`
//! (QueryGCJob), `PUT /gc-jobs/{uuid}/actions {"triggerGCJob": {}}` (TriggerGCJob) and
//! `DELETE /gc-jobs/{uuid}` (DeleteGCJob), and the collector each node runs. The jobs, their
//! runners and their lifecycle are the kernel's (`zstack_kernel::gc`): families submit jobs
//! and register runners there; this service shows them to operators.

use zstack_kernel::api::{EmptyReply, Route, checks};
use zstack_kernel::error::operr;
use zstack_kernel::gc::{self, GC_JOB, Outcome, Reason, store};
use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, api_message};

pub const SERVICE_ID: &str = gc::SERVICE;

zstack_kernel::family!(SERVICE_ID, start, []);

api_message! {
    /// Runs an Idle GC job now.
    pub struct APITriggerGCJobMsg {
        uuid: String => checks().resource(GC_JOB),
    }
    route = Route::action("/gc-jobs/{uuid}/actions");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Deletes a GC job: its cleanup will not be done.
    pub struct APIDeleteGCJobMsg {
        uuid: String => checks().uuid(),
    }
    route = Route::delete("/gc-jobs/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /gc-jobs`, `GET /gc-jobs/{uuid}`: the inventory is the seed's
/// `GarbageCollectorInventory` (what a job waits for stays inside).
pub struct GcJobQuery;

impl Queryable for GcJobQuery {
    const QUERY_API: &'static str = "APIQueryGCJobMsg";
    const PATH: &'static str = "/gc-jobs";
    const PATH_BY_UUID: Option<&'static str> = Some("/gc-jobs/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "gcJob",
            GC_JOB.table,
            "org.zstack.core.gc.GarbageCollectorInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("runnerClass", FieldKind::Str)
        .field("context", FieldKind::Str)
        .field("status", FieldKind::Str)
        .field("managementNodeUuid", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
        .relation(
            "managementNode",
            "managementNode",
            "managementNodeUuid",
            "uuid",
        )
    }
}

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .query::<GcJobQuery>()
        .api(trigger)
        .api(delete)
        .start()
}

/// Starts the collector on this node; call once the node has joined the cluster (adoption
/// reads the live nodes).
pub async fn start_collector(node: &NodeContext) -> Result<(), ErrorCode> {
    gc::start(node).await
}

/// Runs the job now and answers once the try is over; its outcome is the job's status (Done,
/// or Idle to be tried again), as in ZStack, where the trigger answers at once.
async fn trigger(
    node: NodeContext,
    msg: APITriggerGCJobMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let refuse = |job: &store::Model, why: &str| {
        operr(format!(
            "cannot trigger {why} GC job[uuid:{}, name:{}]",
            job.uuid, job.name
        ))
    };
    let Some(job) = store::find(&node.db, &msg.uuid).await? else {
        return Err(zstack_kernel::error::not_found(format!(
            "GC job[uuid:{}] is not found",
            msg.uuid
        )));
    };
    if job.status == store::DONE {
        return Err(refuse(&job, "a finished"));
    }
    match gc::run(&node, &msg.uuid, Reason::Triggered).await? {
        Outcome::Done | Outcome::Failed(_) | Outcome::Gone => Ok(EmptyReply {}),
        Outcome::NotIdle(status) if status == store::DONE => Err(refuse(&job, "a finished")),
        Outcome::NotIdle(_) => Err(refuse(&job, "a running")),
    }
}

async fn delete(
    node: NodeContext,
    msg: APIDeleteGCJobMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    store::delete(&node.db, &msg.uuid).await?;
    tracing::info!(job = %msg.uuid, "GC job deleted");
    Ok(EmptyReply {})
}
