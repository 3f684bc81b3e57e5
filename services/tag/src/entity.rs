//! The system-tag and user-tag tables and their inventories.

pub mod system_tag {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use zstack_kernel::api::Inventory;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "system_tag")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub resource_uuid: String,
        pub resource_type: String,
        pub tag: String,
        /// Put there by the system; it cannot be deleted or changed through the API.
        pub inherent: bool,
        #[serde(rename = "type")]
        pub r#type: String,
        #[serde(with = "zstack_kernel::time")]
        pub create_date: DateTime<Utc>,
        #[serde(with = "zstack_kernel::time")]
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Inventory for Model {
        const CLASS: &'static str = "org.zstack.header.tag.SystemTagInventory";
    }
}

pub mod user_tag {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use zstack_kernel::api::Inventory;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "user_tag")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub resource_uuid: String,
        pub resource_type: String,
        pub tag: String,
        #[serde(rename = "type")]
        pub r#type: String,
        #[serde(with = "zstack_kernel::time")]
        pub create_date: DateTime<Utc>,
        #[serde(with = "zstack_kernel::time")]
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}

    impl Inventory for Model {
        const CLASS: &'static str = "org.zstack.header.tag.UserTagInventory";
    }
}
