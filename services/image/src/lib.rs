//! The image service: images added from a URL to backup storage, with a simulated download.

pub mod entity;
mod handlers;
pub mod messages;
pub mod migration;

use zstack_kernel::query::Relation;
use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::IMAGE;
pub use messages::ImageQuery;

pub const SERVICE_ID: &str = "image";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.relate(
        "backupStorage",
        Relation::new("image", "image", "uuid", "uuid").via(
            entity::backup_storage_ref::TABLE,
            "backup_storage_uuid",
            "image_uuid",
        ),
    );
    node.service(SERVICE_ID)
        .resource(entity::IMAGE)
        .api(handlers::add)
        .api(handlers::update)
        .api(handlers::change_state)
        .api(handlers::delete)
        .api(handlers::expunge)
        .api(handlers::recover)
        .query::<ImageQuery>()
        .cascade::<handlers::ImageCascade, _, _>(handlers::backup_storage_gone)
        .start()
}
