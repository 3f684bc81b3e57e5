//! Counters of what the gateway does, in Prometheus' text format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Upper bounds (seconds) of the API duration histogram.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

#[derive(Default)]
struct Histogram {
    // Cumulative counts per bucket, as Prometheus wants them.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The `# HELP` and `# TYPE` lines that open a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

#[derive(Default)]
pub struct Metrics {
    responses: Mutex<BTreeMap<u16, u64>>,
    results: Mutex<BTreeMap<(&'static str, bool), Histogram>>,
    webhooks_delivered: AtomicU64,
    webhooks_given_up: AtomicU64,
}

impl Metrics {
    pub fn response(&self, status: u16) {
        *self
            .responses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(status)
            .or_default() += 1;
    }

    /// An API finished (sync answer or job result) after `took`.
    pub fn result(&self, api: &'static str, success: bool, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        let h = results.entry((api, success)).or_default();
        for (bound, count) in BUCKETS.iter().zip(h.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    pub fn webhook(&self, delivered: bool) {
        let counter = if delivered {
            &self.webhooks_delivered
        } else {
            &self.webhooks_given_up
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, jobs_running: usize, bus: &crate::bus::Bus) -> String {
        let mut out = String::new();
        family(
            &mut out,
            "zstack_bus_messages_handled_total",
            "counter",
            "Messages this node's services were handed, by name.",
        );
        for (name, n) in bus.handled_counts() {
            let _ = writeln!(
                out,
                "zstack_bus_messages_handled_total{{message=\"{name}\"}} {n}"
            );
        }
        let cluster = bus.ring();
        family(
            &mut out,
            "zstack_cluster_members",
            "gauge",
            "Live management nodes as this node sees them (itself included while it claims ownership).",
        );
        let _ = writeln!(out, "zstack_cluster_members {}", cluster.members().len());
        family(
            &mut out,
            "zstack_cluster_owning",
            "gauge",
            "Whether this node takes part in resource ownership (0 after it lost its database).",
        );
        let _ = writeln!(
            out,
            "zstack_cluster_owning {}",
            u8::from(cluster.is_member(&cluster.me().uuid))
        );
        family(
            &mut out,
            "zstack_http_responses_total",
            "counter",
            "HTTP responses by status.",
        );
        for (status, n) in self
            .responses
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let _ = writeln!(
                out,
                "zstack_http_responses_total{{status=\"{status}\"}} {n}"
            );
        }
        family(
            &mut out,
            "zstack_api_duration_seconds",
            "histogram",
            "Time from request to an API's result.",
        );
        for ((api, success), h) in self
            .results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            let labels = format!("api=\"{api}\",success=\"{success}\"");
            for (bound, count) in BUCKETS.iter().zip(h.buckets.iter()) {
                let _ = writeln!(
                    out,
                    "zstack_api_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "zstack_api_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "zstack_api_duration_seconds_sum{{{labels}}} {}", h.sum);
            let _ = writeln!(
                out,
                "zstack_api_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        family(
            &mut out,
            "zstack_jobs_running",
            "gauge",
            "Async API jobs running on this node.",
        );
        let _ = writeln!(out, "zstack_jobs_running {jobs_running}");
        family(
            &mut out,
            "zstack_webhooks_total",
            "counter",
            "Webhook deliveries by outcome.",
        );
        let _ = writeln!(
            out,
            "zstack_webhooks_total{{outcome=\"delivered\"}} {}",
            self.webhooks_delivered.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "zstack_webhooks_total{{outcome=\"given_up\"}} {}",
            self.webhooks_given_up.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_counted_per_api_and_outcome() {
        let m = Metrics::default();
        m.result("APICreateZoneMsg", true, Duration::from_millis(3));
        m.result("APICreateZoneMsg", true, Duration::from_millis(300));
        m.result("APICreateZoneMsg", false, Duration::from_millis(3));
        m.response(202);
        m.webhook(true);
        let text = m.render(1, &crate::bus::Bus::new(Duration::from_secs(1)));
        assert!(text.contains(r#"zstack_api_duration_seconds_bucket{api="APICreateZoneMsg",success="true",le="0.005"} 1"#), "{text}");
        assert!(text.contains(r#"zstack_api_duration_seconds_bucket{api="APICreateZoneMsg",success="true",le="0.5"} 2"#), "{text}");
        assert!(
            text.contains(
                r#"zstack_api_duration_seconds_count{api="APICreateZoneMsg",success="false"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"zstack_http_responses_total{status="202"} 1"#));
        assert!(text.contains("zstack_jobs_running 1"));
        assert!(text.contains(r#"zstack_webhooks_total{outcome="delivered"} 1"#));
        assert!(text.contains("zstack_cluster_members 1\n"), "{text}");
        assert!(text.contains("zstack_cluster_owning 1\n"), "{text}");
    }
}
