//! A VM's side of attaching and detaching data volumes (ZStack's VmInstanceBase): the volume
//! family asks in the VM's queue, so the VM's state read here holds until the volume is bound
//! or unbound, and the VM's hypervisor (simulated: its host) takes the change when it runs.

use zstack_header::host::HOST;
use zstack_header::vm_instance::{AttachDataVolumeToVmMsg, DetachDataVolumeFromVmMsg};
use zstack_header::volume::{BindVolumeToVmMsg, UnbindVolumeFromVmMsg};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::operr;
use zstack_kernel::resource::find;
use zstack_kernel::{ApiResult, Message, MsgContext, NodeContext, simulator};

use crate::entity::{Entity as VmInstance, Model};
use crate::lifecycle::not_allowed;

/// The VM states in which a data volume may be attached or detached (ZStack's allowed
/// operations of AttachDataVolumeToVmMsg and DetachDataVolumeFromVmMsg).
const VOLUME_STATES: &[&str] = &["Running", "Stopped", "Paused"];

async fn load(node: &NodeContext, uuid: &str, msg: &str) -> ApiResult<Model> {
    let vm = find::<VmInstance, _>(&node.db, "VM instance", uuid).await?;
    if !VOLUME_STATES.contains(&vm.state.as_str()) {
        return Err(not_allowed(&vm, msg));
    }
    Ok(vm)
}

/// The host a VM runs on, when its hypervisor must take a change.
fn running_on(vm: &Model) -> Option<&str> {
    vm.host_uuid
        .as_deref()
        .filter(|_| vm.state == "Running" || vm.state == "Paused")
}

pub async fn attach(
    node: NodeContext,
    msg: AttachDataVolumeToVmMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = load(&node, &msg.vm_instance_uuid, AttachDataVolumeToVmMsg::NAME).await?;
    let host = vm.host_uuid.clone().or_else(|| vm.last_host_uuid.clone());
    let (Some(host), Some(cluster)) = (host, vm.cluster_uuid.clone()) else {
        return Err(operr(format!(
            "Can not find the vm's host, please start the vm[{}], then mount the disk",
            vm.uuid
        )));
    };
    node.bus
        .call(BindVolumeToVmMsg {
            volume_uuid: msg.volume_uuid.clone(),
            vm_instance_uuid: vm.uuid.clone(),
            cluster_uuid: cluster,
            host_uuid: host,
        })
        .await?;
    if let Some(host) = running_on(&vm)
        && let Err(e) = simulator::operate(&node.db, HOST, host).await
    {
        // The hypervisor did not take the volume: it is not attached.
        node.bus
            .call(UnbindVolumeFromVmMsg {
                volume_uuid: msg.volume_uuid,
                vm_instance_uuid: vm.uuid,
            })
            .await?;
        return Err(e);
    }
    Ok(EmptyReply {})
}

pub async fn detach(
    node: NodeContext,
    msg: DetachDataVolumeFromVmMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let vm = load(
        &node,
        &msg.vm_instance_uuid,
        DetachDataVolumeFromVmMsg::NAME,
    )
    .await?;
    if let Some(host) = running_on(&vm) {
        simulator::operate(&node.db, HOST, host).await?;
    }
    node.bus
        .call(UnbindVolumeFromVmMsg {
            volume_uuid: msg.volume_uuid,
            vm_instance_uuid: vm.uuid,
        })
        .await?;
    Ok(EmptyReply {})
}
