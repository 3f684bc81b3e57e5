//! The L2 network table and its cluster attachments; its inventory is the contract's
//! (`zstack_header::l2_network`).

pub use zstack_header::l2_network::L2_NETWORK;
use zstack_header::l2_network::{L2Network, L2NetworkInventory};
use zstack_kernel::query::QueryMeta;
use zstack_kernel::resource::Link;
use zstack_kernel::schema::CreateTables;

pub const NO_VLAN: &str = "L2NoVlanNetwork";
pub const VLAN: &str = "L2VlanNetwork";

zstack_kernel::resource_table! {
    table "l2_network" for L2_NETWORK;
    query APIQueryL2NetworkMsg "/l2-networks" as "l2Network";
    inventory L2Network;
    migration "m0700_l2_network";
    cascade "L2NetworkCascadeMsg" { "ZoneVO" => zone_uuid }
    remove crate::handlers::remove;
    extend clusters;
    reply L2NetworkInventory = crate::handlers::inventory;
    columns {
        name: String [255],
        description: Option<String> [2048],
        zone_uuid: String [32] => "zone",
        physical_interface: String [1024],
        /// L2NoVlanNetwork or L2VlanNetwork.
        r#type: String [32],
        /// VLAN networks only.
        vlan: Option<i64>,
    }
}

/// The network's table and its cluster attachment table.
pub fn migration() -> CreateTables {
    CLUSTERS.migration(declared::migration())
}

/// Which clusters an L2 network is attached to.
/// The join table's attach, detach and cleanup.
pub const CLUSTERS: Link = Link {
    table: "l2_network_cluster_ref",
    from: ("l2_network_uuid", "l2Network"),
    to: ("cluster_uuid", "cluster"),
};

/// The attached clusters in queries: `attachedClusterUuids`, and `l2Network.cluster`.
fn clusters(meta: QueryMeta) -> QueryMeta {
    CLUSTERS.query(meta, "attachedClusterUuids", "cluster")
}
