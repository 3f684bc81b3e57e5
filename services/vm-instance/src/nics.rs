//! A VM's NICs: the rows CreateVm makes, and AttachL3NetworkToVm / DetachL3NetworkFromVm
//! (ZStack's attachNic and detachNic flows). Every NIC operation queues on its VM's uuid, behind
//! the VM's other operations, so the VM's state and NICs read at its start hold until it ends.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use zstack_header::host::HOST;
use zstack_header::l2_network::GetL2NetworkClustersMsg;
use zstack_header::l3_network::{AllocateIpMsg, GetL3NetworkMsg, ReleaseIpsMsg, UsedIp};
use zstack_kernel::api::{Inventory, InventoryReply};
use zstack_kernel::cascade::DeleteMode;
use zstack_kernel::error::{not_found, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{delete_rows, find, record_owner, registry};
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, Message, MsgContext, NodeContext, SessionInfo};

use crate::entity::{ActiveModel, Entity as VmInstance, Model, VM_INSTANCE, VM_NIC, nic};
use crate::messages::{APIAttachL3NetworkToVmMsg, APIDetachL3NetworkFromVmMsg};

/// The VM states a NIC may be attached or detached in (ZStack's).
const NIC_STATES: &[&str] = &["Running", "Stopped"];

/// A MAC in ZStack's form (`fa:` and five random bytes).
fn new_mac() -> String {
    let hex = new_uuid();
    let mut mac = String::from("fa");
    for i in 0..5 {
        mac.push(':');
        mac.push_str(hex.get(i * 2..i * 2 + 2).unwrap_or("00"));
    }
    mac
}

/// Racing creates may draw the same MAC; the unique index decides, and the loser draws again.
const MAC_ATTEMPTS: usize = 8;

/// A NIC about to be written: its uuid, VM, network, address and place among the VM's NICs.
pub struct NewNic<'a> {
    pub uuid: &'a str,
    pub vm_uuid: &'a str,
    pub ip: &'a UsedIp,
    pub device_id: i64,
}

/// Writes a NIC in `txn`: claims its uuid, draws a MAC no other NIC has, and records the
/// account behind `session` as its owner (the VM's owner owns its NICs).
pub async fn insert(
    node: &NodeContext,
    txn: &DatabaseTransaction,
    session: Option<&SessionInfo>,
    new: NewNic<'_>,
) -> ApiResult<nic::Model> {
    registry::claim(txn, VM_NIC.vo_name, new.uuid).await?;
    for _ in 0..MAC_ATTEMPTS {
        let at = now();
        let row = nic::ActiveModel {
            uuid: Set(new.uuid.to_string()),
            vm_instance_uuid: Set(new.vm_uuid.to_string()),
            l3_network_uuid: Set(new.ip.l3_network_uuid.clone()),
            ip: Set(new.ip.ip.clone()),
            mac: Set(new_mac()),
            netmask: Set(new.ip.netmask.clone()),
            gateway: Set(new.ip.gateway.clone()),
            ip_version: Set(4),
            hypervisor_type: Set("Simulator".into()),
            device_id: Set(new.device_id),
            internal_name: Set(format!(
                "vnic{}.{}",
                &new.vm_uuid[..new.vm_uuid.len().min(8)],
                new.device_id
            )),
            driver_type: Set("virtio".into()),
            r#type: Set("VNIC".into()),
            create_date: Set(at),
            last_op_date: Set(at),
        };
        // A savepoint, so that a MAC clash undoes this row only.
        let attempt = txn.begin().await?;
        match row.insert(&attempt).await {
            Ok(inserted) => {
                attempt.commit().await?;
                record_owner(node, txn, session, VM_NIC, new.uuid).await?;
                return Ok(inserted);
            }
            Err(e) => match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => attempt.rollback().await?,
                _ => return Err(e.into()),
            },
        }
    }
    Err(operr("could not draw a MAC address no other NIC has"))
}

/// What attach and detach answer: the VM with its NICs, as ZStack's VmInstanceInventory.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmWithNics {
    #[serde(flatten)]
    pub vm: Model,
    pub vm_nics: Vec<nic::Model>,
}

impl Inventory for VmWithNics {
    const CLASS: &'static str = <Model as Inventory>::CLASS;
    const VO_NAME: Option<&'static str> = Some(VM_INSTANCE.vo_name);
}

pub(crate) async fn nics_of(node: &NodeContext, vm_uuid: &str) -> ApiResult<Vec<nic::Model>> {
    Ok(nic::Entity::find()
        .filter(nic::Column::VmInstanceUuid.eq(vm_uuid))
        .order_by_asc(nic::Column::DeviceId)
        .all(&node.db)
        .await?)
}

async fn with_nics(node: &NodeContext, vm: Model) -> ApiResult<InventoryReply<VmWithNics>> {
    let vm_nics = nics_of(node, &vm.uuid).await?;
    Ok(VmWithNics { vm, vm_nics }.into())
}

/// The VM `uuid`, in a state that lets a NIC be attached or detached (`what`: "attach").
async fn load(node: &NodeContext, uuid: &str, what: &str) -> ApiResult<Model> {
    let vm = find::<VmInstance, _>(&node.db, "VM instance", uuid).await?;
    if !NIC_STATES.contains(&vm.state.as_str()) {
        return Err(operr(format!(
            "unable to {what} a L3 network. The vm[uuid: {}] is not Running or Stopped; the current state is {}",
            vm.uuid, vm.state
        )));
    }
    Ok(vm)
}

/// The hypervisor's part: a running VM's host plugs or unplugs the NIC (it must be reachable).
pub(crate) async fn on_host(node: &NodeContext, vm: &Model) -> ApiResult<()> {
    if vm.state == "Running"
        && let Some(host) = &vm.host_uuid
    {
        zstack_kernel::simulator::operate(&node.db, HOST, host).await?;
    }
    Ok(())
}

pub async fn attach(
    node: NodeContext,
    msg: APIAttachL3NetworkToVmMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<VmWithNics>> {
    let vm = load(&node, &msg.vm_instance_uuid, "attach").await?;
    let l3 = node
        .bus
        .call(GetL3NetworkMsg {
            uuid: msg.l3_network_uuid.clone(),
        })
        .await?;
    if l3.state != "Enabled" {
        return Err(operr(format!(
            "unable to attach a L3 network. The L3 network[uuid:{}] is disabled",
            l3.uuid
        )));
    }
    let nics = nics_of(&node, &vm.uuid).await?;
    if nics.iter().any(|n| n.l3_network_uuid == l3.uuid) {
        return Err(operr(format!(
            "unable to attach a L3 network. The L3 network[uuid:{}] is already attached to the vm[uuid: {}]",
            l3.uuid, vm.uuid
        )));
    }
    let clusters = node
        .bus
        .call(GetL2NetworkClustersMsg {
            uuid: l3.l2_network_uuid.clone(),
        })
        .await?;
    let reachable = match &vm.cluster_uuid {
        Some(cluster) => clusters.contains(cluster),
        None => !clusters.is_empty(),
    };
    if !reachable {
        return Err(operr(format!(
            "unable to attach a L3 network. The L2 network[uuid:{}] of the L3 network[uuid:{}] is not attached to the cluster[uuid:{}] of the vm[uuid: {}]",
            l3.l2_network_uuid,
            l3.uuid,
            vm.cluster_uuid.as_deref().unwrap_or(""),
            vm.uuid
        )));
    }
    let nic_uuid = new_uuid();
    let ip = node
        .bus
        .call(AllocateIpMsg {
            l3_network_uuid: l3.uuid.clone(),
            required_ip: msg.static_ip.clone(),
            owner_uuid: nic_uuid.clone(),
        })
        .await?;
    // The lowest device id no NIC of the VM has.
    let device_id = (0..)
        .find(|id| !nics.iter().any(|n| n.device_id == *id))
        .unwrap_or(nics.len() as i64);
    let written = async {
        on_host(&node, &vm).await?;
        let txn = node.db.begin().await?;
        let new = NewNic {
            uuid: &nic_uuid,
            vm_uuid: &vm.uuid,
            ip: &ip,
            device_id,
        };
        insert(&node, &txn, ctx.session.as_ref(), new).await?;
        let mut active: ActiveModel = vm.clone().into();
        // A VM without a default network takes the new one (ZStack's SetDefaultL3Network).
        if vm.default_l3_network_uuid.is_none() {
            active.default_l3_network_uuid = Set(Some(l3.uuid.clone()));
        }
        active.last_op_date = Set(now());
        let updated = active.update(&txn).await?;
        // The API's job ends as done only if the NIC is there, and the NIC is there only if the
        // job had not ended (timed out) meanwhile.
        if let Some(job) = ctx.headers.get(zstack_kernel::jobs::store::JOB_HEADER) {
            zstack_kernel::jobs::store::mark_done_work(&txn, job, VM_INSTANCE.vo_name, &vm.uuid)
                .await?;
        }
        txn.commit().await?;
        Ok::<_, zstack_kernel::ErrorCode>(updated)
    }
    .await;
    match written {
        Ok(vm) => {
            tracing::info!(vm = %vm.uuid, nic = %nic_uuid, l3 = %l3.uuid, ip = %ip.ip, "L3 network attached");
            with_nics(&node, vm).await
        }
        Err(e) => {
            give_back_ips(&node, vec![nic_uuid]).await;
            Err(e)
        }
    }
}

async fn give_back_ips(node: &NodeContext, owner_uuids: Vec<String>) {
    if let Err(e) = node.bus.call(ReleaseIpsMsg { owner_uuids }).await {
        tracing::error!(error = %e, "could not give back the IP addresses of NICs");
    }
}

/// Detaches NIC `vm_nic_uuid` from VM `vm_instance_uuid`, queued on the VM.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetachNicMsg {
    pub vm_instance_uuid: String,
    pub vm_nic_uuid: String,
}

impl Message for DetachNicMsg {
    const NAME: &'static str = "DetachNicFromVmMsg";
    type Reply = InventoryReply<VmWithNics>;

    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

fn nic_not_found(uuid: &str) -> zstack_kernel::ErrorCode {
    not_found(format!("VM NIC[uuid:{uuid}] is not found"))
}

/// The API names the NIC only: it finds the NIC's VM and queues the detach on it.
pub async fn detach(
    node: NodeContext,
    msg: APIDetachL3NetworkFromVmMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<VmWithNics>> {
    let nic = nic::Entity::find_by_id(msg.vm_nic_uuid.clone())
        .one(&node.db)
        .await?
        .ok_or_else(|| nic_not_found(&msg.vm_nic_uuid))?;
    let on_vm = DetachNicMsg {
        vm_instance_uuid: nic.vm_instance_uuid,
        vm_nic_uuid: nic.uuid,
    };
    node.bus.call_as(on_vm, ctx.session).await
}

pub async fn detach_on_vm(
    node: NodeContext,
    msg: DetachNicMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<VmWithNics>> {
    let vm = load(&node, &msg.vm_instance_uuid, "detach").await?;
    // A racing detach may have taken it while this one waited in the VM's queue.
    let nic = nic::Entity::find_by_id(msg.vm_nic_uuid.clone())
        .one(&node.db)
        .await?
        .filter(|n| n.vm_instance_uuid == vm.uuid)
        .ok_or_else(|| nic_not_found(&msg.vm_nic_uuid))?;
    on_host(&node, &vm).await?;
    let vm = remove(&node, &ctx, vm, &nic).await?;
    with_nics(&node, vm).await
}

/// Removes NIC `nic` of `vm` (the hypervisor has let it go, or is going): its row goes, its
/// address goes back, and when it was on the default network the first NIC left's network
/// becomes the default (ZStack's). Answers the VM as it is then.
pub(crate) async fn remove(
    node: &NodeContext,
    ctx: &MsgContext,
    vm: Model,
    nic: &nic::Model,
) -> ApiResult<Model> {
    let db = node.db.clone();
    node.delete_resources(
        ctx,
        VM_NIC.vo_name,
        vec![nic.uuid.clone()],
        DeleteMode::Enforcing,
        |uuids| async move { delete_rows(&db, VM_NIC, &uuids).await },
    )
    .await?;
    // The address goes back once no NIC holds it.
    give_back_ips(node, vec![nic.uuid.clone()]).await;
    let mut active: ActiveModel = vm.clone().into();
    if vm.default_l3_network_uuid.as_deref() == Some(nic.l3_network_uuid.as_str()) {
        let left = nics_of(node, &vm.uuid).await?;
        active.default_l3_network_uuid = Set(left.first().map(|n| n.l3_network_uuid.clone()));
    }
    active.last_op_date = Set(now());
    let vm = active.update(&node.db).await?;
    tracing::info!(vm = %vm.uuid, nic = %nic.uuid, l3 = %nic.l3_network_uuid, "L3 network detached");
    Ok(vm)
}
