//! The primary-storage service: simulated local and NFS primary storage, attached to clusters.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "primaryStorage";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
