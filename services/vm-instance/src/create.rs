//! CreateVmInstance as a chain of steps (ZStack's VmInstantiateFlows): each takes something and
//! its rollback gives it back, so a failure at any step leaves nothing behind.

use std::collections::BTreeMap;

use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};
use zstack_header::disk_offering::GetDiskOfferingMsg;
use zstack_header::host::{HOST, HostCandidate, ReleaseHostCapacityMsg};
use zstack_header::image::{GetImageMsg, ImageSummary};
use zstack_header::instance_offering::GetInstanceOfferingMsg;
use zstack_header::l3_network::{
    AllocateIpMsg, GetL3NetworkMsg, L3NetworkSummary, ReleaseIpsMsg, UsedIp,
};
use zstack_header::primary_storage::{
    AllocatePrimaryStorageCapacityMsg, PrimaryStorageCandidate, ReturnPrimaryStorageCapacityMsg,
};
use zstack_header::volume::{CreateVolumeMsg, ExpungeVolumesMsg};
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, registry};
use zstack_kernel::tags::SYSTEM_TAGS_HEADER;
use zstack_kernel::time::now;
use zstack_kernel::workflow::{Flow, FlowChain};
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::{ActiveModel, Model as VmInstanceInventory, VM_INSTANCE, nic};
use crate::messages::APICreateVmInstanceMsg;
use crate::placement::{self, Placement};

/// A VM's NIC while it is being made.
struct NicPlan {
    uuid: String,
    l3: L3NetworkSummary,
    required_ip: Option<String>,
    ip: Option<UsedIp>,
}

/// What the steps of CreateVm share: the request, then what each step took.
struct CreateVm {
    uuid: String,
    msg: APICreateVmInstanceMsg,
    cpu_num: i64,
    cpu_speed: i64,
    memory_size: i64,
    reserved_memory_size: i64,
    allocator_strategy: String,
    image: ImageSummary,
    root_size: i64,
    nics: Vec<NicPlan>,
    placement: Option<Placement>,
    host: Option<HostCandidate>,
    primary_storage: Option<String>,
    root_volume: Option<String>,
    nics_created: bool,
    running: bool,
}

/// `staticIp::{l3NetworkUuid}::{ip}` system tags of the request: the address wanted on each
/// network.
pub const STATIC_IP: &str = "staticIp::{l3NetworkUuid}::{ip}";

fn static_ips(ctx: &MsgContext) -> ApiResult<BTreeMap<String, String>> {
    let tags: Vec<String> = match ctx.headers.get(SYSTEM_TAGS_HEADER) {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| zstack_kernel::ApiError::Internal(format!("systemTags header: {e}")))?,
        None => Vec::new(),
    };
    let mut out = BTreeMap::new();
    for tag in tags {
        if let Some(rest) = tag.strip_prefix("staticIp::")
            && let Some((l3, ip)) = rest.split_once("::")
        {
            out.insert(l3.to_string(), ip.to_string());
        }
    }
    Ok(out)
}

pub async fn create(
    node: NodeContext,
    msg: APICreateVmInstanceMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<VmInstanceInventory>> {
    if msg.l3_network_uuids.is_empty() {
        return Err(argerr("l3NetworkUuids must name at least one L3 network"));
    }
    if let Some(default) = &msg.default_l3_network_uuid
        && !msg.l3_network_uuids.contains(default)
    {
        return Err(argerr(format!(
            "defaultL3NetworkUuid[{default}] is not one of l3NetworkUuids"
        )));
    }
    let offering = node
        .bus
        .call(GetInstanceOfferingMsg {
            uuid: msg.instance_offering_uuid.clone(),
        })
        .await?;
    if offering.state != "Enabled" {
        return Err(operr(format!(
            "instance offering[uuid:{}] is {}; a VM needs an Enabled one",
            offering.uuid, offering.state
        )));
    }
    let image = node
        .bus
        .call(GetImageMsg {
            uuid: msg.image_uuid.clone(),
        })
        .await?;
    if image.state != "Enabled" || image.status != "Ready" {
        return Err(operr(format!(
            "image[uuid:{}] is {} and {}; a VM needs an Enabled and Ready image",
            image.uuid, image.state, image.status
        )));
    }
    if image.media_type != "RootVolumeTemplate" {
        return Err(operr(format!(
            "image[uuid:{}] is a {}; a VM without a root disk offering needs a RootVolumeTemplate",
            image.uuid, image.media_type
        )));
    }
    let root_size = match &msg.root_disk_offering_uuid {
        Some(uuid) => {
            let offering = node
                .bus
                .call(GetDiskOfferingMsg { uuid: uuid.clone() })
                .await?;
            offering.disk_size.max(image.size)
        }
        None => image.size,
    };
    let wanted = static_ips(&ctx)?;
    let mut nics = Vec::new();
    for (i, l3_uuid) in msg.l3_network_uuids.iter().enumerate() {
        if msg.l3_network_uuids[..i].contains(l3_uuid) {
            return Err(argerr(format!(
                "l3NetworkUuids names L3 network[uuid:{l3_uuid}] twice"
            )));
        }
        let l3 = node
            .bus
            .call(GetL3NetworkMsg {
                uuid: l3_uuid.clone(),
            })
            .await?;
        if l3.state != "Enabled" {
            return Err(operr(format!(
                "L3 network[uuid:{}] is {}; a VM needs Enabled L3 networks",
                l3.uuid, l3.state
            )));
        }
        nics.push(NicPlan {
            uuid: new_uuid(),
            required_ip: wanted.get(&l3.uuid).cloned(),
            l3,
            ip: None,
        });
    }
    let uuid = msg.resource_uuid.clone().unwrap_or_else(new_uuid);
    let mut vm = CreateVm {
        uuid,
        cpu_num: offering.cpu_num,
        cpu_speed: offering.cpu_speed,
        memory_size: offering.memory_size,
        reserved_memory_size: offering.reserved_memory_size,
        allocator_strategy: offering.allocator_strategy,
        image,
        root_size,
        nics,
        placement: None,
        host: None,
        primary_storage: None,
        root_volume: None,
        nics_created: false,
        running: !matches!(
            msg.strategy.as_deref(),
            Some("JustCreate") | Some("CreateStopped")
        ),
        msg,
    };
    chain().run(&node, &mut vm).await?;
    let row = vm_row(&vm)?;
    let created = create_resource(&node, &node.db, &ctx, VM_INSTANCE, &vm.uuid, row).await;
    match created {
        Ok(model) => {
            if !vm.running {
                // A VM created stopped holds no host capacity (ZStack's Stopped VMs do not).
                give_back_host(&node, &vm).await;
            }
            Ok(model.into())
        }
        Err(e) => {
            // The record did not commit: every step gives back what it took.
            let _ = Flow::rollback(&chain(), &node, &mut vm).await;
            Err(e)
        }
    }
}

fn vm_row(vm: &CreateVm) -> ApiResult<ActiveModel> {
    let host = vm
        .host
        .as_ref()
        .ok_or_else(|| operr("the VM has no host after allocation"))?;
    let at = now();
    let state = match (vm.running, vm.msg.strategy.as_deref()) {
        (true, _) => "Running",
        (false, Some("JustCreate")) => "Created",
        (false, _) => "Stopped",
    };
    let default_l3 = vm
        .msg
        .default_l3_network_uuid
        .clone()
        .or_else(|| vm.msg.l3_network_uuids.first().cloned());
    Ok(ActiveModel {
        uuid: Set(vm.uuid.clone()),
        name: Set(vm.msg.name.clone()),
        description: Set(vm.msg.description.clone()),
        zone_uuid: Set(host.zone_uuid.clone()),
        cluster_uuid: Set(Some(host.cluster_uuid.clone())),
        image_uuid: Set(vm.image.uuid.clone()),
        host_uuid: Set(vm.running.then(|| host.uuid.clone())),
        // A Created VM has never run anywhere.
        last_host_uuid: Set((state != "Created").then(|| host.uuid.clone())),
        instance_offering_uuid: Set(Some(vm.msg.instance_offering_uuid.clone())),
        root_volume_uuid: Set(vm.root_volume.clone()),
        platform: Set(vm.image.platform.clone()),
        architecture: Set(vm.image.architecture.clone()),
        default_l3_network_uuid: Set(default_l3),
        r#type: Set(vm.msg.r#type.clone().unwrap_or_else(|| "UserVm".into())),
        hypervisor_type: Set("Simulator".into()),
        memory_size: Set(vm.memory_size),
        reserved_memory_size: Set(vm.reserved_memory_size),
        cpu_num: Set(vm.cpu_num),
        cpu_speed: Set(vm.cpu_speed),
        allocator_strategy: Set(vm.allocator_strategy.clone()),
        state: Set(state.into()),
        create_date: Set(at),
        last_op_date: Set(at),
    })
}

async fn give_back_host(node: &NodeContext, vm: &CreateVm) {
    if let Some(host) = &vm.host {
        let release = ReleaseHostCapacityMsg {
            host_uuid: host.uuid.clone(),
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
        };
        if let Err(e) = node.bus.call(release).await {
            tracing::error!(host = %host.uuid, error = %e, "could not give back host capacity");
        }
    }
}

type Step = for<'a> fn(&'a NodeContext, &'a mut CreateVm) -> BoxFuture<'a, ApiResult<()>>;

/// The steps in order, each with its rollback.
fn chain() -> FlowChain<CreateVm> {
    let steps: [(&str, Step, Option<Step>); 7] = [
        ("AllocateHost", |n, vm| Box::pin(allocate_host(n, vm)), None),
        (
            "ReserveCapacity",
            |n, vm| Box::pin(reserve_capacity(n, vm)),
            Some(|n, vm| {
                Box::pin(async move {
                    give_back_host(n, vm).await;
                    vm.host = None;
                    Ok(())
                })
            }),
        ),
        (
            "AllocatePrimaryStorage",
            |n, vm| Box::pin(allocate_primary_storage(n, vm)),
            Some(|n, vm| Box::pin(return_primary_storage(n, vm))),
        ),
        (
            "CreateRootVolume",
            |n, vm| Box::pin(create_root_volume(n, vm)),
            Some(|n, vm| Box::pin(delete_root_volume(n, vm))),
        ),
        (
            "AllocateIps",
            |n, vm| Box::pin(allocate_ips(n, vm)),
            Some(|n, vm| Box::pin(release_ips(n, vm))),
        ),
        (
            "CreateNics",
            |n, vm| Box::pin(create_nics(n, vm)),
            Some(|n, vm| Box::pin(delete_nics(n, vm))),
        ),
        (
            "StartOnHost",
            |n, vm| Box::pin(start_on_host(n, vm)),
            Some(|n, vm| Box::pin(stop_on_host(n, vm))),
        ),
    ];
    let mut chain = FlowChain::new("CreateVm");
    for (name, run, rollback) in steps {
        chain = chain.step(
            name,
            run,
            rollback.map(|r| {
                Box::new(r)
                    as Box<
                        dyn for<'a> Fn(
                                &'a NodeContext,
                                &'a mut CreateVm,
                            ) -> BoxFuture<'a, ApiResult<()>>
                            + Send
                            + Sync,
                    >
            }),
        );
    }
    chain
}

async fn allocate_host(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let l3s: Vec<L3NetworkSummary> = vm.nics.iter().map(|n| n.l3.clone()).collect();
    let placement = placement::find(
        node,
        &placement::Wanted {
            l3s: &l3s,
            zone_uuid: vm.msg.zone_uuid.as_deref(),
            cluster_uuid: vm.msg.cluster_uuid.as_deref(),
            host_uuid: vm.msg.host_uuid.as_deref(),
            primary_storage_uuid: None,
            disk_size: vm.root_size,
            cpu_num: vm.cpu_num,
            memory_size: vm.memory_size,
            preferred_host: None,
        },
    )
    .await?;
    vm.placement = Some(placement);
    Ok(())
}

async fn reserve_capacity(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let hosts = vm
        .placement
        .as_ref()
        .map(|p| p.hosts.clone())
        .unwrap_or_default();
    vm.host = Some(placement::reserve(node, &hosts, vm.cpu_num, vm.memory_size).await?);
    Ok(())
}

/// The primary storage of the chosen host's cluster with room, most available first.
async fn allocate_primary_storage(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let (Some(host), Some(placement)) = (&vm.host, &vm.placement) else {
        return Err(operr(
            "no host was reserved before allocating primary storage",
        ));
    };
    let candidates: Vec<&PrimaryStorageCandidate> = placement
        .primary_storage
        .iter()
        .filter(|ps| ps.cluster_uuids.contains(&host.cluster_uuid))
        .collect();
    for ps in candidates {
        let taken = node
            .bus
            .call(AllocatePrimaryStorageCapacityMsg {
                primary_storage_uuid: ps.uuid.clone(),
                size: vm.root_size,
            })
            .await;
        if taken.is_ok() {
            vm.primary_storage = Some(ps.uuid.clone());
            return Ok(());
        }
    }
    Err(operr(format!(
        "no primary storage attached to cluster[uuid:{}] has {} bytes available for the root volume",
        host.cluster_uuid, vm.root_size
    )))
}

async fn return_primary_storage(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let Some(ps) = vm.primary_storage.take() {
        node.bus
            .call(ReturnPrimaryStorageCapacityMsg {
                primary_storage_uuid: ps,
                size: vm.root_size,
            })
            .await?;
    }
    Ok(())
}

async fn create_root_volume(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let Some(ps) = vm.primary_storage.clone() else {
        return Err(operr(
            "no primary storage was allocated for the root volume",
        ));
    };
    let volume = node
        .bus
        .call(CreateVolumeMsg {
            uuid: new_uuid(),
            name: format!("ROOT-for-{}", vm.msg.name),
            r#type: "Root".into(),
            primary_storage_uuid: ps,
            vm_instance_uuid: Some(vm.uuid.clone()),
            root_image_uuid: Some(vm.image.uuid.clone()),
            disk_offering_uuid: vm.msg.root_disk_offering_uuid.clone(),
            format: vm.image.format.clone(),
            size: vm.root_size,
            device_id: Some(0),
        })
        .await?;
    vm.root_volume = Some(volume.uuid);
    Ok(())
}

async fn delete_root_volume(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let Some(volume) = vm.root_volume.take() {
        node.bus
            .call(ExpungeVolumesMsg {
                uuids: vec![volume],
            })
            .await?;
    }
    Ok(())
}

async fn allocate_ips(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    for nic in vm.nics.iter_mut() {
        let ip = node
            .bus
            .call(AllocateIpMsg {
                l3_network_uuid: nic.l3.uuid.clone(),
                required_ip: nic.required_ip.clone(),
                owner_uuid: nic.uuid.clone(),
            })
            .await?;
        nic.ip = Some(ip);
    }
    Ok(())
}

async fn release_ips(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let owner_uuids = vm.nics.iter().map(|n| n.uuid.clone()).collect();
    node.bus.call(ReleaseIpsMsg { owner_uuids }).await?;
    for nic in vm.nics.iter_mut() {
        nic.ip = None;
    }
    Ok(())
}

/// A MAC in ZStack's form (`fa:` and five random bytes).
pub fn new_mac() -> String {
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

async fn create_nics(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let txn = node.db.begin().await?;
    for (device_id, plan) in vm.nics.iter().enumerate() {
        let Some(ip) = &plan.ip else {
            return Err(operr(format!(
                "NIC on L3 network[uuid:{}] has no IP",
                plan.l3.uuid
            )));
        };
        registry::claim(&txn, crate::entity::VM_NIC.vo_name, &plan.uuid).await?;
        let mut inserted = false;
        for _ in 0..MAC_ATTEMPTS {
            let at = now();
            let row = nic::ActiveModel {
                uuid: Set(plan.uuid.clone()),
                vm_instance_uuid: Set(vm.uuid.clone()),
                l3_network_uuid: Set(plan.l3.uuid.clone()),
                ip: Set(ip.ip.clone()),
                mac: Set(new_mac()),
                netmask: Set(ip.netmask.clone()),
                gateway: Set(ip.gateway.clone()),
                ip_version: Set(4),
                hypervisor_type: Set("Simulator".into()),
                device_id: Set(device_id as i64),
                internal_name: Set(format!(
                    "vnic{}.{device_id}",
                    &vm.uuid[..vm.uuid.len().min(8)]
                )),
                driver_type: Set("virtio".into()),
                r#type: Set("VNIC".into()),
                create_date: Set(at),
                last_op_date: Set(at),
            };
            // A savepoint, so that a MAC clash undoes this row only.
            let attempt = txn.begin().await?;
            match row.insert(&attempt).await {
                Ok(_) => {
                    attempt.commit().await?;
                    inserted = true;
                    break;
                }
                Err(e) => match e.sql_err() {
                    Some(SqlErr::UniqueConstraintViolation(_)) => attempt.rollback().await?,
                    _ => return Err(e.into()),
                },
            }
        }
        if !inserted {
            return Err(operr("could not draw a MAC address no other NIC has"));
        }
    }
    txn.commit().await?;
    vm.nics_created = true;
    Ok(())
}

async fn delete_nics(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if vm.nics_created {
        let uuids: Vec<String> = vm.nics.iter().map(|n| n.uuid.clone()).collect();
        nic::Entity::delete_many()
            .filter(nic::Column::VmInstanceUuid.eq(vm.uuid.clone()))
            .exec(&node.db)
            .await?;
        registry::release(&node.db, crate::entity::VM_NIC, &uuids).await?;
        vm.nics_created = false;
    }
    Ok(())
}

async fn start_on_host(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if !vm.running {
        return Ok(());
    }
    let Some(host) = &vm.host else {
        return Err(operr("no host was reserved to start the VM on"));
    };
    zstack_kernel::simulator::vm_operation(&node.db, HOST, &host.uuid, "StartVm", &vm.uuid).await
}

/// The host no longer runs the VM (the record did not commit).
async fn stop_on_host(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let (true, Some(host)) = (vm.running, &vm.host) {
        zstack_kernel::simulator::set_host_vm(&node.db, &host.uuid, &vm.uuid, None).await?;
    }
    Ok(())
}
