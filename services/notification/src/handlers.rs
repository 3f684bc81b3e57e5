//! Writing notifications (the queue and its writer), the two APIs that change them, and
//! removing those past their retention.

use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::mpsc;
use zstack_header::notification::NotifyMsg;
use zstack_kernel::api::{EmptyReply, Route, checks};
use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::jobs::ApiJobCompleted;
use zstack_kernel::message::new_uuid;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, api_message};

use crate::SERVICE_ID;
use crate::entity::{ActiveModel, Column, Entity as Notification};

/// Notifications waiting for the writer; beyond this, new ones are dropped (and logged) rather
/// than held in memory without bound.
const QUEUE_CAPACITY: usize = 10_000;
/// The most notifications written in one statement.
const BATCH: usize = 256;

api_message! {
    /// Marks notifications read or unread.
    pub struct APIUpdateNotificationsStatusMsg {
        uuids: Vec<String> => checks().max_len(1000),
        status: String => checks().valid_values(&["Unread", "Read"]),
    }
    route = Route::action("/notifications/actions");
    reply = EmptyReply;
}

api_message! {
    /// Deletes notifications.
    pub struct APIDeleteNotificationsMsg {
        // The seed's curl example sends none: nothing is deleted.
        uuids: Option<Vec<String>> => checks().max_len(1000),
    }
    route = Route::delete("/notifications");
    reply = EmptyReply;
}

#[derive(Clone)]
pub struct Queue(mpsc::Sender<NotifyMsg>);

impl Queue {
    /// Starts the writer task of `node`.
    pub fn start(node: NodeContext) -> Queue {
        let (tx, mut rx) = mpsc::channel::<NotifyMsg>(QUEUE_CAPACITY);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = write(&node, std::mem::take(&mut batch)).await {
                    tracing::warn!(error = %e, "could not write notifications");
                }
            }
        });
        Queue(tx)
    }

    pub fn push(&self, notice: NotifyMsg) {
        if let Err(e) = self.0.try_send(notice) {
            tracing::warn!(error = %e, "a notification was dropped");
        }
    }
}

async fn write(node: &NodeContext, notices: Vec<NotifyMsg>) -> ApiResult<()> {
    let at = now();
    let rows = notices.into_iter().map(|n| ActiveModel {
        uuid: Set(new_uuid()),
        name: Set(n.name),
        content: Set(n.content),
        arguments: Set(serde_json::to_string(&n.arguments).unwrap_or_else(|_| "[]".into())),
        sender: Set(n.sender),
        status: Set("Unread".into()),
        resource_uuid: Set(n.resource_uuid),
        resource_type: Set(n.resource_type),
        r#type: Set(n.r#type),
        time: Set(at.timestamp_millis()),
        opaque: Set(n.opaque.map(|o| o.to_string())),
        create_date: Set(at),
        last_op_date: Set(at),
    });
    Notification::insert_many(rows)
        .exec_without_returning(&node.db)
        .await?;
    Ok(())
}

/// Whether this node writes what is about `key` (every node hears every event).
pub fn mine(node: &NodeContext, key: &str) -> bool {
    node.bus.ring().owner(key, SERVICE_ID).as_deref() == Some(node.config.node_uuid.as_str())
}

pub fn status_changed(e: &ResourceStatusChanged) -> NotifyMsg {
    let lost = e.new_status == "Disconnected";
    NotifyMsg {
        sender: "system".into(),
        name: e.resource_type.clone(),
        content: format!("the {}[uuid:%s] becomes %s", e.resource_type),
        arguments: vec![e.resource_uuid.clone(), e.new_status.clone()],
        r#type: if lost { "Warning" } else { "Info" }.into(),
        resource_uuid: Some(e.resource_uuid.clone()),
        resource_type: Some(e.resource_type.clone()),
        opaque: Some(serde_json::json!({"oldStatus": e.old_status, "newStatus": e.new_status})),
    }
}

/// A finished API; failed creates are not notified, as in ZStack.
pub fn api_finished(node: &NodeContext, e: &ApiJobCompleted) -> Option<NotifyMsg> {
    let creates = node.apis.by_name(&e.api_name).and_then(|api| api.creates);
    if !e.success && creates.is_some() {
        return None;
    }
    let outcome = if e.success { "succeeded" } else { "failed" };
    Some(NotifyMsg {
        sender: "api".into(),
        name: e.api_name.clone(),
        content: format!("API %s {outcome}"),
        arguments: vec![e.api_name.clone()],
        r#type: if e.success { "Info" } else { "Error" }.into(),
        resource_uuid: e.resource_uuid.clone(),
        resource_type: creates.map(String::from),
        opaque: Some(
            serde_json::json!({"apiId": e.api_id, "success": e.success, "error": e.error}),
        ),
    })
}

pub async fn update_status(
    node: NodeContext,
    msg: APIUpdateNotificationsStatusMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    Notification::update_many()
        .col_expr(Column::Status, Expr::value(msg.status))
        .col_expr(Column::LastOpDate, Expr::value(now()))
        .filter(Column::Uuid.is_in(msg.uuids))
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}

pub async fn delete(
    node: NodeContext,
    msg: APIDeleteNotificationsMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    Notification::delete_many()
        .filter(Column::Uuid.is_in(msg.uuids.unwrap_or_default()))
        .exec(&node.db)
        .await?;
    Ok(EmptyReply {})
}

/// Removes notifications older than the retention, every little while.
pub fn spawn_cleaner(node: NodeContext) {
    let retention = node.config.setting_secs(
        "notification.retention",
        Duration::from_secs(30 * 24 * 3600),
    );
    let every = retention.clamp(Duration::from_secs(1), Duration::from_secs(3600));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let oldest = now().timestamp_millis()
                - i64::try_from(retention.as_millis()).unwrap_or(i64::MAX / 2);
            if let Err(e) = Notification::delete_many()
                .filter(Column::Time.lt(oldest))
                .exec(&node.db)
                .await
            {
                tracing::warn!(error = %e, "could not remove old notifications");
            }
        }
    });
}
