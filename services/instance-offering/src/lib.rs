//! The instance-offering service: CPU and memory sizes for VMs.

pub mod entity;
mod get;
mod handlers;
pub mod messages;

use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as InstanceOffering;
pub use entity::INSTANCE_OFFERING;
use messages::{APIChangeInstanceOfferingStateMsg, APIDeleteInstanceOfferingMsg};
use zstack_kernel::family::handlers::{change_state, delete};

pub const SERVICE_ID: &str = "instanceOffering";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<InstanceOffering>()
        .api(handlers::create)
        .handle(get::get)
        .api(handlers::update)
        .api(change_state::<InstanceOffering, APIChangeInstanceOfferingStateMsg>)
        .api(delete::<InstanceOffering, APIDeleteInstanceOfferingMsg>)
        .start()
}
