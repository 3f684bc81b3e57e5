//! Accounts and sessions: tables and inventories.

pub mod account {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "account")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        #[sea_orm(unique)]
        pub name: String,
        /// sha512 of the password, lower-case hex (clients send it hashed).
        pub password: String,
        /// `SystemAdmin` or `Normal`.
        pub r#type: String,
        pub description: Option<String>,
        pub create_date: DateTime<Utc>,
        pub last_op_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;
    use serde::{Deserialize, Serialize};
    use zstack_kernel::api::Inventory;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Serialize, Deserialize)]
    #[sea_orm(table_name = "session")]
    #[serde(rename_all = "camelCase")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub uuid: String,
        pub account_uuid: String,
        pub user_uuid: String,
        #[serde(
            serialize_with = "zstack_kernel::time::serialize",
            deserialize_with = "zstack_kernel::time::deserialize"
        )]
        pub expired_date: DateTime<Utc>,
        #[serde(
            serialize_with = "zstack_kernel::time::serialize",
            deserialize_with = "zstack_kernel::time::deserialize"
        )]
        pub create_date: DateTime<Utc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::account::Entity",
            from = "Column::AccountUuid",
            to = "super::account::Column::Uuid"
        )]
        Account,
    }

    impl Related<super::account::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Account.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl Inventory for Model {
        const CLASS: &'static str = "org.zstack.header.identity.SessionInventory";
    }
}
