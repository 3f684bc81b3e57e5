//! The VM family's side of a host entering maintenance (ZStack's HostBase maintenance hook):
//! each VM the host runs migrates to another host that takes it, or, when none does, is
//! stopped; VMs in Unknown are left as they are, as ZStack leaves them. Each VM is moved by a
//! message in its own queue, behind its other operations. The VMs that could be neither moved
//! nor stopped are named in the failure, and stay where they were.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use zstack_header::vm_instance::{HostVacated, VacateHostMsg};
use zstack_kernel::error::operr;
use zstack_kernel::{ApiResult, Message, MsgContext, NodeContext};

use crate::entity::{Column, Entity as VmInstance};
use crate::lifecycle::{stop_vm, vm_if_there};
use crate::migrate::migrate_vm;
use crate::state;

/// Moves one VM off a host entering maintenance, in the VM's queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveHostMsg {
    pub vm_instance_uuid: String,
    pub host_uuid: String,
}

/// Where the VM went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Left {
    Migrated,
    Stopped,
    /// It was no longer there to move (moved, stopped or gone meanwhile; or Unknown).
    NotThere,
}

impl Message for LeaveHostMsg {
    const NAME: &'static str = "LeaveHostMsg";
    type Reply = Left;
    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

pub async fn vacate(
    node: NodeContext,
    msg: VacateHostMsg,
    _ctx: MsgContext,
) -> ApiResult<HostVacated> {
    let host = msg.host_uuid;
    let vms: Vec<String> = VmInstance::find()
        .filter(Column::HostUuid.eq(host.clone()))
        .filter(Column::State.ne("Unknown"))
        .order_by_asc(Column::CreateDate)
        .order_by_asc(Column::Uuid)
        .all(&node.db)
        .await?
        .into_iter()
        .map(|vm| vm.uuid)
        .collect();
    let mut vacated = HostVacated::default();
    let mut failed = Vec::new();
    for vm in vms {
        let leave = LeaveHostMsg {
            vm_instance_uuid: vm.clone(),
            host_uuid: host.clone(),
        };
        match node.bus.call(leave).await {
            Ok(Left::Migrated) => vacated.migrated.push(vm),
            Ok(Left::Stopped) => vacated.stopped.push(vm),
            Ok(Left::NotThere) => {}
            Err(e) => failed.push((vm, e)),
        }
    }
    if failed.is_empty() {
        tracing::info!(%host, migrated = ?vacated.migrated, stopped = ?vacated.stopped,
            "the VMs left the host entering maintenance");
        return Ok(vacated);
    }
    let uuids: Vec<&str> = failed.iter().map(|(vm, _)| vm.as_str()).collect();
    let reasons: Vec<String> = failed
        .iter()
        .map(|(vm, e)| format!("vm[uuid:{vm}]: {}", e.details.as_deref().unwrap_or("")))
        .collect();
    let mut error = operr(format!(
        "failed to stop vm[uuids:[{}]] on host[uuid:{host}]: {}",
        uuids.join(", "),
        reasons.join("; ")
    ));
    if let Some((_, first)) = failed.into_iter().next() {
        error = error.with_cause(first);
    }
    Err(error)
}

pub async fn leave_host(node: NodeContext, msg: LeaveHostMsg, _ctx: MsgContext) -> ApiResult<Left> {
    let Some(vm) = vm_if_there(&node, &msg.vm_instance_uuid).await? else {
        return Ok(Left::NotThere);
    };
    if vm.host_uuid.as_deref() != Some(msg.host_uuid.as_str()) || vm.state == "Unknown" {
        return Ok(Left::NotThere);
    }
    if state::allows(&vm, state::MIGRATE) {
        match migrate_vm(&node, vm.clone(), None).await {
            Ok(_) => return Ok(Left::Migrated),
            Err(e) => {
                tracing::warn!(vm = %vm.uuid, host = %msg.host_uuid, error = %e,
                    "a VM could not migrate off a host entering maintenance; stopping it");
            }
        }
    }
    // A failed migration puts the VM back as it was: read it again.
    let vm = vm_if_there(&node, &msg.vm_instance_uuid)
        .await?
        .ok_or_else(|| operr(format!("vm[uuid:{}] went away", msg.vm_instance_uuid)))?;
    state::check(&vm, state::STOP)?;
    stop_vm(&node, vm).await?;
    Ok(Left::Stopped)
}
