//! Accounts.

use zstack_kernel::api::ResourceRef;

pub const ACCOUNT: ResourceRef = ResourceRef {
    table: "account",
    vo_name: "AccountVO",
};
