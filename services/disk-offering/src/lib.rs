//! The disk-offering service: sizes for data volumes.

pub mod entity;
mod get;
mod handlers;
pub mod messages;

use zstack_kernel::{ErrorCode, NodeContext};

pub use entity::DISK_OFFERING;
use entity::Entity as DiskOffering;
use messages::{APIChangeDiskOfferingStateMsg, APIDeleteDiskOfferingMsg, APIUpdateDiskOfferingMsg};
use zstack_kernel::family::handlers::{change_state, delete, update};

pub const SERVICE_ID: &str = "diskOffering";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<DiskOffering>()
        .api(handlers::create)
        .handle(get::get)
        .api(update::<DiskOffering, APIUpdateDiskOfferingMsg>)
        .api(change_state::<DiskOffering, APIChangeDiskOfferingStateMsg>)
        .api(delete::<DiskOffering, APIDeleteDiskOfferingMsg>)
        .start()
}
