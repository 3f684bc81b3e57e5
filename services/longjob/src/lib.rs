//! The long-job service (ZStack's LongJobManager): an API that runs for a long time (AddImage's
//! download) submitted as a job of its own, answered once it has started, then watched
//! (QueryLongJob, its task progress under the job's `apiId`), canceled, resumed, rerun and
//! deleted. Which APIs can run as long jobs their families declare (`zstack_kernel::longjob`).
//! Jobs outlive their node: the node that owns a job on the ring takes it over when its node
//! dies, and a node takes back its own when it starts again.

pub mod entity;
mod handlers;
pub mod messages;
mod runner;
pub mod state;
mod store;

use std::sync::Arc;

use zstack_kernel::family::handlers::update;
use zstack_kernel::node_ring::{NodeJoined, NodeLeft};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as LongJob;
use messages::APIUpdateLongJobMsg;
use runner::Runners;
pub use runner::{DEFAULT_TIMEOUT, TIMEOUT_SETTING};

pub const SERVICE_ID: &str = "longJob";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

/// Looks for jobs to take over, off the caller's task (an event subscriber, the heartbeat).
fn take_over_later(node: &NodeContext, runners: &Arc<Runners>) {
    let (node, runners) = (node.clone(), runners.clone());
    tokio::spawn(async move { runner::take_over_orphans(&node, &runners).await });
}

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    let runners = Arc::new(Runners::default());
    let me = node.config.node_uuid.clone();

    // A node left: this node may own some of its jobs now, and a job suspended here because of
    // it may go on. (Counted first: a run cut off by this leave checks the count.)
    let (seen, runs) = (node.clone(), runners.clone());
    let myself = me.clone();
    node.bus.ring().on_leave(move |left| {
        if left != myself {
            runs.note_leave();
            take_over_later(&seen, &runs);
        }
    });
    // Also told of nodes that died while this one was not a member with them.
    let (seen, runs) = (node.clone(), runners.clone());
    let myself = me.clone();
    node.bus
        .subscribe(move |e: &NodeLeft| {
            if e.uuid != myself {
                take_over_later(&seen, &runs);
            }
        })
        .forever();
    // This node has joined: what it ran before it stopped goes on.
    let (seen, runs) = (node.clone(), runners.clone());
    node.bus
        .subscribe(move |e: &NodeJoined| {
            if e.node.uuid == me {
                take_over_later(&seen, &runs);
            }
        })
        .forever();

    let r = runners.clone();
    let start = move |node, msg, ctx| handlers::start(r.clone(), node, msg, ctx);
    let r = runners;
    let resume = move |node, msg, ctx| handlers::resume(r.clone(), node, msg, ctx);
    node.service(SERVICE_ID)
        .table::<LongJob>()
        .api(handlers::submit)
        .handle(start)
        .api(handlers::cancel)
        .api(resume)
        .api(handlers::rerun)
        .api(handlers::delete)
        .api(update::<LongJob, APIUpdateLongJobMsg>)
        .start()
}
