//! CreateVmInstance as a chain of steps (ZStack's VmInstantiateFlows): each takes something and
//! its rollback gives it back, so a failure at any step leaves nothing behind.

use std::collections::BTreeMap;

use futures_util::future::BoxFuture;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use zstack_header::disk_offering::GetDiskOfferingMsg;
use zstack_header::host::{HostCandidate, ReleaseHostCapacityMsg};
use zstack_header::image::{GetImageMsg, ImageSummary};
use zstack_header::instance_offering::GetInstanceOfferingMsg;
use zstack_header::l3_network::{
    AllocateIpMsg, GetL3NetworkMsg, L3NetworkSummary, ReleaseIpsMsg, UsedIp,
};
use zstack_header::primary_storage::{
    AllocatePrimaryStorageCapacityMsg, CacheImageMsg, PrimaryStorageCandidate,
    ReturnPrimaryStorageCapacityMsg, UncacheImageMsg,
};
use zstack_header::simulator::ForgetHostVmMsg;
use zstack_header::volume::{CreateVolumeMsg, ExpungeVolumesMsg};
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, operr};
use zstack_kernel::message::new_uuid;
use zstack_kernel::resource::{create_resource, registry};
use zstack_kernel::tags::SYSTEM_TAGS_HEADER;
use zstack_kernel::time::now;
use zstack_kernel::workflow::{Flow, FlowChain};
use zstack_kernel::{ApiResult, MsgContext, NodeContext, SessionInfo};

use crate::entity::{ActiveModel, Model as VmInstanceInventory, VM_INSTANCE, nic};
use crate::messages::APICreateVmInstanceMsg;
use crate::nics;
use crate::placement::{self, Placement};

/// A VM's NIC while it is being made.
struct NicPlan {
    uuid: String,
    l3: L3NetworkSummary,
    required_ip: Option<String>,
    ip: Option<UsedIp>,
}

/// A data volume of a VM while it is being made: its disk offering's size, then the primary
/// storage that holds it, then the volume.
struct DataDisk {
    offering_uuid: String,
    size: i64,
    primary_storage: Option<String>,
    volume: Option<String>,
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
    data_disks: Vec<DataDisk>,
    nics: Vec<NicPlan>,
    placement: Option<Placement>,
    host: Option<HostCandidate>,
    primary_storage: Option<String>,
    /// The image was downloaded to the root volume's storage for this VM.
    image_cached: bool,
    root_volume: Option<String>,
    nics_created: bool,
    running: bool,
    /// Who asked: the VM's NICs and volumes are theirs too.
    session: Option<SessionInfo>,
}

/// The CPU and memory of a new VM: its instance offering's, or the request's own.
struct Size {
    cpu_num: i64,
    cpu_speed: i64,
    memory_size: i64,
    reserved_memory_size: i64,
    allocator_strategy: String,
}

async fn vm_size(node: &NodeContext, msg: &APICreateVmInstanceMsg) -> ApiResult<Size> {
    let Some(uuid) = &msg.instance_offering_uuid else {
        let (Some(cpu_num), Some(memory_size)) = (msg.cpu_num, msg.memory_size) else {
            return Err(operr(
                "Missing CPU/memory settings: a VM needs instanceOfferingUuid, or cpuNum and memorySize",
            ));
        };
        return Ok(Size {
            cpu_num,
            cpu_speed: 0,
            memory_size,
            reserved_memory_size: 0,
            allocator_strategy: "DefaultHostAllocatorStrategy".into(),
        });
    };
    let offering = node
        .bus
        .call(GetInstanceOfferingMsg { uuid: uuid.clone() })
        .await?;
    if offering.state != "Enabled" {
        return Err(operr(format!(
            "instance offering[uuid:{}] is {}; a VM needs an Enabled one",
            offering.uuid, offering.state
        )));
    }
    Ok(Size {
        cpu_num: offering.cpu_num,
        cpu_speed: offering.cpu_speed,
        memory_size: offering.memory_size,
        reserved_memory_size: offering.reserved_memory_size,
        allocator_strategy: offering.allocator_strategy,
    })
}

/// The size of the disk offering `uuid`, which must be Enabled.
async fn disk_size(node: &NodeContext, uuid: &str) -> ApiResult<i64> {
    let offering = node
        .bus
        .call(GetDiskOfferingMsg {
            uuid: uuid.to_string(),
        })
        .await?;
    if offering.state != "Enabled" {
        return Err(operr(format!(
            "disk offering[uuid:{uuid}] is {}, can not create vm from it",
            offering.state
        )));
    }
    Ok(offering.disk_size)
}

/// The root volume's size: a template's own size, or more when a root disk offering or
/// `rootDiskSize` asks for more; an ISO's VM gets a blank root volume of the size asked.
async fn root_size(
    node: &NodeContext,
    msg: &APICreateVmInstanceMsg,
    image: &ImageSummary,
) -> ApiResult<i64> {
    let asked = match (&msg.root_disk_offering_uuid, msg.root_disk_size) {
        (Some(uuid), _) => Some(disk_size(node, uuid).await?),
        (None, size) => size,
    };
    match image.media_type.as_str() {
        "RootVolumeTemplate" => Ok(asked.map_or(image.size, |a| a.max(image.size))),
        "ISO" => asked.ok_or_else(|| {
            argerr("image mediaType is ISO but missing root disk settings: give rootDiskOfferingUuid or rootDiskSize")
        }),
        other => Err(argerr(format!(
            "image[uuid:{}] is of mediaType: {other}, only RootVolumeTemplate and ISO can be used to create vm",
            image.uuid
        ))),
    }
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
    let size = vm_size(&node, &msg).await?;
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
    let root_size = root_size(&node, &msg, &image).await?;
    let mut data_disks = Vec::new();
    for uuid in msg.data_disk_offering_uuids.iter().flatten() {
        data_disks.push(DataDisk {
            offering_uuid: uuid.clone(),
            size: disk_size(&node, uuid).await?,
            primary_storage: None,
            volume: None,
        });
    }
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
        cpu_num: size.cpu_num,
        cpu_speed: size.cpu_speed,
        memory_size: size.memory_size,
        reserved_memory_size: size.reserved_memory_size,
        allocator_strategy: size.allocator_strategy,
        image,
        root_size,
        data_disks,
        nics,
        placement: None,
        host: None,
        primary_storage: None,
        image_cached: false,
        root_volume: None,
        nics_created: false,
        session: ctx.session.clone(),
        running: !matches!(
            msg.strategy.as_deref(),
            Some("JustCreate") | Some("CreateStopped")
        ),
        msg,
    };
    let chain = chain(vm.data_disks.len());
    chain.run(&node, &mut vm).await?;
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
            let _ = Flow::rollback(&chain, &node, &mut vm).await;
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
        instance_offering_uuid: Set(vm.msg.instance_offering_uuid.clone()),
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
type Rollback = Box<
    dyn for<'a> Fn(&'a NodeContext, &'a mut CreateVm) -> BoxFuture<'a, ApiResult<()>> + Send + Sync,
>;

fn add(
    mut chain: FlowChain<CreateVm>,
    steps: Vec<(&str, Step, Option<Step>)>,
) -> FlowChain<CreateVm> {
    for (name, run, rollback) in steps {
        chain = chain.step(name, run, rollback.map(|r| Box::new(r) as Rollback));
    }
    chain
}

/// The steps in order, each with its rollback, for a VM with `data_disks` data volumes.
fn chain(data_disks: usize) -> FlowChain<CreateVm> {
    let before: Vec<(&str, Step, Option<Step>)> = vec![
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
            "DownloadImageToCache",
            |n, vm| Box::pin(cache_image(n, vm)),
            Some(|n, vm| Box::pin(uncache_image(n, vm))),
        ),
        (
            "CreateRootVolume",
            |n, vm| Box::pin(create_root_volume(n, vm)),
            Some(|n, vm| Box::pin(delete_root_volume(n, vm))),
        ),
    ];
    let after: Vec<(&str, Step, Option<Step>)> = vec![
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
    let mut data = FlowChain::new("CreateDataVolumes");
    for i in 0..data_disks {
        data = data.step(
            format!("CreateDataVolume-{}", i + 1),
            create_data_step(i),
            Some(Box::new(delete_data_step(i)) as Rollback),
        );
    }
    add(add(FlowChain::new("CreateVm"), before).then(data), after)
}

/// The names of CreateVm's steps for a VM with `data_disks` data volumes, each one a step that
/// `node.flow_faults` can fail.
pub fn step_names(data_disks: usize) -> Vec<String> {
    chain(data_disks).steps()
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
            primary_storage_uuid: vm.msg.primary_storage_uuid_for_root_volume.as_deref(),
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

/// Rounds of fresh candidates a create tries when racing VMs took the room of every candidate
/// it had.
const PLACEMENT_ROUNDS: usize = 8;

async fn reserve_capacity(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    for round in 1.. {
        let hosts = vm
            .placement
            .as_ref()
            .map(|p| p.hosts.clone())
            .unwrap_or_default();
        match placement::reserve(node, &hosts, vm.cpu_num, vm.memory_size).await {
            Ok(host) => {
                vm.host = Some(host);
                return Ok(());
            }
            // No host fits any more: the placement says so.
            Err(e) if round >= PLACEMENT_ROUNDS => return Err(e),
            Err(_) => allocate_host(node, vm).await?,
        }
    }
    Ok(())
}

/// Takes `size` bytes of the first primary storage of the chosen host's cluster with room (most
/// available first); answers which.
async fn take_storage(
    node: &NodeContext,
    vm: &CreateVm,
    size: i64,
    what: &str,
) -> ApiResult<String> {
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
                size,
            })
            .await;
        if taken.is_ok() {
            return Ok(ps.uuid.clone());
        }
    }
    Err(operr(format!(
        "no primary storage attached to cluster[uuid:{}] has {size} bytes available for the {what}",
        host.cluster_uuid
    )))
}

async fn give_back_storage(node: &NodeContext, ps: String, size: i64) -> ApiResult<()> {
    node.bus
        .call(ReturnPrimaryStorageCapacityMsg {
            primary_storage_uuid: ps,
            size,
        })
        .await?;
    Ok(())
}

async fn allocate_primary_storage(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    vm.primary_storage = Some(take_storage(node, vm, vm.root_size, "root volume").await?);
    Ok(())
}

async fn return_primary_storage(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let Some(ps) = vm.primary_storage.take() {
        give_back_storage(node, ps, vm.root_size).await?;
    }
    Ok(())
}

/// The image goes to the root volume's storage first, unless the storage has it cached.
async fn cache_image(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let Some(ps) = vm.primary_storage.clone() else {
        return Err(operr("no primary storage was allocated for the image"));
    };
    let cached = node
        .bus
        .call(CacheImageMsg {
            primary_storage_uuid: ps,
            image_uuid: vm.image.uuid.clone(),
            size: vm.image.size,
        })
        .await?;
    vm.image_cached = cached.downloaded;
    Ok(())
}

/// Removes the copy of the image this VM downloaded. (A VM made meanwhile from the copy loses
/// nothing it needs: the simulator keeps no bits, and the next VM downloads the image again.)
async fn uncache_image(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let (true, Some(ps)) = (vm.image_cached, vm.primary_storage.clone()) {
        node.bus
            .call(UncacheImageMsg {
                primary_storage_uuid: ps,
                image_uuid: vm.image.uuid.clone(),
                size: vm.image.size,
            })
            .await?;
        vm.image_cached = false;
    }
    Ok(())
}

async fn create_root_volume(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let Some(ps) = vm.primary_storage.clone() else {
        return Err(operr(
            "no primary storage was allocated for the root volume",
        ));
    };
    // An ISO's VM boots from a blank volume.
    let format = if vm.image.media_type == "ISO" {
        DATA_FORMAT.to_string()
    } else {
        vm.image.format.clone()
    };
    // The VM's owner owns its root volume.
    let volume = node
        .bus
        .call_as(
            CreateVolumeMsg {
                uuid: new_uuid(),
                name: format!("ROOT-for-{}", vm.msg.name),
                r#type: "Root".into(),
                primary_storage_uuid: ps,
                host_uuid: vm.host.as_ref().map(|h| h.uuid.clone()),
                vm_instance_uuid: Some(vm.uuid.clone()),
                root_image_uuid: Some(vm.image.uuid.clone()),
                disk_offering_uuid: vm.msg.root_disk_offering_uuid.clone(),
                format,
                size: vm.root_size,
                device_id: Some(0),
            },
            vm.session.clone(),
        )
        .await?;
    vm.root_volume = Some(volume.uuid);
    Ok(())
}

/// The format of the volumes the simulator makes blank.
const DATA_FORMAT: &str = "qcow2";

fn create_data_step(
    i: usize,
) -> impl for<'a> Fn(&'a NodeContext, &'a mut CreateVm) -> BoxFuture<'a, ApiResult<()>> + Send + Sync
{
    move |n, vm| Box::pin(create_data_volume(n, vm, i))
}

fn delete_data_step(
    i: usize,
) -> impl for<'a> Fn(&'a NodeContext, &'a mut CreateVm) -> BoxFuture<'a, ApiResult<()>> + Send + Sync
{
    move |n, vm| Box::pin(delete_data_volume(n, vm, i))
}

/// Data volume `i` of the VM: on primary storage of the host's cluster with room, attached
/// with device id `i + 1`.
async fn create_data_volume(node: &NodeContext, vm: &mut CreateVm, i: usize) -> ApiResult<()> {
    let Some((offering, size)) = vm
        .data_disks
        .get(i)
        .map(|d| (d.offering_uuid.clone(), d.size))
    else {
        return Err(operr(format!("the VM has no data disk {}", i + 1)));
    };
    let ps = take_storage(node, vm, size, "data volume").await?;
    // The VM's owner owns its data volumes too.
    let created = node
        .bus
        .call_as(
            CreateVolumeMsg {
                uuid: new_uuid(),
                name: format!("DATA-for-{}", vm.msg.name),
                r#type: "Data".into(),
                primary_storage_uuid: ps.clone(),
                host_uuid: vm.host.as_ref().map(|h| h.uuid.clone()),
                vm_instance_uuid: Some(vm.uuid.clone()),
                root_image_uuid: None,
                disk_offering_uuid: Some(offering),
                format: DATA_FORMAT.into(),
                size,
                device_id: Some(i as i64 + 1),
            },
            vm.session.clone(),
        )
        .await;
    match created {
        Ok(volume) => {
            if let Some(disk) = vm.data_disks.get_mut(i) {
                disk.primary_storage = Some(ps);
                disk.volume = Some(volume.uuid);
            }
            Ok(())
        }
        Err(e) => {
            // This step gives back what it took before failing: only done steps roll back.
            give_back_storage(node, ps, size).await?;
            Err(e)
        }
    }
}

async fn delete_data_volume(node: &NodeContext, vm: &mut CreateVm, i: usize) -> ApiResult<()> {
    let Some(disk) = vm.data_disks.get_mut(i) else {
        return Ok(());
    };
    if let Some(volume) = disk.volume.take() {
        node.bus
            .call(ExpungeVolumesMsg {
                uuids: vec![volume],
            })
            .await?;
    }
    if let Some(ps) = disk.primary_storage.take() {
        give_back_storage(node, ps, disk.size).await?;
    }
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

async fn create_nics(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    let txn = node.db.begin().await?;
    for (device_id, plan) in vm.nics.iter().enumerate() {
        let Some(ip) = &plan.ip else {
            return Err(operr(format!(
                "NIC on L3 network[uuid:{}] has no IP",
                plan.l3.uuid
            )));
        };
        let new = nics::NewNic {
            uuid: &plan.uuid,
            vm_uuid: &vm.uuid,
            ip,
            device_id: device_id as i64,
        };
        nics::insert(node, &txn, vm.session.as_ref(), new).await?;
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
    crate::lifecycle::on_host_uuid(node, &host.uuid, "StartVm", &vm.uuid).await
}

/// The host no longer runs the VM (the record did not commit).
async fn stop_on_host(node: &NodeContext, vm: &mut CreateVm) -> ApiResult<()> {
    if let (true, Some(host)) = (vm.running, &vm.host) {
        let forget = ForgetHostVmMsg {
            host_uuid: host.uuid.clone(),
            vm_uuid: vm.uuid.clone(),
        };
        node.bus.call(forget).await?;
    }
    Ok(())
}
