//! Start, stop, reboot, pause, resume, destroy, recover and expunge. Each API queues behind the
//! others on the same VM (its queue key is the VM's uuid), so a VM's state read at the start of
//! a handler holds until the handler ends. Which state allows which API, and where each event
//! leads, is the state table's (`state.rs`); while a host works on the VM it shows the
//! intermediate state (Starting, Stopping, ...), and a failure puts it back as it was.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::host::{HostCandidate, ReleaseHostCapacityMsg};
use zstack_header::l3_network::{GetL3NetworkMsg, ReleaseIpsMsg};
use zstack_header::simulator::HostVmOperationMsg;
use zstack_header::volume::{ListVmVolumesMsg, ReleaseVmVolumesMsg};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::cascade::DeleteMode::Enforcing;
use zstack_kernel::error::operr;
use zstack_kernel::resource::{delete_rows, find};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, simulator};

use crate::entity::{ActiveModel, Entity as VmInstance, Model, VM_INSTANCE, VM_NIC, nic};
use crate::messages::{
    APIDestroyVmInstanceMsg, APIExpungeVmInstanceMsg, APIPauseVmInstanceMsg,
    APIRebootVmInstanceMsg, APIRecoverVmInstanceMsg, APIResumeVmInstanceMsg, APIStartVmInstanceMsg,
    APIStopVmInstanceMsg,
};
use crate::{host_sync, placement, state};

pub(crate) const WHAT: &str = "VM instance";

/// An operation the VM's state does not allow, naming the state (ZStack's wording).
pub(crate) fn not_allowed(vm: &Model, api: &str) -> ErrorCode {
    operr(format!(
        "current vm instance state[{}] doesn't allow to proceed message[{api}]: VM[uuid:{}, name:{}]",
        vm.state, vm.uuid, vm.name
    ))
}

/// VM `uuid`, if it is still there (a message in its queue reads it again).
pub(crate) async fn vm_if_there(node: &NodeContext, uuid: &str) -> ApiResult<Option<Model>> {
    Ok(VmInstance::find_by_id(uuid.to_string())
        .one(&node.db)
        .await?)
}

/// VM `uuid`, if its state allows `api`.
pub(crate) async fn load(node: &NodeContext, uuid: &str, api: &str) -> ApiResult<Model> {
    let vm = find::<VmInstance, _>(&node.db, WHAT, uuid).await?;
    state::check(&vm, api)?;
    Ok(vm)
}

/// Moves `vm` to the state `event` leads it to, with the other changes `change` makes.
pub(crate) async fn transit(
    node: &NodeContext,
    vm: &Model,
    event: &str,
    change: impl FnOnce(&mut ActiveModel),
) -> ApiResult<Model> {
    let to = state::next(vm, event)?;
    let mut active: ActiveModel = vm.clone().into();
    change(&mut active);
    active.state = Set(to.into());
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
}

/// Puts `before` back as it was before an operation that failed, and answers the operation's
/// error.
pub(crate) async fn failed(node: &NodeContext, before: &Model, e: ErrorCode) -> ErrorCode {
    let mut active: ActiveModel = before.clone().into();
    active.state = Set(before.state.clone());
    active.host_uuid = Set(before.host_uuid.clone());
    active.last_host_uuid = Set(before.last_host_uuid.clone());
    active.cluster_uuid = Set(before.cluster_uuid.clone());
    active.zone_uuid = Set(before.zone_uuid.clone());
    active.last_op_date = Set(now());
    if let Err(undo) = active.update(&node.db).await {
        tracing::error!(vm = %before.uuid, error = %undo, "could not put a VM back after a failed operation");
    }
    e
}

pub(crate) async fn release_host(node: &NodeContext, vm: &Model, host: &str) -> ApiResult<()> {
    node.bus
        .call(ReleaseHostCapacityMsg {
            host_uuid: host.to_string(),
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
        })
        .await?;
    Ok(())
}

/// Operation `operation` on `vm` by its simulated host `host`.
pub(crate) async fn on_host(
    node: &NodeContext,
    host: &str,
    operation: &str,
    vm: &Model,
) -> ApiResult<()> {
    on_host_uuid(node, host, operation, &vm.uuid).await
}

/// Operation `operation` on VM `vm` by its simulated host `host`, asked as a host's agent is.
pub(crate) async fn on_host_uuid(
    node: &NodeContext,
    host: &str,
    operation: &str,
    vm: &str,
) -> ApiResult<()> {
    let order = HostVmOperationMsg {
        host_uuid: host.to_string(),
        operation: operation.to_string(),
        vm_uuid: vm.to_string(),
    };
    node.bus.call(order).await?;
    Ok(())
}

/// A destroyed VM's data volumes are detached and kept (ZStack's VmDeleteVolumeFlow); an
/// expunged VM's root volume goes too.
async fn release_volumes(node: &NodeContext, vm: &Model, expunge_root: bool) -> ApiResult<()> {
    node.bus
        .call(ReleaseVmVolumesMsg {
            vm_instance_uuid: vm.uuid.clone(),
            expunge_root,
        })
        .await?;
    Ok(())
}

/// The VM runs on `host` now.
pub(crate) fn place(vm: &mut ActiveModel, host: &HostCandidate) {
    vm.host_uuid = Set(Some(host.uuid.clone()));
    vm.cluster_uuid = Set(Some(host.cluster_uuid.clone()));
    vm.zone_uuid = Set(host.zone_uuid.clone());
}

/// The host `vm` runs on; a state that has one always does.
pub(crate) fn host_of(vm: &Model) -> ApiResult<String> {
    vm.host_uuid.clone().ok_or_else(|| {
        operr(format!(
            "VM[uuid:{}] is {} but has no host",
            vm.uuid, vm.state
        ))
    })
}

/// The hosts `vm` could run on now (Enabled, Connected, with its CPU and memory free, reaching
/// its L3 networks and the primary storage of its root volume), `preferred` first.
pub(crate) async fn hosts_for(
    node: &NodeContext,
    vm: &Model,
    cluster_uuid: Option<&str>,
    host_uuid: Option<&str>,
    preferred: Option<&str>,
) -> ApiResult<Vec<HostCandidate>> {
    let nics = nic::Entity::find()
        .filter(nic::Column::VmInstanceUuid.eq(vm.uuid.clone()))
        .all(&node.db)
        .await?;
    let mut l3s = Vec::new();
    for n in &nics {
        l3s.push(
            node.bus
                .call(GetL3NetworkMsg {
                    uuid: n.l3_network_uuid.clone(),
                })
                .await?,
        );
    }
    let volumes = node
        .bus
        .call(ListVmVolumesMsg {
            vm_instance_uuid: vm.uuid.clone(),
        })
        .await?;
    let root_ps = volumes
        .iter()
        .find(|v| v.r#type == "Root")
        .and_then(|v| v.primary_storage_uuid.clone());
    let placement = placement::find(
        node,
        &placement::Wanted {
            l3s: &l3s,
            zone_uuid: Some(&vm.zone_uuid),
            cluster_uuid,
            host_uuid,
            primary_storage_uuid: root_ps.as_deref(),
            disk_size: 0,
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
            preferred_host: preferred,
        },
    )
    .await?;
    Ok(placement.hosts)
}

pub async fn start(
    node: NodeContext,
    msg: APIStartVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::START).await?;
    // A host asked for overrides a cluster asked for (ZStack's interceptor).
    let cluster = match msg.host_uuid {
        Some(_) => None,
        None => msg.cluster_uuid.as_deref(),
    };
    let hosts = hosts_for(
        &node,
        &vm,
        cluster,
        msg.host_uuid.as_deref(),
        vm.last_host_uuid.as_deref(),
    )
    .await?;
    let host = placement::reserve(&node, &hosts, vm.cpu_num, vm.memory_size).await?;
    let starting = transit(&node, &vm, "starting", |_| {}).await?;
    if let Err(e) = on_host(&node, &host.uuid, "StartVm", &vm).await {
        release_host(&node, &vm, &host.uuid).await?;
        return Err(failed(&node, &vm, e).await);
    }
    let running = transit(&node, &starting, "running", |a| {
        place(a, &host);
        a.last_host_uuid = Set(Some(host.uuid.clone()));
    })
    .await?;
    Ok(running.into())
}

/// Ends `vm` on its host (if it has one), gives back the host's CPU and memory and moves it on
/// with `event`; the row keeps the host as its last.
async fn off_host(
    node: &NodeContext,
    vm: &Model,
    during: Model,
    operation: &str,
    event: &str,
) -> ApiResult<Model> {
    if let Some(host) = &vm.host_uuid {
        if let Err(e) = on_host(node, host, operation, vm).await {
            return Err(failed(node, vm, e).await);
        }
        release_host(node, vm, host).await?;
    }
    transit(node, &during, event, |a| {
        if let Some(host) = &vm.host_uuid {
            a.last_host_uuid = Set(Some(host.clone()));
        }
        a.host_uuid = Set(None);
    })
    .await
}

pub async fn stop(
    node: NodeContext,
    msg: APIStopVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::STOP).await?;
    Ok(stop_vm(&node, vm).await?.into())
}

/// Stops `vm`, whose state allows it, on its host; a Stopped VM is stopped already.
pub(crate) async fn stop_vm(node: &NodeContext, vm: Model) -> ApiResult<Model> {
    if vm.state == "Stopped" {
        return Ok(vm);
    }
    let stopping = transit(node, &vm, "stopping", |_| {}).await?;
    off_host(node, &vm, stopping, "StopVm", "stopped").await
}

/// An operation of `vm`'s host that leaves it there: into the intermediate state of `during`,
/// the host's `operation`, then on with `done`.
async fn on_its_host(
    node: &NodeContext,
    vm: Model,
    during: &str,
    operation: &str,
    done: &str,
) -> ApiResult<InventoryReply<Model>> {
    let host = host_of(&vm)?;
    let busy = transit(node, &vm, during, |_| {}).await?;
    if let Err(e) = on_host(node, &host, operation, &vm).await {
        return Err(failed(node, &vm, e).await);
    }
    Ok(transit(node, &busy, done, |_| {}).await?.into())
}

pub async fn reboot(
    node: NodeContext,
    msg: APIRebootVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::REBOOT).await?;
    on_its_host(&node, vm, "rebooting", "RebootVm", "running").await
}

pub async fn pause(
    node: NodeContext,
    msg: APIPauseVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::PAUSE).await?;
    on_its_host(&node, vm, "pausing", "PauseVm", "paused").await
}

pub async fn resume(
    node: NodeContext,
    msg: APIResumeVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::RESUME).await?;
    on_its_host(&node, vm, "resuming", "ResumeVm", "running").await
}

pub async fn destroy(
    node: NodeContext,
    msg: APIDestroyVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = load(&node, &msg.uuid, state::DESTROY).await?;
    // Destroying twice is done already.
    if vm.state == "Destroyed" {
        return Ok(EmptyReply {});
    }
    let destroying = transit(&node, &vm, "destroying", |_| {}).await?;
    match &vm.host_uuid {
        // An unreachable host cannot destroy the VM now: it goes all the same, and a GC job
        // destroys it on the host once the host is back.
        Some(host) if !simulator::state(&node.db, host).await?.connected => {
            if let Err(e) = host_sync::destroy_later(&node, &vm, host).await {
                return Err(failed(&node, &vm, e).await);
            }
            release_host(&node, &vm, host).await?;
            transit(&node, &destroying, "destroyed", |a| {
                a.last_host_uuid = Set(Some(host.clone()));
                a.host_uuid = Set(None);
            })
            .await?;
        }
        _ => {
            off_host(&node, &vm, destroying, "DestroyVm", "destroyed").await?;
        }
    }
    release_volumes(&node, &vm, false).await?;
    Ok(EmptyReply {})
}

pub async fn recover(
    node: NodeContext,
    msg: APIRecoverVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, state::RECOVER).await?;
    Ok(transit(&node, &vm, "stopped", |_| {}).await?.into())
}

pub async fn expunge(
    node: NodeContext,
    msg: APIExpungeVmInstanceMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = load(&node, &msg.uuid, state::EXPUNGE).await?;
    erase(&node, &ctx, &vm).await?;
    Ok(EmptyReply {})
}

/// Removes `vm` for good: its NICs' addresses go back, its root volume goes and its data
/// volumes are detached and kept, and its rows go with what follows every resource (owner
/// records, tags), as the NICs' do.
pub(crate) async fn erase(node: &NodeContext, ctx: &MsgContext, vm: &Model) -> ApiResult<()> {
    let nic_uuids: Vec<String> = nic::Entity::find()
        .filter(nic::Column::VmInstanceUuid.eq(vm.uuid.clone()))
        .all(&node.db)
        .await?
        .into_iter()
        .map(|n| n.uuid)
        .collect();
    node.bus
        .call(ReleaseIpsMsg {
            owner_uuids: nic_uuids.clone(),
        })
        .await?;
    release_volumes(node, vm, true).await?;
    let db = node.db.clone();
    node.delete_resources(ctx, VM_NIC.vo_name, nic_uuids, Enforcing, |uuids| {
        let db = db.clone();
        async move { delete_rows(&db, VM_NIC, &uuids).await }
    })
    .await?;
    node.delete_resources(
        ctx,
        VM_INSTANCE.vo_name,
        vec![vm.uuid.clone()],
        Enforcing,
        |uuids| async move { delete_rows(&db, VM_INSTANCE, &uuids).await },
    )
    .await
}
