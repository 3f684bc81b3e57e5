//! The VM APIs.

use serde::{Deserialize, Serialize};
use zstack_header::cluster::CLUSTER;
use zstack_header::disk_offering::DISK_OFFERING;
use zstack_header::host::HOST;
use zstack_header::image::IMAGE;
use zstack_header::instance_offering::INSTANCE_OFFERING;
use zstack_header::l3_network::L3_NETWORK;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{ApiReply, EmptyReply, InventoryReply, Route, Schema, checks};
use zstack_kernel::api_message;

use crate::entity::{Model as VmInstanceInventory, VM_INSTANCE, VM_NIC};
use crate::nics::VmWithNics;

/// How a new VM ends: running, or stopped without its host's CPU and memory.
pub const STRATEGIES: &[&str] = &["InstantStart", "JustCreate", "CreateStopped"];

api_message! {
    /// Creates a VM from an image on a host with room, with a NIC on each L3 network, its root
    /// volume and a data volume of each data disk offering. Its CPU and memory are its
    /// instance offering's, or `cpuNum` and `memorySize`. An account other than admin may use
    /// what is shared with it (image, offerings, networks, storage, placement).
    pub struct APICreateVmInstanceMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        instance_offering_uuid: Option<String> => checks().resource(INSTANCE_OFFERING).shared(),
        cpu_num: Option<i64> => checks().range(1, i64::from(i32::MAX)),
        memory_size: Option<i64> => checks().range(1, i64::MAX),
        image_uuid: String => checks().resource(IMAGE).shared(),
        l3_network_uuids: Vec<String> => checks().resource(L3_NETWORK).shared(),
        default_l3_network_uuid: Option<String> => checks().uuid(),
        root_disk_offering_uuid: Option<String> => checks().resource(DISK_OFFERING).shared(),
        root_disk_size: Option<i64> => checks().range(1, i64::MAX),
        data_disk_offering_uuids: Option<Vec<String>> => checks().resource(DISK_OFFERING).shared(),
        primary_storage_uuid_for_root_volume: Option<String> => checks().resource(PRIMARY_STORAGE).shared(),
        zone_uuid: Option<String> => checks().resource(ZONE).shared(),
        cluster_uuid: Option<String> => checks().resource(CLUSTER).shared(),
        host_uuid: Option<String> => checks().resource(HOST).shared(),
        r#type: Option<String> => checks().valid_values(&["UserVm"]),
        strategy: Option<String> => checks().valid_values(STRATEGIES),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/vm-instances");
    reply = InventoryReply<VmInstanceInventory>;
}

api_message! {
    /// Starts a Stopped VM on a host with room (its last host first).
    pub struct APIStartVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
        cluster_uuid: Option<String> => checks().resource(CLUSTER),
        host_uuid: Option<String> => checks().resource(HOST),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Stops a Running VM; its host's CPU and memory are given back.
    pub struct APIStopVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
        r#type: Option<String> => checks().valid_values(&["grace", "cold"]),
        stop_h_a: Option<bool>,
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Destroys a VM: it stops, keeps its IPs and volumes, and can be recovered.
    pub struct APIDestroyVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/vm-instances/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Brings a Destroyed VM back, Stopped.
    pub struct APIRecoverVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Removes a Destroyed VM for good: its IPs, NICs and volumes are given back.
    pub struct APIExpungeVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Gives a Running or Stopped VM a NIC on one more L3 network, with an address of its
    /// ranges (`staticIp` when given); the network's L2 must reach the VM's cluster.
    pub struct APIAttachL3NetworkToVmMsg {
        vm_instance_uuid: String => checks().resource(VM_INSTANCE),
        l3_network_uuid: String => checks().resource(L3_NETWORK).shared(),
        static_ip: Option<String> => checks().max_len(64),
    }
    route = Route::post("/vm-instances/{vmInstanceUuid}/l3-networks/{l3NetworkUuid}");
    reply = InventoryReply<VmWithNics>;
    resource = vm_instance_uuid;
}

api_message! {
    /// Reboots a Running VM on its host.
    pub struct APIRebootVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Pauses a Running VM: it stays on its host, holding its CPU and memory.
    pub struct APIPauseVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Resumes a Paused VM.
    pub struct APIResumeVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

api_message! {
    /// Moves a Running or Paused VM to another host with room (`hostUuid`, or one chosen that
    /// reaches the VM's networks and root volume storage).
    pub struct APIMigrateVmMsg {
        vm_instance_uuid: String => checks().resource(VM_INSTANCE),
        host_uuid: Option<String> => checks().resource(HOST),
        migrate_from_destination: Option<bool>,
    }
    route = Route::action("/vm-instances/{vmInstanceUuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = vm_instance_uuid;
}

api_message! {
    /// Takes a NIC off its VM; its address goes back to its range, and when it was on the
    /// VM's default network another NIC's network becomes the default.
    pub struct APIDetachL3NetworkFromVmMsg {
        vm_nic_uuid: String => checks().resource(VM_NIC),
    }
    route = Route::delete("/vm-instances/nics/{vmNicUuid}");
    reply = InventoryReply<VmWithNics>;
    resource = vm_nic_uuid;
}

api_message! {
    /// The hosts a VM could migrate to now.
    pub struct APIGetVmMigrationCandidateHostsMsg {
        vm_instance_uuid: String => checks().resource(VM_INSTANCE),
    }
    route = Route::get("/vm-instances/{vmInstanceUuid}/migration-target-hosts");
    reply = HostInventoriesReply;
}

api_message! {
    /// Gives a VM the CPU and memory of another instance offering: at once when Stopped, on its
    /// host (only growing, only with room there) when Running.
    pub struct APIChangeInstanceOfferingMsg {
        vm_instance_uuid: String => checks().resource(VM_INSTANCE),
        instance_offering_uuid: String => checks().resource(INSTANCE_OFFERING),
    }
    route = Route::action("/vm-instances/{vmInstanceUuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = vm_instance_uuid;
}

/// What UpdateVmInstance's `platform` may be.
pub const PLATFORMS: &[&str] = &[
    "Linux",
    "Windows",
    "Other",
    "Paravirtualization",
    "WindowsVirtio",
];

api_message! {
    /// Changes a VM's name, description, default L3 network, platform, recorded state (Stopped or
    /// Running), or its CPU and memory (as ChangeInstanceOffering does).
    pub struct APIUpdateVmInstanceMsg {
        uuid: String => checks().resource(VM_INSTANCE),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        state: Option<String> => checks().valid_values(&["Stopped", "Running"]),
        default_l3_network_uuid: Option<String> => checks().uuid(),
        platform: Option<String> => checks().valid_values(PLATFORMS),
        cpu_num: Option<i64> => checks().range(1, 1024),
        memory_size: Option<i64> => checks().range(1, i64::MAX),
    }
    route = Route::action("/vm-instances/{uuid}/actions");
    reply = InventoryReply<VmInstanceInventory>;
    resource = uuid;
}

/// `{"inventories": [HostInventory]}`: hosts as their query answers them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostInventoriesReply {
    pub inventories: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl ApiReply for HostInventoriesReply {
    fn schema(&self) -> Schema {
        (0..self.inventories.len())
            .map(|i| {
                (
                    format!("inventories[{i}]"),
                    "org.zstack.header.host.HostInventory",
                )
            })
            .collect()
    }
}
