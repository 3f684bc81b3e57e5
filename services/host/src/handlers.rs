//! What each host API does. Hosts are simulated: connecting succeeds at once.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use zstack_header::cluster::GetClusterMsg;
use zstack_header::vm_instance::VacateHostMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource_or, find, set_state};
use zstack_kernel::tags::AttachTagsMsg;
use zstack_kernel::time::now;
use zstack_kernel::{ApiError, ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Column, Entity as Host, HOST, Model as HostInventory};
use crate::messages::{
    APIAddKVMHostMsg, APIAddSimulatorHostMsg, APIChangeHostStateMsg, APIReconnectHostMsg,
    APIUpdateHostMsg,
};

/// The capability every simulator host reports, as an inherent system tag.
pub const LIVE_SNAPSHOT: &str = "capability::liveSnapshot";

fn ip_taken(ip: &str) -> ErrorCode {
    argerr(format!("a host with management ip[{ip}] already exists"))
}

/// An update that broke the unique management ip is SYS.1007.
fn ip_conflict(e: sea_orm::DbErr, ip: &str) -> ErrorCode {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ip_taken(ip),
        _ => e.into(),
    }
}

pub async fn add_simulator_host(
    node: NodeContext,
    msg: APIAddSimulatorHostMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<HostInventory>> {
    let cluster = node
        .bus
        .call(GetClusterMsg {
            uuid: msg.cluster_uuid.clone(),
        })
        .await?;
    if Host::find()
        .filter(Column::ManagementIp.eq(msg.management_ip.clone()))
        .one(&node.db)
        .await?
        .is_some()
    {
        return Err(ip_taken(&msg.management_ip));
    }
    let uuid = msg.resource_uuid.unwrap_or_else(new_uuid);
    let at = now();
    let row = ActiveModel {
        uuid: Set(uuid.clone()),
        name: Set(msg.name),
        description: Set(msg.description),
        zone_uuid: Set(cluster.zone_uuid),
        cluster_uuid: Set(cluster.uuid),
        management_ip: Set(msg.management_ip.clone()),
        hypervisor_type: Set("Simulator".into()),
        state: Set("Enabled".into()),
        // The simulator connects at once.
        status: Set("Connected".into()),
        total_cpu_capacity: Set(msg.cpu_capacity),
        available_cpu_capacity: Set(msg.cpu_capacity),
        total_memory_capacity: Set(msg.memory_capacity),
        available_memory_capacity: Set(msg.memory_capacity),
        cpu_num: Set(msg.cpu_capacity),
        create_date: Set(at),
        last_op_date: Set(at),
    };
    // Racing adds of one address: the unique index decides.
    let host = create_resource_or(&node, &node.db, &ctx, HOST, &uuid, row, |_| {
        ip_taken(&msg.management_ip)
    })
    .await?;
    let capabilities = AttachTagsMsg {
        resource_type: HOST.vo_name.into(),
        resource_uuid: host.uuid.clone(),
        system_tags: vec![LIVE_SNAPSHOT.into()],
        user_tags: Vec::new(),
        inherent: true,
    };
    node.bus.call(capabilities).await?;
    Ok(host.into())
}

pub async fn add_kvm_host(
    _node: NodeContext,
    msg: APIAddKVMHostMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<HostInventory>> {
    Err(operr(format!(
        "cannot add KVM host[managementIp:{}]: this management node manages simulated hosts only; add it with POST /zstack/v1/hosts/simulators (AddSimulatorHost) instead",
        msg.management_ip
    )))
}

pub async fn update(
    node: NodeContext,
    msg: APIUpdateHostMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<HostInventory>> {
    let host = find::<Host, _>(&node.db, "host", &msg.uuid).await?;
    let mut active: ActiveModel = host.into();
    if let Some(name) = msg.name {
        active.name = Set(name);
    }
    if let Some(description) = msg.description {
        active.description = Set(Some(description));
    }
    let ip = msg.management_ip.clone();
    if let Some(ip) = &ip {
        active.management_ip = Set(ip.clone());
    }
    active.last_op_date = Set(now());
    let host = active
        .update(&node.db)
        .await
        .map_err(|e| ip_conflict(e, ip.as_deref().unwrap_or_default()))?;
    Ok(host.into())
}

pub async fn change_state(
    node: NodeContext,
    msg: APIChangeHostStateMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<HostInventory>> {
    let state = match msg.state_event.as_str() {
        "enable" => "Enabled",
        "disable" => "Disabled",
        // A host entering maintenance, busy: it stays here until told to go on.
        "preMaintain" => "PreMaintenance",
        _ => return maintain(&node, &msg.uuid).await,
    };
    Ok(set_state::<Host>(&node.db, "host", &msg.uuid, state)
        .await?
        .into())
}

/// Puts a host into maintenance (ZStack's maintenance hook): PreMaintenance while the VM family
/// migrates its VMs to other hosts, or stops those no host takes; then Maintenance. When a VM
/// can be neither moved nor stopped the host goes back to the state it had, and the failure
/// (HOST.1001) names the VM. Leaving maintenance later brings no VM back.
async fn maintain(node: &NodeContext, uuid: &str) -> ApiResult<InventoryReply<HostInventory>> {
    let host = find::<Host, _>(&node.db, "host", uuid).await?;
    set_state::<Host>(&node.db, "host", uuid, "PreMaintenance").await?;
    let vacate = VacateHostMsg {
        host_uuid: uuid.to_string(),
    };
    if let Err(e) = node.bus.call(vacate).await {
        set_state::<Host>(&node.db, "host", uuid, &host.state).await?;
        let refused: ErrorCode = ApiError::MaintenanceFailed(format!(
            "host[uuid:{}, name:{}, ip:{}] cannot enter maintenance: {}",
            host.uuid,
            host.name,
            host.management_ip,
            e.details.as_deref().unwrap_or("")
        ))
        .into();
        return Err(refused.with_cause(e));
    }
    Ok(set_state::<Host>(&node.db, "host", uuid, "Maintenance")
        .await?
        .into())
}

pub async fn reconnect(
    node: NodeContext,
    msg: APIReconnectHostMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<HostInventory>> {
    let host = find::<Host, _>(&node.db, "host", &msg.uuid).await?;
    if host.state == "Maintenance" {
        return Err(operr(format!(
            "host[uuid:{}] is in Maintenance; take it out of maintenance before reconnecting",
            host.uuid
        )));
    }
    zstack_kernel::simulator::reconnecting(&node, HOST, &msg.uuid).await?;
    // A Disconnected host brought back is announced, as the ping announces it (what waits for
    // it, its VMs and GC jobs, hears it either way); the conditional move announces it once.
    let was_lost = host.status == "Disconnected"
        && zstack_kernel::simulator::set_status(
            &node.db,
            HOST,
            &host.uuid,
            "Disconnected",
            "Connecting",
        )
        .await?;
    let mut active: ActiveModel = host.into();
    active.status = Set("Connected".into());
    active.last_op_date = Set(now());
    let host = active.update(&node.db).await?;
    if was_lost {
        node.bus.publish(ResourceStatusChanged {
            resource_uuid: host.uuid.clone(),
            resource_type: HOST.vo_name.into(),
            old_status: "Disconnected".into(),
            new_status: "Connected".into(),
        });
    }
    Ok(host.into())
}

/// A host entering maintenance is busy (in ZStack, migrating its VMs away): it refuses a
/// Permissive delete. Enforcing deletes it anyway.
pub(crate) async fn refuse_busy(node: &NodeContext, uuids: Vec<String>) -> ApiResult<()> {
    let busy = Host::find()
        .filter(Column::Uuid.is_in(uuids))
        .filter(Column::State.eq("PreMaintenance"))
        .one(&node.db)
        .await?;
    match busy {
        Some(host) => Err(operr(format!(
            "host[uuid:{}, name:{}] is entering maintenance and cannot be deleted in Permissive mode; use deleteMode=Enforcing",
            host.uuid, host.name
        ))),
        None => Ok(()),
    }
}
