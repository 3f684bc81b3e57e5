//! VMs kept in step with their hosts (ZStack's VmTracer and `VmStateChangedOnHostMsg`). A host
//! turning Disconnected makes its VMs Unknown; a host coming back reports what it runs and each
//! VM takes that state (one the host no longer runs is Stopped, its capacity given back); a
//! reachable host reports a VM changing state behind the node's back. Each report is a message
//! in the VM's queue, so it never overtakes an operation on the VM.
//!
//! A VM destroyed while its host is unreachable leaves a GC job that destroys it on the host
//! once the host is back.

use std::collections::BTreeMap;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use zstack_header::host::{HOST, ReserveHostCapacityMsg};
use zstack_header::notification::NotifyMsg;
use zstack_header::simulator::{GetHostVmsMsg, VmOnHost};
use zstack_header::vm_instance::VmStateChangedOnHostMsg;
use zstack_kernel::api::EmptyReply;
use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::resource::registry;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, gc};

use crate::entity::{Column, Entity as VmInstance, Model, VM_INSTANCE};
use crate::lifecycle::{release_host, transit, vm_if_there};
use crate::{SERVICE_ID, state};

/// Listens for hosts changing status; the node that owns a host (for this service) sends the
/// reports about its VMs.
pub fn watch_hosts(node: &NodeContext) {
    let me = node.clone();
    node.bus
        .subscribe(move |e: &ResourceStatusChanged| {
            if e.resource_type != HOST.vo_name
                || me.bus.ring().owner(&e.resource_uuid, SERVICE_ID).as_deref()
                    != Some(me.config.node_uuid.as_str())
            {
                return;
            }
            let (node, e) = (me.clone(), e.clone());
            tokio::spawn(async move {
                if let Err(err) = host_changed(&node, &e).await {
                    tracing::warn!(host = %e.resource_uuid, error = %err, "could not bring VMs in step with their host");
                }
            });
        })
        .forever();
}

async fn host_changed(node: &NodeContext, e: &ResourceStatusChanged) -> ApiResult<()> {
    let host = &e.resource_uuid;
    let placed = VmInstance::find()
        .filter(Column::HostUuid.eq(host.clone()))
        .all(&node.db)
        .await?;
    let mut reports: BTreeMap<String, String> = BTreeMap::new();
    match e.new_status.as_str() {
        "Disconnected" => {
            for vm in placed {
                reports.insert(vm.uuid, "Unknown".into());
            }
        }
        "Connected" => {
            // What the node places there and the host no longer runs is stopped.
            for vm in placed {
                reports.insert(vm.uuid, "Stopped".into());
            }
            for vm in host_vms(node, host).await? {
                reports.insert(vm.uuid, vm.state);
            }
        }
        _ => return Ok(()),
    }
    for (vm, state_on_host) in reports {
        node.bus.send(VmStateChangedOnHostMsg {
            vm_instance_uuid: vm,
            host_uuid: host.clone(),
            state_on_host,
        });
    }
    Ok(())
}

/// A host's report about a VM: the VM takes the state the host has it in.
pub async fn state_changed_on_host(
    node: NodeContext,
    msg: VmStateChangedOnHostMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let Some(vm) = vm_if_there(&node, &msg.vm_instance_uuid).await? else {
        return Ok(EmptyReply {});
    };
    let host = msg.host_uuid.as_str();
    let on_this_host = vm.host_uuid.as_deref() == Some(host);
    // A reachable host is asked again: operations queued before this report may have changed
    // what it runs since.
    let now_on_host = match msg.state_on_host.as_str() {
        "Unknown" => "Unknown".to_string(),
        _ => host_vms(&node, host)
            .await?
            .into_iter()
            .find(|v| v.uuid == vm.uuid)
            .map_or_else(|| "Stopped".to_string(), |v| v.state),
    };
    let reported = now_on_host.as_str();
    if on_this_host && reported == vm.state {
        return Ok(EmptyReply {});
    }
    let changed = match reported {
        "Unknown" if on_this_host && !state::UNKNOWN_IGNORED.contains(&vm.state.as_str()) => {
            Some(transit(&node, &vm, "unknown", |_| {}).await?)
        }
        "Stopped" if on_this_host => {
            release_host(&node, &vm, host).await?;
            Some(
                transit(&node, &vm, "stopped", |a| {
                    a.last_host_uuid = Set(Some(host.to_string()));
                    a.host_uuid = Set(None);
                })
                .await?,
            )
        }
        "Running" | "Paused" if on_this_host => {
            Some(transit(&node, &vm, &reported.to_lowercase(), |_| {}).await?)
        }
        // Started behind the node's back on a host: the VM takes the host's capacity there,
        // if the host still has it.
        "Running" | "Paused" if vm.state == "Stopped" => {
            let reserve = ReserveHostCapacityMsg {
                host_uuid: host.to_string(),
                cpu_num: vm.cpu_num,
                memory_size: vm.memory_size,
            };
            match node.bus.call(reserve).await {
                Ok(_) => Some(
                    transit(&node, &vm, &reported.to_lowercase(), |a| {
                        a.host_uuid = Set(Some(host.to_string()));
                        a.last_host_uuid = Set(Some(host.to_string()));
                    })
                    .await?,
                ),
                Err(e) => {
                    tracing::warn!(vm = %vm.uuid, %host, error = %e,
                        "a VM runs on a host without the capacity for it; it stays Stopped here");
                    None
                }
            }
        }
        _ => None,
    };
    if let Some(now) = changed
        && now.state != vm.state
    {
        tracing::info!(vm = %vm.uuid, %host, from = %vm.state, to = %now.state, "VM state changed on its host");
        notify(&node, &vm, &now, host);
    }
    Ok(EmptyReply {})
}

/// A VM changing state on its own is written down: a Warning when it is lost (Unknown) or
/// stopped, Info otherwise.
fn notify(node: &NodeContext, before: &Model, now: &Model, host: &str) {
    let lost = matches!(now.state.as_str(), "Unknown" | "Stopped");
    node.bus.send(NotifyMsg {
        sender: "system".into(),
        name: VM_INSTANCE.vo_name.into(),
        content: "the vm[uuid:%s, name:%s] on host[uuid:%s] becomes %s".into(),
        arguments: vec![
            now.uuid.clone(),
            now.name.clone(),
            host.to_string(),
            now.state.clone(),
        ],
        r#type: if lost { "Warning" } else { "Info" }.into(),
        resource_uuid: Some(now.uuid.clone()),
        resource_type: Some(VM_INSTANCE.vo_name.into()),
        opaque: Some(serde_json::json!({
            "oldState": before.state,
            "newState": now.state,
            "hostUuid": host,
        })),
    });
}

/// The runner's stable name (a job's `runnerClass`).
pub const DESTROY_VM_GC: &str = "DestroyVmOnHypervisorGC";

/// A [`DESTROY_VM_GC`] job's context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestroyVmGc {
    pub vm_uuid: String,
    pub vm_name: String,
    pub host_uuid: String,
}

/// Leaves a job that destroys `vm` on `host` once the host is Connected again (or deleted).
pub async fn destroy_later(node: &NodeContext, vm: &Model, host: &str) -> ApiResult<()> {
    let job = gc::NewJob {
        name: format!("gc-destroy-vm-{}-on-host-{host}", vm.uuid),
        runner: DESTROY_VM_GC,
        context: DestroyVmGc {
            vm_uuid: vm.uuid.clone(),
            vm_name: vm.name.clone(),
            host_uuid: host.to_string(),
        },
        schedule: gc::Schedule::On(gc::Wake::connected(host).or_deleted()),
    };
    let job = gc::submit(node, &node.db, job).await?;
    tracing::warn!(vm = %vm.uuid, %host, gc_job = %job,
        "VM destroyed while its host is unreachable: a GC job destroys it there when the host is back");
    Ok(())
}

/// The GC runner: the VM destroyed on its host. A deleted host has nothing left to destroy
/// (its own cleanup is the host's job).
pub async fn destroy_on_host(node: NodeContext, job: DestroyVmGc, _run: gc::Run) -> ApiResult<()> {
    if registry::type_of(&node.db, &job.host_uuid).await?.is_none() {
        return Ok(());
    }
    // Recovered and started there again meanwhile: it lives.
    let placed_there = VmInstance::find_by_id(job.vm_uuid.clone())
        .one(&node.db)
        .await?
        .is_some_and(|vm| vm.host_uuid.as_deref() == Some(job.host_uuid.as_str()));
    if placed_there {
        return Ok(());
    }
    crate::lifecycle::on_host_uuid(&node, &job.host_uuid, "DestroyVm", &job.vm_uuid).await?;
    tracing::info!(vm = %job.vm_uuid, host = %job.host_uuid, "destroyed a destroyed VM on its host");
    Ok(())
}

/// What simulated host `host` reports it runs.
async fn host_vms(node: &NodeContext, host: &str) -> ApiResult<Vec<VmOnHost>> {
    let asked = GetHostVmsMsg {
        host_uuid: host.to_string(),
    };
    Ok(node.bus.call(asked).await?.vms)
}
