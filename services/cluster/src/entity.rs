//! The cluster table; its inventory is the contract's (`zstack_header::cluster`).

pub use zstack_header::cluster::CLUSTER;
use zstack_header::cluster::ClusterInventory;

zstack_kernel::resource_table! {
    table "cluster" for CLUSTER;
    query APIQueryClusterMsg "/clusters" as "cluster";
    inventory ClusterInventory;
    migration "m0200_cluster";
    cascade "ClusterCascadeMsg" { "ZoneVO" => zone_uuid }
    columns {
        name: String [255],
        description: Option<String> [2048],
        state: String [32],
        hypervisor_type: String [32],
        r#type: String [32],
        zone_uuid: String [32] => "zone",
        architecture: Option<String> [32],
    }
}
