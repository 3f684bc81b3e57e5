//! The account and session APIs.

use serde::{Deserialize, Serialize};
use zstack_kernel::api::{ApiReply, EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::session::Model as SessionInventory;

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
