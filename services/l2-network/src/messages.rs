//! The L2 network APIs.

use zstack_header::cluster::CLUSTER;
use zstack_header::l2_network::L2NetworkInventory;
use zstack_header::zone::ZONE;
use zstack_kernel::api::{InventoryReply, Route, checks};
use zstack_kernel::api_message;
use zstack_kernel::query::{QueryMeta, Queryable};

use crate::entity::{Entity, L2_NETWORK, NO_VLAN, VLAN};

api_message! {
    /// Creates an L2 network without VLAN on a host interface of a zone.
    pub struct APICreateL2NoVlanNetworkMsg {
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        zone_uuid: String => checks().resource(ZONE),
        physical_interface: String => checks().max_len(1024),
        r#type: Option<String> => checks().valid_values(&[NO_VLAN]),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/l2-networks/no-vlan");
    reply = InventoryReply<L2NetworkInventory>;
}

api_message! {
    /// Creates an L2 network on one VLAN of a host interface of a zone.
    pub struct APICreateL2VlanNetworkMsg {
        vlan: i64 => checks().range(1, 4094),
        name: String => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        zone_uuid: String => checks().resource(ZONE),
        physical_interface: String => checks().max_len(1024),
        r#type: Option<String> => checks().valid_values(&[VLAN]),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/l2-networks/vlan");
    reply = InventoryReply<L2NetworkInventory>;
}

zstack_kernel::standard_apis! {
    of L2_NETWORK, inventory L2NetworkInventory, path "/l2-networks";
    update APIUpdateL2NetworkMsg;
    delete APIDeleteL2NetworkMsg;
}

api_message! {
    /// Attaches an L2 network to a cluster of its zone: the cluster's hosts reach it.
    pub struct APIAttachL2NetworkToClusterMsg {
        l2_network_uuid: String => checks().resource(L2_NETWORK),
        cluster_uuid: String => checks().resource(CLUSTER),
        l2_provider_type: Option<String> => checks().max_len(255),
    }
    route = Route::post("/l2-networks/{l2NetworkUuid}/clusters/{clusterUuid}");
    reply = InventoryReply<L2NetworkInventory>;
    // Conflicts are judged per cluster, so attaches to one cluster queue behind each other.
    resource = cluster_uuid;
}

api_message! {
    /// Detaches an L2 network from a cluster.
    pub struct APIDetachL2NetworkFromClusterMsg {
        l2_network_uuid: String => checks().resource(L2_NETWORK),
        cluster_uuid: String => checks().resource(CLUSTER),
    }
    route = Route::delete("/l2-networks/{l2NetworkUuid}/clusters/{clusterUuid}");
    reply = InventoryReply<L2NetworkInventory>;
    resource = cluster_uuid;
}

/// `GET /l2-networks/vlan`: the VLAN networks only.
pub struct L2VlanNetworkQuery;

impl Queryable for L2VlanNetworkQuery {
    const QUERY_API: &'static str = "APIQueryL2VlanNetworkMsg";
    const PATH: &'static str = "/l2-networks/vlan";
    const PATH_BY_UUID: Option<&'static str> = None;

    fn meta() -> QueryMeta {
        <Entity as Queryable>::meta().typed(
            "l2VlanNetwork",
            "org.zstack.header.network.l2.L2VlanNetworkInventory",
            "type",
            "L2VlanNetwork",
        )
    }
}
