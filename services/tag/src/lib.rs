//! The tag service: system tags (which must match a pattern a service declared for the resource
//! type) and user tags (free text) on any resource, as the seed's tag APIs describe them, plus
//! the tags of create bodies and the `__systemTag__`/`__userTag__` query conditions.

pub mod entity;
mod handlers;
mod interceptors;
pub mod messages;
pub mod migration;

use zstack_kernel::pipeline::order;
use zstack_kernel::query::LinkTable;
use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "tag";

zstack_kernel::family!(SERVICE_ID, start, [migration::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.queries.add_tag_source(
        "__systemTag__",
        LinkTable {
            table: "system_tag",
            resource_column: "resource_uuid",
            value_column: "tag",
        },
    );
    node.queries.add_tag_source(
        "__userTag__",
        LinkTable {
            table: "user_tag",
            resource_column: "resource_uuid",
            value_column: "tag",
        },
    );
    node.pipeline
        .add(order::TAGS, "tags", interceptors::RequestTagsCheck);
    node.create_hooks.add(interceptors::TagsOfCreate);
    node.service(SERVICE_ID)
        .api(handlers::create_system_tag)
        .api(handlers::update_system_tag)
        .api(handlers::create_user_tag)
        .api(handlers::delete_tag)
        .query::<messages::SystemTagQuery>()
        .query::<messages::UserTagQuery>()
        .handle(handlers::attach_tags)
        .handle(handlers::list_system_tags)
        .cascade::<handlers::TagCascade, _, _>(handlers::resources_gone)
        .start()
}
