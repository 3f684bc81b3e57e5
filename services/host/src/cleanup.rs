//! The host-side cleanup of a deleted host. A Connected host is cleaned up as it goes; one
//! deleted while Disconnected cannot be, so its deletion leaves a GC job that does it once the
//! machine answers again (ZStack's `DeleteVmGC` pattern: wait for the host to reconnect).
//! The simulator has nothing to clean on the machine: the cleanup is written down (log and
//! notification), through a real job all the same.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use zstack_header::notification::NotifyMsg;
use zstack_kernel::resource::delete_rows;
use zstack_kernel::{ApiResult, NodeContext, gc, simulator};

use crate::entity::{Column, Entity as Host, HOST};

/// The runner's stable name (a job's `runnerClass`).
pub const HOST_CLEANUP_GC: &str = "HostDeletionCleanupGC";

/// A [`HOST_CLEANUP_GC`] job's context: the host as it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostCleanupGc {
    pub host_uuid: String,
    pub name: String,
    pub management_ip: String,
}

/// Removes hosts `uuids` (API deletes and cascades alike), cleaning up each on its machine, or
/// leaving a GC job for those that cannot be reached now.
pub async fn remove(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    let hosts = Host::find()
        .filter(Column::Uuid.is_in(uuids.clone()))
        .all(&node.db)
        .await?;
    delete_rows(&node.db, HOST, &uuids).await?;
    for host in hosts {
        if host.status == "Disconnected" {
            let job = gc::NewJob {
                name: format!("gc-host-cleanup-{}", host.uuid),
                runner: HOST_CLEANUP_GC,
                context: HostCleanupGc {
                    host_uuid: host.uuid.clone(),
                    name: host.name.clone(),
                    management_ip: host.management_ip.clone(),
                },
                schedule: gc::Schedule::On(gc::Wake::connected(host.uuid.clone())),
            };
            let job = gc::submit(node, &node.db, job).await?;
            tracing::warn!(host = %host.uuid, gc_job = %job,
                "host deleted while Disconnected: its host-side cleanup waits for it to reconnect");
        } else {
            cleaned(&host.uuid, &host.name, &host.management_ip);
        }
    }
    Ok(())
}

/// The host-side cleanup (the simulator has nothing on the machine to remove): written down.
fn cleaned(uuid: &str, name: &str, ip: &str) {
    tracing::info!(
        host = uuid,
        name,
        management_ip = ip,
        "host-side cleanup of a deleted host done"
    );
}

/// The GC runner: the cleanup, once the machine answers.
pub async fn clean_up(node: NodeContext, host: HostCleanupGc, _run: gc::Run) -> ApiResult<()> {
    simulator::operate(&node.db, HOST, &host.host_uuid).await?;
    cleaned(&host.host_uuid, &host.name, &host.management_ip);
    node.bus.send(NotifyMsg {
        sender: "system".into(),
        name: "host".into(),
        content: "the host-side cleanup of deleted host[uuid:%s, managementIp:%s] is done".into(),
        arguments: vec![host.host_uuid.clone(), host.management_ip.clone()],
        r#type: "Info".into(),
        resource_uuid: Some(host.host_uuid),
        resource_type: Some(HOST.vo_name.into()),
        opaque: None,
    });
    Ok(())
}
