//! Start, stop, destroy, recover and expunge, with the states ZStack allows each in. Each API
//! queues behind the others on the same VM (its queue key is the VM's uuid), so a VM's state
//! read at the start of a handler holds until the handler ends.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::host::{HOST, ReleaseHostCapacityMsg};
use zstack_header::l3_network::{GetL3NetworkMsg, ReleaseIpsMsg};
use zstack_header::volume::{ListVmVolumesMsg, ReleaseVmVolumesMsg};
use zstack_kernel::api::{EmptyReply, InventoryReply};
use zstack_kernel::error::operr;
use zstack_kernel::resource::{delete_rows, find, registry};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Entity as VmInstance, Model, VM_INSTANCE, VM_NIC, nic};
use crate::messages::{
    APIDestroyVmInstanceMsg, APIExpungeVmInstanceMsg, APIRecoverVmInstanceMsg,
    APIStartVmInstanceMsg, APIStopVmInstanceMsg,
};
use crate::placement;

const WHAT: &str = "VM instance";

/// An operation the VM's state does not allow, naming the state (ZStack's wording).
pub(crate) fn not_allowed(vm: &Model, api: &str) -> ErrorCode {
    operr(format!(
        "current vm instance state[{}] doesn't allow to proceed message[{api}]: VM[uuid:{}, name:{}]",
        vm.state, vm.uuid, vm.name
    ))
}

async fn load(node: &NodeContext, uuid: &str, api: &str, allowed: &[&str]) -> ApiResult<Model> {
    let vm = find::<VmInstance, _>(&node.db, WHAT, uuid).await?;
    if !allowed.contains(&vm.state.as_str()) {
        return Err(not_allowed(&vm, api));
    }
    Ok(vm)
}

async fn release_host(node: &NodeContext, vm: &Model, host: &str) -> ApiResult<()> {
    node.bus
        .call(ReleaseHostCapacityMsg {
            host_uuid: host.to_string(),
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
        })
        .await?;
    Ok(())
}

/// Stops a running VM on its host and gives back the host's CPU and memory; the row keeps the
/// host as its last.
async fn stop_on_host(node: &NodeContext, vm: &Model, state: &str) -> ApiResult<Model> {
    let mut active: ActiveModel = vm.clone().into();
    if let Some(host) = &vm.host_uuid {
        zstack_kernel::simulator::operate(&node.db, HOST, host).await?;
        release_host(node, vm, host).await?;
        active.last_host_uuid = Set(Some(host.clone()));
    }
    active.host_uuid = Set(None);
    active.state = Set(state.into());
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
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

pub async fn start(
    node: NodeContext,
    msg: APIStartVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, "APIStartVmInstanceMsg", &["Stopped"]).await?;
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
        &node,
        &placement::Wanted {
            l3s: &l3s,
            zone_uuid: Some(&vm.zone_uuid),
            cluster_uuid: msg.cluster_uuid.as_deref(),
            host_uuid: msg.host_uuid.as_deref(),
            primary_storage_uuid: root_ps.as_deref(),
            disk_size: 0,
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
            preferred_host: vm.last_host_uuid.as_deref(),
        },
    )
    .await?;
    let host = placement::reserve(&node, &placement.hosts, vm.cpu_num, vm.memory_size).await?;
    if let Err(e) = zstack_kernel::simulator::operate(&node.db, HOST, &host.uuid).await {
        release_host(&node, &vm, &host.uuid).await?;
        return Err(e);
    }
    let mut active: ActiveModel = vm.into();
    active.host_uuid = Set(Some(host.uuid.clone()));
    active.last_host_uuid = Set(Some(host.uuid));
    active.cluster_uuid = Set(Some(host.cluster_uuid));
    active.state = Set("Running".into());
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?.into())
}

pub async fn stop(
    node: NodeContext,
    msg: APIStopVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, "APIStopVmInstanceMsg", &["Running"]).await?;
    Ok(stop_on_host(&node, &vm, "Stopped").await?.into())
}

pub async fn destroy(
    node: NodeContext,
    msg: APIDestroyVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = find::<VmInstance, _>(&node.db, WHAT, &msg.uuid).await?;
    match vm.state.as_str() {
        // Destroying twice is done already.
        "Destroyed" => {}
        "Running" | "Stopped" | "Created" | "Unknown" => {
            stop_on_host(&node, &vm, "Destroyed").await?;
            release_volumes(&node, &vm, false).await?;
        }
        _ => return Err(not_allowed(&vm, "APIDestroyVmInstanceMsg")),
    }
    Ok(EmptyReply {})
}

pub async fn recover(
    node: NodeContext,
    msg: APIRecoverVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.uuid, "APIRecoverVmInstanceMsg", &["Destroyed"]).await?;
    let mut active: ActiveModel = vm.into();
    active.state = Set("Stopped".into());
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?.into())
}

pub async fn expunge(
    node: NodeContext,
    msg: APIExpungeVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = load(&node, &msg.uuid, "APIExpungeVmInstanceMsg", &["Destroyed"]).await?;
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
    release_volumes(&node, &vm, true).await?;
    nic::Entity::delete_many()
        .filter(nic::Column::VmInstanceUuid.eq(vm.uuid.clone()))
        .exec(&node.db)
        .await?;
    registry::release(&node.db, VM_NIC, &nic_uuids).await?;
    let uuids = vec![vm.uuid];
    delete_rows(&node.db, VM_INSTANCE, &uuids).await?;
    registry::release(&node.db, VM_INSTANCE, &uuids).await?;
    Ok(EmptyReply {})
}
