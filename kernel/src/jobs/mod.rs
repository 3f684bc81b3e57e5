//! Async API jobs (ZStack's `AsyncRestVO`), whoever runs them: the durable job store, the jobs
//! running on this node, their end (result recorded once, completion announced, webhook fired
//! once), retention, and ending the jobs of a node that is gone. The gateway submits jobs here;
//! membership ends a dead node's jobs here.

pub mod store;
pub mod webhook;
pub mod webhook_target;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::message::Event;
use crate::node::NodeContext;
use webhook::WebhookPlan;
use webhook_target::WebhookClient;

/// Published on the bus when an async API's job has finished.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiJobCompleted {
    pub api_id: String,
    pub api_name: String,
    pub success: bool,
    /// The resource the API answered with (`inventory.uuid`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_uuid: Option<String>,
    /// The error a failed API answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
}

impl Event for ApiJobCompleted {
    const NAME: &'static str = "ApiJobCompleted";
}

/// Async jobs running on this node, so a stopping node can let them finish first.
#[derive(Default)]
pub struct JobTracker {
    running: AtomicUsize,
    idle: Notify,
}

/// Counts one running job until dropped.
pub struct JobGuard(Arc<JobTracker>);

impl Drop for JobGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl JobTracker {
    pub fn enter(self: &Arc<Self>) -> JobGuard {
        self.running.fetch_add(1, Ordering::SeqCst);
        JobGuard(self.clone())
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// Waits until no job runs, at most `within`; tells whether that happened.
    pub async fn wait_idle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.idle.notified();
            if self.running() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.running() == 0;
            }
        }
    }
}

/// Announces ended jobs: the bus event, and the webhook, through the one client that checks
/// receivers.
#[derive(Clone)]
pub struct Announcer {
    http: WebhookClient,
    plan: Arc<WebhookPlan>,
}

/// A job that has just ended.
pub struct Ended<'a> {
    pub uuid: &'a str,
    pub api_name: &'a str,
    pub success: bool,
    pub body: String,
    pub web_hook: Option<String>,
}

impl Announcer {
    pub fn new(node: &NodeContext) -> Self {
        Announcer {
            http: webhook_target::client(&node.config),
            plan: Arc::new(WebhookPlan {
                tries: node.config.webhook_tries,
                max_backoff: node.config.webhook_max_backoff,
            }),
        }
    }

    /// Checks an `X-Web-Hook` receiver when the job is submitted (the rules of delivery).
    pub async fn check_receiver(&self, url: &str) -> Result<(), String> {
        self.http.rules.check_submission(url).await
    }

    /// Records the job's result unless it has ended already, then announces it. Whoever ends a
    /// job announces it, so its webhook fires once; `None` when it had ended already, else
    /// whether the webhook was delivered (`Some(true)` with no webhook).
    pub async fn finish(&self, node: &NodeContext, job: Ended<'_>) -> Option<bool> {
        match store::complete(&node.db, job.uuid, job.success, &job.body).await {
            Ok(true) => {}
            Ok(false) => {
                // Another node declared this one dead and ended the job meanwhile.
                tracing::warn!(
                    job = job.uuid,
                    "the job had already ended; its result is dropped"
                );
                return None;
            }
            Err(e) => {
                tracing::error!(job = job.uuid, error = %e, "could not record the job result")
            }
        }
        Some(self.announce(node, job).await)
    }

    /// Publishes the job's end and delivers its webhook (whose tries may take a while).
    async fn announce(&self, node: &NodeContext, job: Ended<'_>) -> bool {
        let body: Value = serde_json::from_str(&job.body).unwrap_or(Value::Null);
        node.bus.publish(ApiJobCompleted {
            api_id: job.uuid.to_string(),
            api_name: job.api_name.to_string(),
            success: job.success,
            resource_uuid: body["inventory"]["uuid"].as_str().map(String::from),
            error: body.get("error").cloned(),
        });
        match job.web_hook {
            Some(url) => {
                webhook::deliver(
                    &self.http,
                    &self.plan,
                    &url,
                    job.uuid,
                    job.success,
                    job.body,
                )
                .await
            }
            None => true,
        }
    }
}

/// Ends the jobs node `owner` left running, announces them and fires their webhooks: a job whose
/// work committed ends as a success with the resource it created, any other fails (SYS.1012)
/// since its work never will commit. Safe to run on several nodes at once: each job is ended,
/// and its webhook fired, by one of them.
pub async fn end_jobs_of(
    node: &NodeContext,
    owner: &str,
    why: &str,
) -> Result<usize, sea_orm::DbErr> {
    let orphans = store::orphans_of(&node.db, owner).await?;
    if orphans.is_empty() {
        return Ok(0);
    }
    let failure = store::orphan_failure(why);
    let mut ended = Vec::new();
    for orphan in orphans {
        let (success, body) = match &orphan.created {
            Some((vo, uuid)) => (true, created_body(node, vo, uuid).await),
            None => (false, failure.clone()),
        };
        if store::complete(&node.db, &orphan.uuid, success, &body).await? {
            ended.push((orphan, success, body));
        }
    }
    tracing::warn!(
        node = owner,
        jobs = ended.len(),
        "jobs of a management node that is gone ended"
    );
    let count = ended.len();
    let announcer = Announcer::new(node);
    for (orphan, success, body) in ended {
        let (node, announcer) = (node.clone(), announcer.clone());
        // Not a local task: this may run on the heartbeat's task, outside the actix system.
        tokio::spawn(async move {
            let job = Ended {
                uuid: &orphan.uuid,
                api_name: &orphan.api_name,
                success,
                body,
                web_hook: orphan.web_hook.clone(),
            };
            announcer.announce(&node, job).await;
        });
    }
    Ok(count)
}

/// The result of a create whose job's node went away after the create committed: the created
/// resource's inventory as it is now, as a poll of the job would have returned it.
async fn created_body(node: &NodeContext, vo: &str, uuid: &str) -> String {
    let inventory = match node.inventory(vo, uuid).await {
        Ok(Some(inventory)) => Value::Object(inventory),
        Ok(None) => json!({ "uuid": uuid }),
        Err(e) => {
            tracing::warn!(error = %e, resource = uuid, "could not read a created resource back");
            json!({ "uuid": uuid })
        }
    };
    json!({ "inventory": inventory }).to_string()
}

fn stopped_while_running(node: &NodeContext) -> String {
    format!(
        "management node[uuid:{}] stopped while the job was running",
        node.config.node_uuid
    )
}

/// Ends the jobs this node left running in an earlier life, then expires old jobs periodically.
pub async fn start(node: &NodeContext) -> Result<(), sea_orm::DbErr> {
    end_jobs_of(node, &node.config.node_uuid, &stopped_while_running(node)).await?;
    let db = node.db.clone();
    let retention = node.config.job_retention;
    let every = (retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match store::expire(&db, retention).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(expired = n, "expired finished jobs"),
                Err(e) => tracing::warn!(error = %e, "could not expire jobs"),
            }
        }
    });
    Ok(())
}

/// After the HTTP server has stopped: lets running jobs finish within `grace`, then ends the
/// rest so none is left running.
pub async fn drain(node: &NodeContext, jobs: &JobTracker, grace: Duration) {
    if jobs.wait_idle(grace).await {
        return;
    }
    tracing::warn!(
        running = jobs.running(),
        "jobs still running at shutdown are ended"
    );
    if let Err(e) = end_jobs_of(node, &node.config.node_uuid, &stopped_while_running(node)).await {
        tracing::error!(error = %e, "could not end the jobs left running");
    }
}
