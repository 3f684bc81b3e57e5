//! What VMs do when what they stand on is deleted (ZStack's VmCascadeExtension). A Permissive
//! delete is refused while VMs are on, in or use what goes, naming them; an Enforcing one deals
//! with them as ZStack does:
//!
//! - a host (alone or with its cluster): its VMs are stopped off it, and forget it as their last
//!   host; a VM whose root volume is on the host's local storage is destroyed and removed, as
//!   ZStack's local storage removes the VMs of a host it loses;
//! - a cluster: its VMs (stopped by then, with its hosts) forget it and may start elsewhere;
//! - a zone: its VMs are destroyed and their rows go;
//! - an L3 network: the NICs on it are detached, their addresses given back; the VMs stay;
//! - a primary storage: the VMs whose root volume is on it are destroyed and their rows go (the
//!   volume family deletes the data volumes on it).
//!
//! Each VM is dealt with by a message in its own queue, behind its other operations. What the
//! hypervisor cannot do (an unreachable host) does not stop it: nothing is left pointing at what
//! goes.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use zstack_header::volume::ListVolumesOnMsg;
use zstack_kernel::api::EmptyReply;
use zstack_kernel::cascade::{CascadeFamily, CascadeRequest};
use zstack_kernel::error::operr;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, ErrorCode, Message, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Column, Entity as VmInstance, Model, VM_INSTANCE, nic};
use crate::lifecycle::{erase, on_host, release_host, vm_if_there};
use crate::{host_sync, nics, state};

const HOST_VO: &str = "HostVO";
const CLUSTER_VO: &str = "ClusterVO";
const ZONE_VO: &str = "ZoneVO";
const L3_NETWORK_VO: &str = "L3NetworkVO";
const PRIMARY_STORAGE_VO: &str = "PrimaryStorageVO";

/// The VM family's part in cascades.
pub struct VmCascade;

impl CascadeFamily for VmCascade {
    const MESSAGE: &'static str = "VmInstanceCascadeMsg";
    const PARENTS: &'static [&'static str] = &[
        HOST_VO,
        CLUSTER_VO,
        ZONE_VO,
        L3_NETWORK_VO,
        PRIMARY_STORAGE_VO,
    ];
}

/// What becomes of one VM when its parents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    /// Stopped off the going hosts, which it forgets.
    Stop,
    /// Forgets the going clusters.
    LeaveCluster,
    /// Its NICs on the going L3 networks go.
    DetachNics,
    /// Destroyed, and its rows go.
    Expunge,
    /// Nothing of its own (what it has on the going storage goes with the storage).
    Keep,
}

/// A VM the going parents touch, and whether it is on, in or uses them (which refuses a
/// Permissive delete).
struct Touched {
    vm: Model,
    fate: Fate,
    uses: bool,
}

async fn vms_where(
    node: &NodeContext,
    column: Column,
    parents: &[String],
) -> ApiResult<Vec<Model>> {
    Ok(VmInstance::find()
        .filter(column.is_in(parents.to_vec()))
        .all(&node.db)
        .await?)
}

/// The VMs that keep volumes on the going storage, and for each whether its root volume is
/// there: on primary storage `storage` or on the local storage of hosts `hosts`.
async fn vms_with_volumes_on(
    node: &NodeContext,
    storage: &[String],
    hosts: &[String],
) -> ApiResult<BTreeMap<String, bool>> {
    let volumes = node
        .bus
        .call(ListVolumesOnMsg {
            primary_storage_uuids: storage.to_vec(),
            host_uuids: hosts.to_vec(),
        })
        .await?;
    let mut vms: BTreeMap<String, bool> = BTreeMap::new();
    for v in volumes {
        if let Some(vm) = v.vm_instance_uuid {
            *vms.entry(vm).or_default() |= v.r#type == "Root";
        }
    }
    Ok(vms)
}

/// The VMs with `uuids` (those still there).
async fn vms_by_uuid(node: &NodeContext, uuids: Vec<String>) -> ApiResult<Vec<Model>> {
    if uuids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(VmInstance::find()
        .filter(Column::Uuid.is_in(uuids))
        .all(&node.db)
        .await?)
}

async fn touched(node: &NodeContext, req: &CascadeRequest) -> ApiResult<Vec<Touched>> {
    let parents = &req.parent_uuids;
    let of = |vms: Vec<Model>, fate: Fate| -> Vec<Touched> {
        vms.into_iter()
            .map(|vm| Touched {
                vm,
                fate,
                uses: true,
            })
            .collect()
    };
    let found = match req.parent_type.as_str() {
        HOST_VO => {
            let on_disks = vms_with_volumes_on(node, &[], parents).await?;
            let mut vms: BTreeMap<String, Model> = BTreeMap::new();
            for column in [Column::HostUuid, Column::LastHostUuid] {
                for vm in vms_where(node, column, parents).await? {
                    vms.insert(vm.uuid.clone(), vm);
                }
            }
            let missing: Vec<String> = on_disks
                .keys()
                .filter(|uuid| !vms.contains_key(*uuid))
                .cloned()
                .collect();
            for vm in vms_by_uuid(node, missing).await? {
                vms.insert(vm.uuid.clone(), vm);
            }
            vms.into_values()
                .map(|vm| {
                    let on_host = vm.host_uuid.as_ref().is_some_and(|h| parents.contains(h));
                    let disks = on_disks.get(&vm.uuid).copied();
                    Touched {
                        fate: if disks == Some(true) {
                            Fate::Expunge
                        } else {
                            Fate::Stop
                        },
                        // A VM that only last ran there does not use it.
                        uses: on_host || disks.is_some(),
                        vm,
                    }
                })
                .collect()
        }
        CLUSTER_VO => of(
            vms_where(node, Column::ClusterUuid, parents).await?,
            Fate::LeaveCluster,
        ),
        ZONE_VO => of(
            vms_where(node, Column::ZoneUuid, parents).await?,
            Fate::Expunge,
        ),
        L3_NETWORK_VO => {
            let with_nics: BTreeSet<String> = nic::Entity::find()
                .filter(nic::Column::L3NetworkUuid.is_in(parents.to_vec()))
                .all(&node.db)
                .await?
                .into_iter()
                .map(|n| n.vm_instance_uuid)
                .collect();
            of(
                vms_by_uuid(node, with_nics.into_iter().collect()).await?,
                Fate::DetachNics,
            )
        }
        PRIMARY_STORAGE_VO => {
            let on_storage = vms_with_volumes_on(node, parents, &[]).await?;
            let uuids = on_storage.keys().cloned().collect();
            vms_by_uuid(node, uuids)
                .await?
                .into_iter()
                .map(|vm| Touched {
                    fate: if on_storage.get(&vm.uuid) == Some(&true) {
                        Fate::Expunge
                    } else {
                        Fate::Keep
                    },
                    uses: true,
                    vm,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(found)
}

/// The refusal of a Permissive delete, naming the VMs, what would let the delete go, and what
/// Enforcing would do to them.
fn refusal(req: &CascadeRequest, using: &[&Model]) -> ErrorCode {
    let (what, how, first, enforcing) = match req.parent_type.as_str() {
        HOST_VO => (
            "host",
            "run on it or keep volumes on its local storage",
            "migrate, stop or expunge them",
            "stops them, and deletes those whose root volume is on its local storage",
        ),
        CLUSTER_VO => (
            "cluster",
            "are in it",
            "expunge them",
            "stops them and takes them out of it",
        ),
        ZONE_VO => (
            "zone",
            "are in it",
            "expunge them",
            "destroys and deletes them",
        ),
        L3_NETWORK_VO => (
            "L3 network",
            "have NICs on it",
            "detach those NICs",
            "detaches those NICs and gives their addresses back",
        ),
        _ => (
            "primary storage",
            "keep volumes on it",
            "expunge them or detach their data volumes on it",
            "deletes those whose root volume is on it, and the data volumes on it",
        ),
    };
    let vms: Vec<String> = using
        .iter()
        .map(|vm| format!("VM[uuid:{}, name:{}, state:{}]", vm.uuid, vm.name, vm.state))
        .collect();
    operr(format!(
        "{what}[uuid:{}] is in use: VM instances {how}: {}; {first} first, or delete with deleteMode=Enforcing, which {enforcing}",
        req.parent_uuids.join(", "),
        vms.join(", ")
    ))
}

/// Whether the VMs under `req`'s parents are named by the refusal of what the delete named
/// (a zone's VMs when its hosts are asked): the family is asked about that too, and refuses
/// there once, naming them all.
fn refused_above(req: &CascadeRequest) -> bool {
    req.root_type != req.parent_type && VmCascade::PARENTS.contains(&req.root_type.as_str())
}

/// Parents of one of [`VmCascade::PARENTS`] are going.
pub async fn parents_gone(node: NodeContext, req: CascadeRequest) -> ApiResult<()> {
    let mut touched = touched(&node, &req).await?;
    if req.root_type == ZONE_VO {
        // Whatever part of its zone reaches a VM first, the zone's going removes it (ZStack
        // deletes, rather than stops, the VMs of a zone's hosts).
        for t in &mut touched {
            t.fate = Fate::Expunge;
        }
    }
    let uuids: Vec<String> = touched.iter().map(|t| t.vm.uuid.clone()).collect();
    if req.check_only {
        // The acting account must own them, whatever the mode (another account's VMs are
        // refused as such); what follows them may refuse too.
        node.cascade_to(VM_INSTANCE.vo_name, uuids, &req, |_| async { Ok(()) })
            .await?;
        let using: Vec<&Model> = touched.iter().filter(|t| t.uses).map(|t| &t.vm).collect();
        if req.asks_refusals() && !using.is_empty() && !refused_above(&req) {
            return Err(refusal(&req, &using));
        }
        return Ok(());
    }
    for t in touched {
        let on_vm = VmParentGoneMsg {
            vm_instance_uuid: t.vm.uuid.clone(),
            fate: t.fate,
            parent_uuids: req.parent_uuids.clone(),
        };
        // The delete goes on: a VM that could not be dealt with is written down.
        if let Err(e) = node.bus.call(on_vm).await {
            tracing::error!(vm = %t.vm.uuid, parent = %req.parent_type, fate = ?t.fate, error = %e,
                "could not deal with a VM whose parent is going");
        }
    }
    Ok(())
}

/// Deals with one VM whose parents go, in the VM's queue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmParentGoneMsg {
    pub vm_instance_uuid: String,
    pub fate: Fate,
    pub parent_uuids: Vec<String>,
}

impl Message for VmParentGoneMsg {
    const NAME: &'static str = "VmParentGoneMsg";
    type Reply = EmptyReply;
    fn queue_key(&self) -> Option<String> {
        Some(self.vm_instance_uuid.clone())
    }
}

pub async fn parent_gone_on_vm(
    node: NodeContext,
    msg: VmParentGoneMsg,
    ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    // Read again in the VM's queue: what ran before may have moved or removed it.
    let Some(vm) = vm_if_there(&node, &msg.vm_instance_uuid).await? else {
        return Ok(EmptyReply {});
    };
    let parents = &msg.parent_uuids;
    let before = vm.state.clone();
    match msg.fate {
        Fate::Stop => {
            let vm = if vm.host_uuid.as_ref().is_some_and(|h| parents.contains(h)) {
                off_host(&node, vm, "StopVm", "stopped").await?
            } else {
                vm
            };
            if vm
                .last_host_uuid
                .as_ref()
                .is_some_and(|h| parents.contains(h))
            {
                let mut active: ActiveModel = vm.into();
                active.last_host_uuid = Set(None);
                active.last_op_date = Set(now());
                active.update(&node.db).await?;
            }
        }
        Fate::LeaveCluster => {
            if vm
                .cluster_uuid
                .as_ref()
                .is_some_and(|c| parents.contains(c))
            {
                // Its hosts went before it; a VM still placed there is stopped off them.
                let vm = off_host(&node, vm, "StopVm", "stopped").await?;
                let mut active: ActiveModel = vm.into();
                active.cluster_uuid = Set(None);
                active.last_host_uuid = Set(None);
                active.last_op_date = Set(now());
                active.update(&node.db).await?;
            }
        }
        Fate::DetachNics => {
            let mut vm = vm;
            for n in nics::nics_of(&node, &vm.uuid).await? {
                if !parents.contains(&n.l3_network_uuid) {
                    continue;
                }
                if let Err(e) = nics::on_host(&node, &vm).await {
                    tracing::warn!(vm = %vm.uuid, nic = %n.uuid, error = %e,
                        "the host could not unplug a NIC whose network is going; it goes all the same");
                }
                vm = nics::remove(&node, &ctx, vm, &n).await?;
            }
        }
        Fate::Expunge => {
            let vm = off_host(&node, vm, "DestroyVm", "destroyed").await?;
            erase(&node, &ctx, &vm).await?;
        }
        Fate::Keep => {}
    }
    tracing::info!(vm = %msg.vm_instance_uuid, fate = ?msg.fate, state = %before,
        "VM dealt with as its parents go");
    Ok(EmptyReply {})
}

/// Takes `vm` off the host it is placed on: the host is asked to `operation` it, its CPU and
/// memory are given back, and the VM moves on with `event` where the state table leads (it
/// keeps its state otherwise). A host that cannot do it does not keep the VM: a stop is moot
/// once the host's record goes, and a destroy is left to a GC job for when the host is back.
async fn off_host(node: &NodeContext, vm: Model, operation: &str, event: &str) -> ApiResult<Model> {
    let Some(host) = vm.host_uuid.clone() else {
        return Ok(vm);
    };
    if let Err(e) = on_host(node, &host, operation, &vm).await {
        tracing::warn!(vm = %vm.uuid, %host, error = %e,
            "the host could not {operation} a VM whose parent is going; it leaves the host all the same");
        if operation == "DestroyVm" {
            host_sync::destroy_later(node, &vm, &host).await?;
        }
    }
    release_host(node, &vm, &host).await?;
    let to = state::next(&vm, event).map_or_else(|_| vm.state.clone(), str::to_string);
    let mut active: ActiveModel = vm.into();
    active.state = Set(to);
    active.host_uuid = Set(None);
    active.last_host_uuid = Set(Some(host));
    active.last_op_date = Set(now());
    Ok(active.update(&node.db).await?)
}
