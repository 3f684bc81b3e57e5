//! The image service: images added from a URL to backup storage, with a simulated download.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "image";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
