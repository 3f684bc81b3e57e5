//! The L2 network table and its cluster attachments; its inventory is the contract's
//! (`zstack_header::l2_network`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
pub use zstack_header::l2_network::L2_NETWORK;
use zstack_header::l2_network::L2Network;

pub const NO_VLAN: &str = "L2NoVlanNetwork";
pub const VLAN: &str = "L2VlanNetwork";

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "l2_network")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub zone_uuid: String,
    pub physical_interface: String,
    /// L2NoVlanNetwork or L2VlanNetwork.
    pub r#type: String,
    /// VLAN networks only.
    pub vlan: Option<i64>,
    pub create_date: DateTime<Utc>,
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for L2Network {
    fn from(m: Model) -> Self {
        L2Network {
            uuid: m.uuid,
            name: m.name,
            description: m.description,
            zone_uuid: m.zone_uuid,
            physical_interface: m.physical_interface,
            r#type: m.r#type,
            vlan: m.vlan,
            create_date: m.create_date,
            last_op_date: m.last_op_date,
        }
    }
}

/// Which clusters an L2 network is attached to.
/// The join table's attach, detach and cleanup.
pub const CLUSTERS: zstack_kernel::resource::Link = zstack_kernel::resource::Link {
    table: cluster_ref::TABLE,
    from: ("l2_network_uuid", "l2Network"),
    to: ("cluster_uuid", "cluster"),
};

pub mod cluster_ref {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    pub const TABLE: &str = "l2_network_cluster_ref";

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "l2_network_cluster_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub l2_network_uuid: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub cluster_uuid: String,
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
