//! Task progress (ZStack's ProgressReportService): any handler reports progress and named
//! stages against the API it runs under. The API id travels with every message as a header, so
//! a message sent while handling an API carries it too, across the bus and across nodes; a
//! handler runs inside the scope its message carries. Reports go, off the request path, to the
//! service that answers `GET /task-progresses/{apiId}` (it handles [`ReportTaskProgressMsg`]).

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::bus::Bus;
use crate::message::{Headers, Message, new_uuid};

/// The API a message works for (its id, the async API's job uuid).
pub const API_ID_HEADER: &str = "x-api-id";
/// The API's message name, which names its top-level task.
pub const API_NAME_HEADER: &str = "x-api-name";
/// The task (stage) a message works within, when it is not the API itself.
pub const TASK_HEADER: &str = "x-task-uuid";

#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    pub api_id: String,
    pub api_name: String,
    /// The stage being run, if any: what progress and sub-stages hang under.
    pub task: Option<String>,
}

tokio::task_local! {
    static SCOPE: Scope;
}

/// The scope the running handler works in.
pub fn current() -> Option<Scope> {
    SCOPE.try_with(Clone::clone).ok()
}

/// Puts the running scope on a message about to be sent, unless it names its own API.
pub fn stamp(headers: &mut Headers) {
    if headers.contains_key(API_ID_HEADER) {
        return;
    }
    if let Some(scope) = current() {
        headers.insert(API_ID_HEADER.into(), scope.api_id);
        headers.insert(API_NAME_HEADER.into(), scope.api_name);
        if let Some(task) = scope.task {
            headers.insert(TASK_HEADER.into(), task);
        }
    }
}

/// The scope a received message carries.
pub fn scope_of(headers: &Headers) -> Option<Scope> {
    Some(Scope {
        api_id: headers.get(API_ID_HEADER)?.clone(),
        api_name: headers.get(API_NAME_HEADER).cloned().unwrap_or_default(),
        task: headers.get(TASK_HEADER).cloned(),
    })
}

/// Runs `f` within `scope` (none: as it is).
pub async fn within<F: Future>(scope: Option<Scope>, f: F) -> F::Output {
    match scope {
        Some(scope) => SCOPE.scope(scope, f).await,
        None => f.await,
    }
}

/// One progress entry, as the task-progress service stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportTaskProgressMsg {
    pub api_id: String,
    pub task_uuid: String,
    /// The API's class name for its tasks (`APIAddImageMsg`).
    pub task_name: String,
    pub parent_uuid: Option<String>,
    /// `Task` (a stage) or `Progress` (how far the enclosing stage is).
    pub r#type: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_steps: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<i64>,
    /// Milliseconds since the epoch.
    pub time: i64,
}

impl Message for ReportTaskProgressMsg {
    const NAME: &'static str = "ReportTaskProgressMsg";
    type Reply = crate::api::EmptyReply;
    // Entries of one API are stored in the order they were reported.
    fn queue_key(&self) -> Option<String> {
        Some(self.api_id.clone())
    }
}

fn entry(scope: &Scope, kind: &str, content: String) -> ReportTaskProgressMsg {
    ReportTaskProgressMsg {
        api_id: scope.api_id.clone(),
        task_uuid: new_uuid(),
        task_name: scope.api_name.clone(),
        parent_uuid: scope.task.clone(),
        r#type: kind.into(),
        content,
        opaque: None,
        total_steps: None,
        current_step: None,
        time: crate::time::now().timestamp_millis(),
    }
}

/// Reports how far the running stage (or the API) is: `content` is ZStack's percentage text
/// (`"42"`), `step` of `total` when the work counts steps. Outside an API it does nothing.
pub fn report(bus: &Bus, content: impl Into<String>, step: Option<(i64, i64)>) {
    let Some(scope) = current() else { return };
    let mut msg = entry(&scope, "Progress", content.into());
    if let Some((current, total)) = step {
        msg.current_step = Some(current);
        msg.total_steps = Some(total);
    }
    bus.send(msg);
}

/// Runs `f` as a named stage of the running API (a sub-task of the running stage, if any):
/// the stage is reported, and what `f` reports hangs under it.
pub async fn stage<F: Future>(bus: &Bus, name: impl Into<String>, f: F) -> F::Output {
    let Some(scope) = current() else {
        return f.await;
    };
    let msg = entry(&scope, "Task", name.into());
    let inner = Scope {
        task: Some(msg.task_uuid.clone()),
        ..scope
    };
    bus.send(msg);
    SCOPE.scope(inner, f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scope_is_stamped_on_messages_sent_within_it() {
        let scope = Scope {
            api_id: "a".into(),
            api_name: "APIAddImageMsg".into(),
            task: Some("t".into()),
        };
        let mut headers = Headers::new();
        within(Some(scope.clone()), async { stamp(&mut headers) }).await;
        assert_eq!(scope_of(&headers), Some(scope));
        let mut outside = Headers::new();
        stamp(&mut outside);
        assert!(outside.is_empty());
    }
}
