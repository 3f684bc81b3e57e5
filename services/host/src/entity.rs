//! The host table; the row is the inventory (`HostInventory`).

pub use zstack_header::host::HOST;

zstack_kernel::resource_table! {
    table "host" for HOST;
    query APIQueryHostMsg "/hosts" as "host";
    inventory Model = "org.zstack.header.host.HostInventory";
    migration "m0300_host";
    cascade "HostCascadeMsg" { "ClusterVO" => cluster_uuid }
    remove crate::cleanup::remove;
    refuse crate::handlers::refuse_busy;
    columns {
        name: String [255],
        #[serde(skip_serializing_if = "Option::is_none")]
        description: Option<String> [2048],
        zone_uuid: String [32] => "zone",
        cluster_uuid: String [32] => "cluster",
        management_ip: String [255, unique],
        hypervisor_type: String [32],
        /// Enabled, Disabled, PreMaintenance or Maintenance.
        state: String [32],
        /// Connecting, Connected or Disconnected.
        status: String [32],
        total_cpu_capacity: i64,
        available_cpu_capacity: i64,
        total_memory_capacity: i64,
        available_memory_capacity: i64,
        cpu_num: i64,
    }
}
