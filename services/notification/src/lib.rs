//! The notification service: the node writes down, for operators, resources changing status on
//! their own and finished APIs. Writes go through a queue that one task drains in batches, off
//! the path of whoever notifies; notifications are queryable and kept for a configured time.

mod entity;
mod handlers;

use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::jobs::ApiJobCompleted;
use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "notification";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    let queue = handlers::Queue::start(node.clone());
    handlers::spawn_cleaner(node.clone());
    // Every node hears every event; the ring owner of the resource (or API) writes it once.
    let (on_status, on_api) = (queue.clone(), queue.clone());
    let (n1, n2) = (node.clone(), node.clone());
    std::mem::forget(node.bus.subscribe(move |e: &ResourceStatusChanged| {
        if handlers::mine(&n1, &e.resource_uuid) {
            on_status.push(handlers::status_changed(e));
        }
    }));
    let apis = node.config.setting("notification.apis") != Some("false");
    std::mem::forget(node.bus.subscribe(move |e: &ApiJobCompleted| {
        if apis
            && handlers::mine(&n2, &e.api_id)
            && let Some(notice) = handlers::api_finished(&n2, e)
        {
            on_api.push(notice);
        }
    }));
    let on_msg = queue.clone();
    node.service(SERVICE_ID)
        .query::<entity::Entity>()
        .api(handlers::update_status)
        .api(handlers::delete)
        .handle(move |_node: NodeContext, msg, _ctx| {
            on_msg.push(msg);
            async { Ok(zstack_kernel::api::EmptyReply {}) }
        })
        .start()
}
