//! The task-progress service (ZStack's ProgressReportService): stores what handlers report
//! through `zstack_kernel::progress` and answers `GET /task-progresses/{apiId}`. Entries are
//! removed a while after their API ends, and after a TTL whatever happens.

mod entity;
mod handlers;

use zstack_kernel::jobs::ApiJobCompleted;
use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "taskProgress";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    let ended = node.clone();
    // The subscription lives as long as the node.
    std::mem::forget(node.bus.subscribe(move |e: &ApiJobCompleted| {
        let node = ended.clone();
        let api_id = e.api_id.clone();
        tokio::spawn(async move {
            if let Err(e) = handlers::api_ended(&node, &api_id).await {
                tracing::warn!(api = %api_id, error = %e, "could not schedule task progress removal");
            }
        });
    }));
    handlers::spawn_cleaner(node.clone());
    node.service(SERVICE_ID)
        .api(handlers::get)
        .handle(handlers::record)
        .start()
}
