//! The L3-network service: networks on an L2 network, with IP ranges, DNS and network services.

mod alloc;
mod capacity;
pub mod entity;
mod handlers;
mod ip;
pub mod messages;

use zstack_kernel::family::handlers::{change_state, delete};
use zstack_kernel::{ErrorCode, NodeContext};

use entity::{Entity as L3Network, ip_range::Entity as IpRange};
pub use entity::{IP_RANGE, L3_NETWORK};
use messages::{APIChangeL3NetworkStateMsg, APIDeleteIpRangeMsg, APIDeleteL3NetworkMsg};

pub const SERVICE_ID: &str = "l3Network";

zstack_kernel::family!(
    SERVICE_ID,
    start,
    [entity::migration(), entity::used_ip::migration()]
);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<L3Network>()
        .table::<IpRange>()
        .api(handlers::create)
        .api(handlers::update)
        .api(change_state::<L3Network, APIChangeL3NetworkStateMsg>)
        .api(delete::<L3Network, APIDeleteL3NetworkMsg>)
        .api(handlers::add_ip_range)
        .api(handlers::add_ip_range_by_cidr)
        .api(delete::<IpRange, APIDeleteIpRangeMsg>)
        .api(handlers::add_dns)
        .api(handlers::remove_dns)
        .api(handlers::attach_services)
        .api(handlers::detach_services)
        .api(capacity::get_ip_capacity)
        .handle(alloc::get)
        .handle(alloc::allocate)
        .handle(alloc::release)
        .start()
}
