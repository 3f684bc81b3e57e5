//! The image service: images added from a URL to backup storage, with a simulated download.

pub mod entity;
mod get;
mod handlers;
pub mod messages;

use zstack_kernel::family::handlers::change_state;
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Image;
pub use entity::IMAGE;
use messages::APIChangeImageStateMsg;

pub const SERVICE_ID: &str = "image";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration(), entity::RecordBits]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries
        .relate("backupStorage", entity::COPIES.back("image"));
    node.service(SERVICE_ID)
        .table::<Image>()
        .api(handlers::add)
        .api(handlers::update)
        .api(change_state::<Image, APIChangeImageStateMsg>)
        .api(handlers::delete)
        .api(handlers::expunge)
        .api(handlers::recover)
        .handle(get::get)
        .cascade::<handlers::ImageCascade, _, _>(handlers::backup_storage_gone)
        .long_job::<handlers::AddImageLongJob, _, _>(handlers::long_job)
        .start()
}
