//! The disk-offering service: sizes for data volumes.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "diskOffering";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
