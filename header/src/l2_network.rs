//! L2 networks: L3 networks are built on them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{Inventory, ResourceRef};

pub const L2_NETWORK: ResourceRef = ResourceRef {
    table: "l2_network",
    vo_name: "L2NetworkVO",
};

/// An L2 network's own fields: what [`GetL2NetworkMsg`] returns, and the body of its inventory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2Network {
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub zone_uuid: String,
    pub physical_interface: String,
    /// L2NoVlanNetwork or L2VlanNetwork.
    #[serde(rename = "type")]
    pub r#type: String,
    /// VLAN networks only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan: Option<i64>,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

/// What the L2 APIs answer: the network plus the clusters it is attached to (the query engine
/// returns table columns only, so queries answer without them).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L2NetworkInventory {
    #[serde(flatten)]
    pub network: L2Network,
    #[serde(default)]
    pub attached_cluster_uuids: Vec<String>,
}

impl Inventory for L2NetworkInventory {
    const CLASS: &'static str = "org.zstack.header.network.l2.L2NetworkInventory";
    const VO_NAME: Option<&'static str> = Some(L2_NETWORK.vo_name);
}

/// One L2 network, for the families that build on it without reading its table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetL2NetworkMsg {
    pub uuid: String,
}

impl zstack_kernel::family::handlers::Get for GetL2NetworkMsg {
    fn target(&self) -> &str {
        &self.uuid
    }
}

impl Message for GetL2NetworkMsg {
    const NAME: &'static str = "GetL2NetworkMsg";
    type Reply = L2Network;
    fn queue_key(&self) -> Option<String> {
        Some(self.uuid.clone())
    }
}

/// The clusters an L2 network is attached to, oldest attachment first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetL2NetworkClustersMsg {
    pub uuid: String,
}

impl Message for GetL2NetworkClustersMsg {
    const NAME: &'static str = "GetL2NetworkClustersMsg";
    type Reply = Vec<String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(json: &serde_json::Value) -> Vec<&str> {
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        keys
    }

    /// The field names are the wire: `GetL2NetworkMsg` answers the network alone, the APIs
    /// answer it with its clusters beside its own fields.
    #[test]
    fn json_shapes() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let network = L2Network {
            uuid: "l2".into(),
            name: "n".into(),
            description: None,
            zone_uuid: "z".into(),
            physical_interface: "eth0".into(),
            r#type: "L2NoVlanNetwork".into(),
            vlan: None,
            create_date: at,
            last_op_date: at,
        };
        let own = [
            "createDate",
            "lastOpDate",
            "name",
            "physicalInterface",
            "type",
            "uuid",
            "zoneUuid",
        ];
        let json = serde_json::to_value(&network).unwrap();
        assert_eq!(keys(&json), own);
        assert_eq!(serde_json::from_value::<L2Network>(json).unwrap(), network);

        let inv = L2NetworkInventory {
            network,
            attached_cluster_uuids: vec!["c".into()],
        };
        let json = serde_json::to_value(&inv).unwrap();
        let mut all = own.to_vec();
        all.push("attachedClusterUuids");
        all.sort_unstable();
        assert_eq!(keys(&json), all);
    }
}
