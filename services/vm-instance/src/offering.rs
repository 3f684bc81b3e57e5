//! ChangeInstanceOffering and UpdateVmInstance. A VM's CPU and memory change at once when it is
//! Stopped (it holds no host capacity); when Running they only grow, by what its host still
//! has, memory growing in steps of 128 MiB (ZStack's alignment).

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_header::host::{HOST, ReleaseHostCapacityMsg, ReserveHostCapacityMsg};
use zstack_header::instance_offering::GetInstanceOfferingMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::resource::find;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, simulator};

use crate::entity::{ActiveModel, Entity as VmInstance, Model, nic};
use crate::lifecycle::{WHAT, host_of, load, release_host};
use crate::messages::{APIChangeInstanceOfferingMsg, APIUpdateVmInstanceMsg};
use crate::state;

const MEMORY_STEP: i64 = 128 << 20;

/// The memory a running VM of `old` bytes gets when `wanted` is asked for: the growth rounded
/// to the nearest 128 MiB, and at least 128 MiB.
fn aligned_memory(old: i64, wanted: i64) -> i64 {
    let growth = wanted - old;
    let remainder = growth % MEMORY_STEP;
    if growth == 0 || remainder == 0 {
        return wanted;
    }
    let rounded = if remainder < MEMORY_STEP / 2 {
        growth / MEMORY_STEP * MEMORY_STEP
    } else {
        (growth / MEMORY_STEP + 1) * MEMORY_STEP
    };
    old + rounded.max(MEMORY_STEP)
}

/// Gives `vm` `cpu_num` CPUs and `memory_size` bytes, with what `also` changes besides.
async fn change_cpu_memory(
    node: &NodeContext,
    vm: Model,
    cpu_num: i64,
    memory_size: i64,
    also: impl FnOnce(&mut ActiveModel),
) -> ApiResult<Model> {
    if !state::CPU_MEMORY_CHANGEABLE.contains(&vm.state.as_str()) {
        return Err(operr(format!(
            "The state of vm[uuid:{}] is {}. Only these state[{}] is allowed to update cpu or memory.",
            vm.uuid,
            vm.state,
            state::CPU_MEMORY_CHANGEABLE.join(",")
        )));
    }
    let memory_size = if vm.state == "Running" {
        if cpu_num < vm.cpu_num || memory_size < vm.memory_size {
            return Err(argerr(format!(
                "can't decrease capacity when vm[uuid:{}] is running",
                vm.uuid
            )));
        }
        let memory_size = aligned_memory(vm.memory_size, memory_size);
        grow_on_host(
            node,
            &vm,
            cpu_num - vm.cpu_num,
            memory_size - vm.memory_size,
        )
        .await?;
        memory_size
    } else {
        memory_size
    };
    let mut active: ActiveModel = vm.into();
    also(&mut active);
    active.cpu_num = Set(cpu_num);
    active.memory_size = Set(memory_size);
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
}

/// Takes `cpu` more CPUs and `memory` more bytes of a running VM's host and gives them to the
/// VM there.
async fn grow_on_host(node: &NodeContext, vm: &Model, cpu: i64, memory: i64) -> ApiResult<()> {
    if cpu == 0 && memory == 0 {
        return Ok(());
    }
    let host = host_of(vm)?;
    let reserve = ReserveHostCapacityMsg {
        host_uuid: host.clone(),
        cpu_num: cpu,
        memory_size: memory,
    };
    if let Err(e) = node.bus.call(reserve).await {
        return Err(operr(format!(
            "host[uuid:{host}] capacity is not enough to offer cpu[{cpu}], memory[{memory} bytes]: {}",
            e.details.as_deref().unwrap_or(&e.description)
        )));
    }
    if let Err(e) = simulator::operate(&node.db, HOST, &host).await {
        let release = ReleaseHostCapacityMsg {
            host_uuid: host,
            cpu_num: cpu,
            memory_size: memory,
        };
        node.bus.call(release).await?;
        return Err(e);
    }
    Ok(())
}

pub async fn change_offering(
    node: NodeContext,
    msg: APIChangeInstanceOfferingMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.vm_instance_uuid, state::CHANGE_OFFERING).await?;
    let offering = node
        .bus
        .call(GetInstanceOfferingMsg {
            uuid: msg.instance_offering_uuid.clone(),
        })
        .await?;
    let changed = change_cpu_memory(&node, vm, offering.cpu_num, offering.memory_size, |a| {
        a.instance_offering_uuid = Set(Some(offering.uuid.clone()));
    })
    .await?;
    Ok(changed.into())
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateVmInstanceMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = find::<VmInstance, _>(&node.db, WHAT, &msg.uuid).await?;
    if let Some(l3) = &msg.default_l3_network_uuid {
        let has_nic = nic::Entity::find()
            .filter(nic::Column::VmInstanceUuid.eq(vm.uuid.clone()))
            .filter(nic::Column::L3NetworkUuid.eq(l3.clone()))
            .one(&node.db)
            .await?
            .is_some();
        if !has_nic {
            return Err(argerr(format!(
                "the VM[uuid:{}] has no NIC on L3 network[uuid:{l3}] to make its default",
                vm.uuid
            )));
        }
    }
    let mut active: ActiveModel = vm.clone().into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    if let Some(l3) = msg.default_l3_network_uuid {
        active.default_l3_network_uuid = Set(Some(l3));
    }
    if let Some(platform) = msg.platform {
        active.platform = Set(platform);
    }
    if let Some(recorded) = msg.state
        && recorded != vm.state
    {
        record_state(&node, &vm, &recorded, &mut active).await?;
    }
    active.last_op_date = Set(now());
    let vm = active.update(&node.db).await?;
    if msg.cpu_num.is_none() && msg.memory_size.is_none() {
        return Ok(vm.into());
    }
    let (cpu_num, memory_size) = (
        msg.cpu_num.unwrap_or(vm.cpu_num),
        msg.memory_size.unwrap_or(vm.memory_size),
    );
    Ok(change_cpu_memory(&node, vm, cpu_num, memory_size, |_| {})
        .await?
        .into())
}

/// UpdateVmInstance's `state`: the record only, as ZStack (an operator's repair of a VM whose
/// record went wrong), kept consistent with host capacity: a Stopped VM holds none, and only a
/// VM with a host can be Running.
async fn record_state(
    node: &NodeContext,
    vm: &Model,
    recorded: &str,
    active: &mut ActiveModel,
) -> ApiResult<()> {
    match (recorded, &vm.host_uuid) {
        ("Stopped", Some(host)) => {
            release_host(node, vm, host).await?;
            active.last_host_uuid = Set(Some(host.clone()));
            active.host_uuid = Set(None);
        }
        ("Running", None) => {
            return Err(operr(format!(
                "VM[uuid:{}] is {} on no host; start it rather than recording it Running",
                vm.uuid, vm.state
            )));
        }
        _ => {}
    }
    active.state = Set(recorded.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_memory_grows_in_steps_of_128_mib() {
        const MIB: i64 = 1 << 20;
        assert_eq!(aligned_memory(1024 * MIB, 1024 * MIB), 1024 * MIB);
        assert_eq!(aligned_memory(1024 * MIB, 2048 * MIB), 2048 * MIB);
        assert_eq!(aligned_memory(1024 * MIB, 1024 * MIB + 1), 1152 * MIB);
        assert_eq!(
            aligned_memory(1024 * MIB, 1024 * MIB + 100 * MIB),
            1152 * MIB
        );
        assert_eq!(
            aligned_memory(1024 * MIB, 1024 * MIB + 300 * MIB),
            1280 * MIB
        );
    }
}
