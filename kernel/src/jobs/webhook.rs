//! Delivers a finished job to its `X-Web-Hook` URL, retrying with backoff until the receiver
//! answers 2xx or the tries run out. A redirect is not followed: it counts as a failed try.

use std::time::Duration;

use tracing::{info, warn};

use super::webhook_target::WebhookClient;

pub struct WebhookPlan {
    pub tries: u32,
    pub max_backoff: Duration,
}

impl WebhookPlan {
    /// The pause before try `n` (1-based): a quarter of the longest pause, doubling up to it.
    fn pause(&self, n: u32) -> Duration {
        let first = self.max_backoff / 4;
        first
            .checked_mul(1u32 << n.saturating_sub(1).min(16))
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

pub async fn deliver(
    client: &WebhookClient,
    plan: &WebhookPlan,
    url: &str,
    job_uuid: &str,
    success: bool,
    body: String,
) -> bool {
    // Checked again: the URL may have been stored under other rules (an earlier version, another
    // node's `--webhook-allow`).
    if let Err(why) = client.rules.check_url(url) {
        warn!(
            job = job_uuid,
            url, why, "webhook not delivered: the receiver is refused"
        );
        return false;
    }
    let Some(client) = &client.http else {
        warn!(job = job_uuid, url, "webhook not delivered: no HTTP client");
        return false;
    };
    for attempt in 1..=plan.tries {
        let sent = client
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Job-UUID", job_uuid)
            .header("X-Job-Success", if success { "true" } else { "false" })
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(rsp) if rsp.status().is_success() => {
                info!(job = job_uuid, url, attempt, "webhook delivered");
                return true;
            }
            Ok(rsp) => {
                warn!(job = job_uuid, url, attempt, status = %rsp.status(), "webhook refused")
            }
            Err(e) => warn!(job = job_uuid, url, attempt, error = %e, "webhook failed"),
        }
        if attempt < plan.tries {
            tokio::time::sleep(plan.pause(attempt)).await;
        }
    }
    warn!(
        job = job_uuid,
        url, "webhook given up after {} tries", plan.tries
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_plan_spreads_fifteen_tries_over_about_thirty_seconds() {
        let plan = WebhookPlan {
            tries: 15,
            max_backoff: Duration::from_secs(2),
        };
        let total: Duration = (1..15).map(|n| plan.pause(n)).sum();
        assert_eq!(plan.pause(1), Duration::from_millis(500));
        assert!(
            total >= Duration::from_secs(25) && total <= Duration::from_secs(35),
            "{total:?}"
        );
    }
}
