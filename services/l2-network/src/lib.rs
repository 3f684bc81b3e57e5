//! The L2-network service: no-VLAN and VLAN networks, attached to clusters.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "l2Network";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
