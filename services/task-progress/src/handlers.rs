//! Storing reported entries, answering GetTaskProgress, and removing what has served.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use zstack_kernel::api::{ApiReply, EmptyReply, Route, Schema, checks};
use zstack_kernel::progress::ReportTaskProgressMsg;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext, api_message};

use crate::entity::{ActiveModel, Column, Entity as Progress, Model};

const CLASS: &str = "org.zstack.header.core.progress.TaskProgressInventory";

api_message! {
    /// The progress an API has reported: the latest entry and the stages above it, or with
    /// `all` every entry as a tree.
    pub struct APIGetTaskProgressMsg {
        api_id: String => checks().max_len(64),
        all: Option<bool>,
    }
    route = Route::get("/task-progresses/{apiId}");
    reply = TaskProgressReply;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskProgressInventory {
    pub task_uuid: String,
    pub task_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_uuid: Option<String>,
    pub r#type: String,
    pub content: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opaque: Option<serde_json::Value>,
    pub time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_steps: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_step: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sub_tasks: Vec<TaskProgressInventory>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskProgressReply {
    pub inventories: Vec<TaskProgressInventory>,
}

impl ApiReply for TaskProgressReply {
    fn schema(&self) -> Schema {
        let mut schema = Vec::new();
        for (i, inv) in self.inventories.iter().enumerate() {
            nested_schema(&format!("inventories[{i}]"), inv, &mut schema);
        }
        schema
    }
}

fn nested_schema(path: &str, inv: &TaskProgressInventory, schema: &mut Schema) {
    schema.push((path.to_string(), CLASS));
    for (i, sub) in inv.sub_tasks.iter().enumerate() {
        nested_schema(&format!("{path}.subTasks[{i}]"), sub, schema);
    }
}

fn inventory(row: &Model) -> TaskProgressInventory {
    TaskProgressInventory {
        task_uuid: row.task_uuid.clone(),
        task_name: row.task_name.clone(),
        parent_uuid: row.parent_uuid.clone(),
        r#type: row.r#type.clone(),
        content: row.content.clone(),
        opaque: row
            .opaque
            .as_deref()
            .and_then(|o| serde_json::from_str(o).ok()),
        time: row.time,
        total_steps: row.total_steps,
        current_step: row.current_step,
        sub_tasks: Vec::new(),
    }
}

pub async fn record(
    node: NodeContext,
    msg: ReportTaskProgressMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let row = ActiveModel {
        task_uuid: Set(msg.task_uuid),
        api_id: Set(msg.api_id),
        task_name: Set(msg.task_name),
        parent_uuid: Set(msg.parent_uuid),
        r#type: Set(msg.r#type),
        content: Set(msg.content),
        opaque: Set(msg.opaque.map(|o| o.to_string())),
        total_steps: Set(msg.total_steps),
        current_step: Set(msg.current_step),
        time: Set(msg.time),
        time_to_delete: Set(None),
        create_date: Set(now()),
        ..Default::default()
    };
    Progress::insert(row)
        .exec_without_returning(&node.db)
        .await?;
    Ok(EmptyReply {})
}

pub async fn get(
    node: NodeContext,
    msg: APIGetTaskProgressMsg,
    _ctx: MsgContext,
) -> ApiResult<TaskProgressReply> {
    let rows = Progress::find()
        .filter(Column::ApiId.eq(msg.api_id))
        .order_by_asc(Column::Id)
        .all(&node.db)
        .await?;
    let inventories = if msg.all.unwrap_or(false) {
        tree(&rows)
    } else {
        latest_chain(&rows).into_iter().collect()
    };
    Ok(TaskProgressReply { inventories })
}

/// The latest entry, inside the stages above it (each with only that one sub-task).
fn latest_chain(rows: &[Model]) -> Option<TaskProgressInventory> {
    let by_task: HashMap<&str, &Model> = rows.iter().map(|r| (r.task_uuid.as_str(), r)).collect();
    let latest = rows.last()?;
    let mut inv = inventory(latest);
    let mut parent = latest.parent_uuid.as_deref();
    // Bounded by the number of entries, whatever the parents say.
    for _ in 0..rows.len() {
        let Some(row) = parent.and_then(|p| by_task.get(p)) else {
            break;
        };
        let mut above = inventory(row);
        above.sub_tasks.push(inv);
        inv = above;
        parent = row.parent_uuid.as_deref();
    }
    Some(inv)
}

/// Every entry: those without a (known) parent at the top, each stage with what it reported.
fn tree(rows: &[Model]) -> Vec<TaskProgressInventory> {
    let known: std::collections::HashSet<&str> =
        rows.iter().map(|r| r.task_uuid.as_str()).collect();
    let mut children: HashMap<&str, Vec<&Model>> = HashMap::new();
    let mut roots = Vec::new();
    for row in rows {
        match row.parent_uuid.as_deref().filter(|p| known.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(row),
            None => roots.push(row),
        }
    }
    fn build(
        row: &Model,
        children: &HashMap<&str, Vec<&Model>>,
        depth: usize,
    ) -> TaskProgressInventory {
        let mut inv = inventory(row);
        if depth < 64 {
            for child in children.get(row.task_uuid.as_str()).into_iter().flatten() {
                inv.sub_tasks.push(build(child, children, depth + 1));
            }
        }
        inv
    }
    roots.into_iter().map(|r| build(r, &children, 0)).collect()
}

/// The API ended: its entries go after the delete delay.
pub async fn api_ended(node: &NodeContext, api_id: &str) -> ApiResult<()> {
    let at = now().timestamp_millis() + millis(node.config.progress_delete_delay);
    Progress::update_many()
        .col_expr(Column::TimeToDelete, Expr::value(at))
        .filter(Column::ApiId.eq(api_id))
        .exec(&node.db)
        .await?;
    Ok(())
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Removes entries whose time has come, and any older than the TTL, every little while.
pub fn spawn_cleaner(node: NodeContext) {
    let every = node
        .config
        .progress_delete_delay
        .clamp(Duration::from_secs(1), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let at = now().timestamp_millis();
            let oldest = at.saturating_sub(millis(node.config.progress_ttl));
            // Every entry of an API whose time has come, those reported after it ended too.
            let ended = sea_orm::sea_query::Query::select()
                .column(Column::ApiId)
                .from(crate::entity::Entity)
                .and_where(Expr::col(Column::TimeToDelete).lte(at))
                .to_owned();
            let gone = Progress::delete_many()
                .filter(
                    sea_orm::Condition::any()
                        .add(Column::ApiId.in_subquery(ended))
                        .add(Column::Time.lt(oldest)),
                )
                .exec(&node.db)
                .await;
            if let Err(e) = gone {
                tracing::warn!(error = %e, "could not remove old task progress");
            }
        }
    });
}
