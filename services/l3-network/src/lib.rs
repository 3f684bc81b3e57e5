//! The L3-network service: networks on an L2 network, with IP ranges, DNS and network services.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "l3Network";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
