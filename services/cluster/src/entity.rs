//! The cluster table; its inventory is the contract's (`zstack_header::cluster`).

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
pub use zstack_header::cluster::CLUSTER;
use zstack_header::cluster::ClusterInventory;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uuid: String,
    pub name: String,
    pub description: Option<String>,
    pub state: String,
    pub hypervisor_type: String,
    pub r#type: String,
    pub zone_uuid: String,
    pub architecture: Option<String>,
    pub create_date: DateTime<Utc>,
    pub last_op_date: DateTime<Utc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for ClusterInventory {
    fn from(m: Model) -> Self {
        ClusterInventory {
            uuid: m.uuid,
            name: m.name,
            description: m.description,
            state: m.state,
            hypervisor_type: m.hypervisor_type,
            r#type: m.r#type,
            zone_uuid: m.zone_uuid,
            architecture: m.architecture,
            create_date: m.create_date,
            last_op_date: m.last_op_date,
        }
    }
}
