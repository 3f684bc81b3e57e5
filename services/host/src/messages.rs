//! The host APIs.

use serde::{Deserialize, Serialize};
use zstack_header::cluster::CLUSTER;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{ApiReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{HOST, Model as HostInventory};

api_message! {
    /// Adds a simulated host with declared CPU and memory to a cluster.
    pub struct APIAddSimulatorHostMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        management_ip: String => checks().max_len(255),
        cluster_uuid: String => checks().resource(CLUSTER),
        cpu_capacity: i64 => checks().range(1, i64::MAX),
        memory_capacity: i64 => checks().range(1, i64::MAX),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/hosts/simulators");
    reply = InventoryReply<HostInventory>;
}

api_message! {
    /// Adds a KVM host: answered with an error, hosts are simulated here.
    pub struct APIAddKVMHostMsg {
        username: String => checks().max_len(255),
        password: String => checks().no_trim(),
        ssh_port: Option<i64> => checks().range(1, 65535),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        management_ip: String => checks().max_len(255),
        cluster_uuid: String => checks().resource(CLUSTER),
    }
    route = Route::post("/hosts/kvm");
    reply = InventoryReply<HostInventory>;
}

api_message! {
    /// Changes a host's name, description or management address.
    pub struct APIUpdateHostMsg {
        uuid: String => checks().resource(HOST),
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        management_ip: Option<String> => checks().max_len(255),
    }
    route = Route::action("/hosts/{uuid}/actions");
    reply = InventoryReply<HostInventory>;
    resource = uuid;
}

api_message! {
    /// Enables, disables or puts a host into maintenance.
    pub struct APIChangeHostStateMsg {
        uuid: String => checks().resource(HOST),
        state_event: String => checks().valid_values(&["enable", "disable", "preMaintain", "maintain"]),
    }
    route = Route::action("/hosts/{uuid}/actions");
    reply = InventoryReply<HostInventory>;
    resource = uuid;
}

api_message! {
    /// Reconnects a host (the simulator answers at once).
    pub struct APIReconnectHostMsg {
        uuid: String => checks().resource(HOST),
    }
    route = Route::action("/hosts/{uuid}/actions");
    reply = InventoryReply<HostInventory>;
    resource = uuid;
}

zstack_kernel::standard_apis! {
    of HOST, inventory HostInventory, path "/hosts";
    delete APIDeleteHostMsg;
}

api_message! {
    /// Total and available CPU and memory of the Enabled and Connected hosts in the given zones,
    /// clusters and hosts, or of all of them.
    pub struct APIGetCpuMemoryCapacityMsg {
        zone_uuids: Option<Vec<String>> => checks().resource(ZONE).references(ZONE),
        cluster_uuids: Option<Vec<String>> => checks().resource(CLUSTER).references(CLUSTER),
        host_uuids: Option<Vec<String>> => checks().resource(HOST).references(HOST),
        hypervisor_type: Option<String>,
        all: Option<bool>,
    }
    route = Route::get("/hosts/capacities/cpu-memory");
    reply = CpuMemoryCapacityReply;
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuMemoryCapacityReply {
    pub total_cpu: i64,
    pub available_cpu: i64,
    pub total_memory: i64,
    pub available_memory: i64,
    /// The CPUs of the hosts counted.
    pub managed_cpu_num: i64,
    /// The kind of the resources in `capacityData` (`HostVO`, `ClusterVO`, `ZoneVO`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// One entry for each resource asked for.
    pub capacity_data: Vec<CapacityData>,
}

/// The capacity of one of the resources asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapacityData {
    pub resource_uuid: String,
    pub total_cpu: i64,
    pub available_cpu: i64,
    pub total_memory: i64,
    pub available_memory: i64,
    pub managed_cpu_num: i64,
}

impl ApiReply for CpuMemoryCapacityReply {}
