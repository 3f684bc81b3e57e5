//! What the license APIs do. Every node keeps the license it read (see [`LicenseState`]); the
//! APIs answer from the memory of the node that runs them.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, EntityTrait, TransactionTrait};
use zstack_header::host::GetHostUsageMsg;
use zstack_kernel::api::InventoryReply;
use zstack_kernel::error::{argerr, not_found};
use zstack_kernel::message::new_uuid;
use zstack_kernel::time::now;
use zstack_kernel::{ApiError, ApiResult, ErrorCode, MsgContext, NodeContext};

use crate::document::{key_text, verify};
use crate::entity::{ActiveModel, Entity as StoredLicense};
use crate::messages::{
    APIGetLicenseCapabilitiesMsg, APIGetLicenseInfoMsg, APIReloadLicenseMsg, APIUpdateLicenseMsg,
    LicenseCapabilitiesReply, LicenseInventory,
};
use crate::state::{Installed, LicenseReloadEvent, LicenseState};

/// A license date as the seed writes it: `2017-01-19 14:31:06`, in the node's time zone.
pub fn seed_date(d: DateTime<Utc>) -> String {
    d.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Names the license in errors: `the Trial license of user[ops@example.com]`.
pub fn describe(installed: &Installed) -> String {
    format!(
        "the {} license of user[{}]",
        installed.payload.license_type.as_str(),
        installed.payload.user
    )
}

/// What an operator sends the issuer for a license: this node and the issuer key it trusts.
fn license_request(node: &NodeContext, state: &LicenseState) -> String {
    let request = serde_json::json!({
        "managementNodeUuid": node.config.node_uuid,
        "issuerPublicKey": key_text(state.key.as_bytes()),
    });
    STANDARD.encode(request.to_string())
}

async fn inventory(
    node: &NodeContext,
    state: &LicenseState,
    installed: Option<Arc<Installed>>,
) -> ApiResult<LicenseInventory> {
    let license_request = license_request(node, state);
    let Some(installed) = installed else {
        return Ok(LicenseInventory {
            license_type: "Free".into(),
            license_request,
            issued_date: None,
            expired_date: None,
            user: None,
            host_num: None,
            cpu_num: None,
            available_host_num: None,
            available_cpu_num: None,
            expired: false,
        });
    };
    let p = &installed.payload;
    // The hosts are the host service's: asked for, not read from its table.
    let usage = node.bus.call(GetHostUsageMsg {}).await?;
    Ok(LicenseInventory {
        license_type: p.license_type.as_str().into(),
        license_request,
        issued_date: Some(seed_date(p.issued_date)),
        expired_date: Some(seed_date(p.expired_date)),
        user: Some(p.user.clone()),
        host_num: Some(p.host_num),
        cpu_num: Some(p.cpu_num),
        available_host_num: Some((p.host_num - usage.host_num).max(0)),
        available_cpu_num: Some((p.cpu_num - usage.cpu_num).max(0)),
        expired: p.expired_at(Utc::now()),
    })
}

/// Installing and reloading licenses is admin's.
fn admin_only(ctx: &MsgContext, what: &str) -> Result<(), ErrorCode> {
    match &ctx.session {
        Some(s) if s.is_admin => Ok(()),
        Some(s) => Err(ApiError::PermissionDenied(format!(
            "account[uuid:{}] is not admin and cannot {what}",
            s.account_uuid
        ))
        .into()),
        None => Err(ApiError::PermissionDenied(format!("only admin can {what}")).into()),
    }
}

fn live_node(node: &NodeContext, uuid: &str) -> Result<(), ErrorCode> {
    if node.bus.ring().is_member(uuid) {
        Ok(())
    } else {
        Err(not_found(format!(
            "management node[uuid:{uuid}] is not a live management node"
        )))
    }
}

pub async fn get_info(
    node: NodeContext,
    state: Arc<LicenseState>,
    _msg: APIGetLicenseInfoMsg,
    _ctx: MsgContext,
) -> ApiResult<InventoryReply<LicenseInventory>> {
    Ok(inventory(&node, &state, state.current()).await?.into())
}

pub async fn capabilities(
    _node: NodeContext,
    state: Arc<LicenseState>,
    _msg: APIGetLicenseCapabilitiesMsg,
    _ctx: MsgContext,
) -> ApiResult<LicenseCapabilitiesReply> {
    let Some(installed) = state.current() else {
        return Ok(LicenseCapabilitiesReply {
            capabilities: Default::default(),
            success: true,
        });
    };
    let on = !installed.payload.expired_at(Utc::now());
    Ok(LicenseCapabilitiesReply {
        capabilities: installed
            .payload
            .capabilities
            .iter()
            .map(|name| (name.clone(), on.to_string()))
            .collect(),
        success: true,
    })
}

pub async fn update(
    node: NodeContext,
    state: Arc<LicenseState>,
    msg: APIUpdateLicenseMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<LicenseInventory>> {
    admin_only(&ctx, "install a license")?;
    live_node(&node, &msg.management_node_uuid)?;
    let text = msg.license.trim().to_string();
    let payload = verify(&text, &state.key).map_err(|why| {
        argerr(format!(
            "the license is refused: {why}; the installed license stays"
        ))
    })?;
    let at = now();
    // One license for every node: the new one replaces whatever was there, at once for all.
    let txn = node.db.begin().await?;
    StoredLicense::delete_many().exec(&txn).await?;
    StoredLicense::insert(ActiveModel {
        uuid: Set(new_uuid()),
        license: Set(text),
        management_node_uuid: Set(msg.management_node_uuid),
        upload_date: Set(at),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    let installed = Arc::new(Installed { payload });
    tracing::info!(
        license = %describe(&installed),
        host_num = installed.payload.host_num,
        cpu_num = installed.payload.cpu_num,
        "license installed"
    );
    state.set(Some(installed.clone()));
    node.bus.publish(LicenseReloadEvent {
        from: node.config.node_uuid.clone(),
        management_node_uuids: Vec::new(),
    });
    Ok(inventory(&node, &state, Some(installed)).await?.into())
}

/// Reloads here when this node is named, and tells the other nodes named. The answer is the
/// stored license, as the named nodes now run under it.
pub async fn reload(
    node: NodeContext,
    state: Arc<LicenseState>,
    msg: APIReloadLicenseMsg,
    ctx: MsgContext,
) -> ApiResult<InventoryReply<LicenseInventory>> {
    admin_only(&ctx, "reload the license")?;
    let named = msg.management_node_uuids.unwrap_or_default();
    for uuid in &named {
        live_node(&node, uuid)?;
    }
    let event = LicenseReloadEvent {
        from: node.config.node_uuid.clone(),
        management_node_uuids: named,
    };
    let installed = if event.names(&node.config.node_uuid) {
        state.reload(&node.db).await?
    } else {
        state.read_stored(&node.db).await?
    };
    node.bus.publish(event);
    Ok(inventory(&node, &state, installed).await?.into())
}
