//! The VM APIs.

use zstack_header::cluster::CLUSTER;
use zstack_header::disk_offering::DISK_OFFERING;
use zstack_header::host::HOST;
use zstack_header::image::IMAGE;
use zstack_header::instance_offering::INSTANCE_OFFERING;
use zstack_header::l3_network::L3_NETWORK;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{Model as VmInstanceInventory, VM_INSTANCE};

/// How a new VM ends: running, or stopped without its host's CPU and memory.
pub const STRATEGIES: &[&str] = &["InstantStart", "JustCreate", "CreateStopped"];

api_message! {
    /// Creates a VM from an image on a host with room, with a NIC on each L3 network, its root
    /// volume and a data volume of each data disk offering. Its CPU and memory are its
    /// instance offering's, or `cpuNum` and `memorySize`.
    pub struct APICreateVmInstanceMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        instance_offering_uuid: Option<String> => checks().resource(INSTANCE_OFFERING),
        cpu_num: Option<i64> => checks().range(1, i64::from(i32::MAX)),
        memory_size: Option<i64> => checks().range(1, i64::MAX),
        image_uuid: String => checks().resource(IMAGE),
        l3_network_uuids: Vec<String> => checks().resource(L3_NETWORK),
        default_l3_network_uuid: Option<String> => checks().uuid(),
        root_disk_offering_uuid: Option<String> => checks().resource(DISK_OFFERING),
        root_disk_size: Option<i64> => checks().range(1, i64::MAX),
        data_disk_offering_uuids: Option<Vec<String>> => checks().resource(DISK_OFFERING),
        primary_storage_uuid_for_root_volume: Option<String> => checks().resource(PRIMARY_STORAGE),
        zone_uuid: Option<String> => checks().resource(ZONE),
        cluster_uuid: Option<String> => checks().resource(CLUSTER),
        host_uuid: Option<String> => checks().resource(HOST),
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
