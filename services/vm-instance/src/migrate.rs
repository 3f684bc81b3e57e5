//! MigrateVm and the hosts a VM could migrate to. The target's CPU and memory are taken before
//! the VM moves and the source's given back after, so a failed migration leaves the VM where
//! it was, in its state, with the capacity of both hosts as it was. A VM's volumes on the
//! source's local storage move with it (ZStack migrates local storage along).

use sea_orm::ActiveValue::Set;
use zstack_header::host::{HOST, HostCandidate};
use zstack_header::simulator::HostMigrateVmMsg;
use zstack_header::volume::MoveVmVolumesToHostMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::resource::find;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{Entity as VmInstance, Model};
use crate::lifecycle::{WHAT, failed, host_of, hosts_for, load, place, release_host, transit};
use crate::messages::{APIGetVmMigrationCandidateHostsMsg, APIMigrateVmMsg, HostInventoriesReply};
use crate::{placement, state};

/// The hosts other than `source` that `vm` could move to (only `wanted` when given).
async fn targets(
    node: &NodeContext,
    vm: &Model,
    source: &str,
    wanted: Option<&str>,
) -> ApiResult<Vec<HostCandidate>> {
    let mut hosts = hosts_for(node, vm, None, wanted, None).await?;
    hosts.retain(|h| h.uuid != source);
    if hosts.is_empty() {
        return Err(operr(format!(
            "no host other than host[uuid:{source}] is Enabled and Connected with {} CPUs and {} bytes of memory free and reaches the VM's networks and storage",
            vm.cpu_num, vm.memory_size
        )));
    }
    Ok(hosts)
}

pub async fn migrate(
    node: NodeContext,
    msg: APIMigrateVmMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<Model>> {
    let vm = load(&node, &msg.vm_instance_uuid, state::MIGRATE).await?;
    Ok(migrate_vm(&node, vm, msg.host_uuid.as_deref())
        .await?
        .into())
}

/// Migrates `vm`, whose state allows it, to host `wanted`, or to any other host that takes it.
/// Its volumes on the source's local storage go with it.
pub(crate) async fn migrate_vm(
    node: &NodeContext,
    vm: Model,
    wanted: Option<&str>,
) -> ApiResult<Model> {
    let source = host_of(&vm)?;
    if wanted == Some(source.as_str()) {
        return Err(argerr(format!(
            "the vm[uuid:{}] is already on host[uuid:{source}]",
            vm.uuid
        )));
    }
    let hosts = targets(node, &vm, &source, wanted).await?;
    let target = placement::reserve(node, &hosts, vm.cpu_num, vm.memory_size).await?;
    let migrating = match transit(node, &vm, "migrating", |_| {}).await {
        Ok(migrating) => migrating,
        Err(e) => {
            release_host(node, &vm, &target.uuid).await?;
            return Err(e);
        }
    };
    let order = HostMigrateVmMsg {
        from_host_uuid: source.clone(),
        to_host_uuid: target.uuid.clone(),
        vm_uuid: vm.uuid.clone(),
    };
    if let Err(e) = node.bus.call(order).await {
        release_host(node, &vm, &target.uuid).await?;
        return Err(failed(node, &vm, e).await);
    }
    release_host(node, &vm, &source).await?;
    // A paused VM stays paused on its new host.
    let event = if vm.state == "Paused" {
        "paused"
    } else {
        "migrated"
    };
    let moved = transit(node, &migrating, event, |a| {
        place(a, &target);
        a.last_host_uuid = Set(Some(source.clone()));
    })
    .await?;
    node.bus
        .call(MoveVmVolumesToHostMsg {
            vm_instance_uuid: moved.uuid.clone(),
            from_host_uuid: source,
            to_host_uuid: target.uuid,
        })
        .await?;
    Ok(moved)
}

/// The hosts as their query answers them; none when no host fits.
pub async fn candidates(
    node: NodeContext,
    msg: APIGetVmMigrationCandidateHostsMsg,
    _ctx: MsgContext,
) -> ApiResult<HostInventoriesReply> {
    let vm = find::<VmInstance, _>(&node.db, WHAT, &msg.vm_instance_uuid).await?;
    state::check(&vm, state::MIGRATION_CANDIDATES)?;
    let source = host_of(&vm)?;
    let hosts = match targets(&node, &vm, &source, None).await {
        Ok(hosts) => hosts,
        Err(e) => {
            tracing::debug!(vm = %vm.uuid, error = %e, "no host the VM could migrate to");
            Vec::new()
        }
    };
    let mut inventories = Vec::new();
    for host in hosts {
        if let Some(inventory) = node.inventory(HOST.vo_name, &host.uuid).await? {
            inventories.push(inventory);
        }
    }
    Ok(HostInventoriesReply { inventories })
}
