//! Clusters: hosts join them, storage and networks attach to them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{Inventory, ResourceRef};

pub const CLUSTER: ResourceRef = ResourceRef {
    table: "cluster",
    vo_name: "ClusterVO",
};

/// A cluster as the cluster APIs answer it and as [`GetClusterMsg`] returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInventory {
    pub uuid: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: String,
    pub hypervisor_type: String,
    #[serde(rename = "type")]
    pub r#type: String,
    pub zone_uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(with = "zstack_kernel::time")]
    pub create_date: DateTime<Utc>,
    #[serde(with = "zstack_kernel::time")]
    pub last_op_date: DateTime<Utc>,
}

impl Inventory for ClusterInventory {
    const CLASS: &'static str = "org.zstack.header.cluster.ClusterInventory";
    const VO_NAME: Option<&'static str> = Some(CLUSTER.vo_name);
}

/// One cluster, for the families that act on clusters without reading the cluster table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetClusterMsg {
    pub uuid: String,
}

impl zstack_kernel::family::handlers::Get for GetClusterMsg {
    fn target(&self) -> &str {
        &self.uuid
    }
}

impl Message for GetClusterMsg {
    const NAME: &'static str = "GetClusterMsg";
    type Reply = ClusterInventory;
    fn queue_key(&self) -> Option<String> {
        Some(self.uuid.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The field names are the wire (REST replies and `GetClusterMsg` between nodes).
    #[test]
    fn inventory_json_shape() {
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let inv = ClusterInventory {
            uuid: "c".into(),
            name: "n".into(),
            description: None,
            state: "Enabled".into(),
            hypervisor_type: "KVM".into(),
            r#type: "zstack".into(),
            zone_uuid: "z".into(),
            architecture: Some("x86_64".into()),
            create_date: at,
            last_op_date: at,
        };
        let json = serde_json::to_value(&inv).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "architecture",
                "createDate",
                "hypervisorType",
                "lastOpDate",
                "name",
                "state",
                "type",
                "uuid",
                "zoneUuid"
            ]
        );
        let back: ClusterInventory = serde_json::from_value(json).unwrap();
        assert_eq!(back, inv);
    }
}
