//! The instance-offering service: CPU and memory sizes for VMs.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "instanceOffering";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
