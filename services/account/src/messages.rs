//! The account and session APIs.

use serde::{Deserialize, Serialize};
use zstack_kernel::api::{ApiReply, EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use zstack_kernel::query::{FieldKind, QueryMeta, Queryable};

use zstack_header::account::ACCOUNT;
use zstack_kernel::resource::registry::ANY_RESOURCE;

use crate::accounts::AccountInventory;
use crate::entity::session::SessionInventory;

api_message! {
    /// Creates an account (admin only); the password is its sha512 hex, as clients send it.
    pub struct APICreateAccountMsg {
        name: String => checks().max_len(255),
        password: String => checks().max_len(255).no_trim(),
        r#type: Option<String> => checks().valid_values(&["Normal"]),
        description: Option<String> => checks().max_len(2048),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/accounts");
    reply = InventoryReply<AccountInventory>;
}

api_message! {
    /// Deletes an account (admin only); its sessions end.
    pub struct APIDeleteAccountMsg {
        uuid: String => checks().uuid(),
        delete_mode: Option<String> => checks().valid_values(&["Permissive", "Enforcing"]),
    }
    route = Route::delete("/accounts/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

/// `GET /accounts`, `GET /accounts/{uuid}`: admin sees every account, others only their own.
pub struct AccountQuery;

impl Queryable for AccountQuery {
    const QUERY_API: &'static str = "APIQueryAccountMsg";
    const PATH: &'static str = "/accounts";
    const PATH_BY_UUID: Option<&'static str> = Some("/accounts/{uuid}");

    fn meta() -> QueryMeta {
        QueryMeta::new(
            "account",
            "account",
            "org.zstack.header.identity.AccountInventory",
        )
        .field("uuid", FieldKind::Str)
        .field("name", FieldKind::Str)
        .field("description", FieldKind::Str)
        .field("type", FieldKind::Str)
        .field("createDate", FieldKind::Date)
        .field("lastOpDate", FieldKind::Date)
    }
}

api_message! {
    /// Logs in with an account name and the sha512 hex of its password.
    pub struct APILogInByAccountMsg {
        account_name: String => checks().max_len(255),
        password: String => checks().max_len(255).no_trim(),
    }
    route = Route::action("/accounts/login").sync().without_session();
    reply = InventoryReply<SessionInventory>;
}

api_message! {
    /// Ends a session.
    pub struct APILogOutMsg {
        session_uuid: String => checks().max_len(255),
    }
    route = Route::delete("/accounts/sessions/{sessionUuid}").sync().without_session();
    reply = EmptyReply;
}

api_message! {
    /// Tells whether a session is still valid.
    pub struct APIValidateSessionMsg {
        session_uuid: String => checks().max_len(255),
    }
    route = Route::get("/accounts/sessions/{sessionUuid}/valid");
    reply = ValidateSessionReply;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidateSessionReply {
    pub valid: bool,
}

impl ApiReply for ValidateSessionReply {}

api_message! {
    /// Shares resources with accounts, or with every account (`toPublic`): they see them and
    /// may use them, never change them. An account shares what it owns; admin, anything.
    pub struct APIShareResourceMsg {
        resource_uuids: Vec<String> => checks().resource(ANY_RESOURCE),
        account_uuids: Option<Vec<String>> => checks().resource(ACCOUNT).anyones(),
        to_public: Option<bool>,
    }
    route = Route::action("/accounts/resources/actions");
    reply = EmptyReply;
}

api_message! {
    /// Takes sharing back: from the accounts named, from every account (`toPublic`), or all of
    /// it (`all`). An account takes back what it shared; admin, any share.
    pub struct APIRevokeResourceSharingMsg {
        resource_uuids: Vec<String> => checks().resource(ANY_RESOURCE).anyones(),
        to_public: Option<bool>,
        account_uuids: Option<Vec<String>> => checks().uuid(),
        all: Option<bool>,
    }
    route = Route::action("/accounts/resources/actions");
    reply = EmptyReply;
}
