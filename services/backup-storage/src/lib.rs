//! The backup-storage service: simulated image-store and SFTP backup storage, attached to zones.

pub mod migration;

use zstack_kernel::{ErrorCode, NodeContext};

pub const SERVICE_ID: &str = "backupStorage";

pub fn start(_node: &NodeContext) -> Result<(), ErrorCode> {
    Ok(())
}
