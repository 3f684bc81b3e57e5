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
        /// A salted argon2id hash (PHC string) of the sha512 hex clients send; rows from before
        /// hold that sha512 hex itself until their next successful login.
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

    /// A session, keyed by the sha256 hex of its token: the token itself is never stored.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "session")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub account_uuid: String,
        pub user_uuid: String,
        pub expired_date: DateTime<Utc>,
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

    /// `SessionInventory`: what login answers, with the token as the session's `uuid`.
    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct SessionInventory {
        pub uuid: String,
        pub account_uuid: String,
        pub user_uuid: String,
        #[serde(with = "zstack_kernel::time")]
        pub expired_date: DateTime<Utc>,
        #[serde(with = "zstack_kernel::time")]
        pub create_date: DateTime<Utc>,
    }

    impl SessionInventory {
        pub fn new(token: String, row: Model) -> Self {
            SessionInventory {
                uuid: token,
                account_uuid: row.account_uuid,
                user_uuid: row.user_uuid,
                expired_date: row.expired_date,
                create_date: row.create_date,
            }
        }
    }

    impl Inventory for SessionInventory {
        const CLASS: &'static str = "org.zstack.header.identity.SessionInventory";
    }
}

pub mod login_failure {
    use chrono::{DateTime, Utc};
    use sea_orm::entity::prelude::*;

    /// Failed logins for one account name from one client address, counted from `window_start`.
    /// Names need not exist: unknown ones are counted the same way.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_failure")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_name: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub client: String,
        pub window_start: DateTime<Utc>,
        pub failures: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
