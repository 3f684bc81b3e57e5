//! Node configuration: command-line flags, each with an environment variable beside it.

use std::time::Duration;

use clap::Args;
use zstack_kernel::NodeConfig;
use zstack_kernel::jobs::webhook_target::AllowEntry;
use zstack_kernel::query::QueryLimits;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// HTTP port of the REST API.
    #[arg(long, env = "ZSTACK_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, env = "ZSTACK_BIND", default_value = "0.0.0.0")]
    pub bind: String,
    /// Database: `sqlite://<file>?mode=rwc` (embedded) or `postgres://user@host:port/db`.
    #[arg(
        long,
        env = "ZSTACK_DB_URL",
        default_value = "sqlite://zstack.db?mode=rwc"
    )]
    pub db_url: String,
    /// The address other nodes and operators reach this node at (default: 127.0.0.1 when bound
    /// to all addresses, else the bind address).
    #[arg(long, env = "ZSTACK_HOST_NAME")]
    pub host_name: Option<String>,
    /// This node's uuid (default: derived from host name and port, so it survives restarts).
    #[arg(long, env = "ZSTACK_NODE_UUID")]
    pub node_uuid: Option<String>,
    /// Seconds a session stays valid after login.
    #[arg(long, env = "ZSTACK_SESSION_TIMEOUT", default_value_t = 7200)]
    pub session_timeout: u64,
    /// Seconds a node trusts a session it has checked without asking the database again (0:
    /// ask every time). A logout or an account deletion reaches every node at once whatever
    /// this says; it bounds only what a node cut off from the others still admits.
    #[arg(long, env = "ZSTACK_SESSION_CACHE_TTL", default_value_t = 30)]
    pub session_cache_ttl: u64,
    /// Seconds a finished API job stays pollable.
    #[arg(long, env = "ZSTACK_JOB_RETENTION", default_value_t = 2 * 24 * 3600)]
    pub job_retention: u64,
    /// Default timeout of async APIs, in seconds (`X-API-Timeout` overrides it per request).
    #[arg(long, env = "ZSTACK_API_TIMEOUT", default_value_t = 1800)]
    pub api_timeout: u64,
    /// Seconds between two heartbeats of this node.
    #[arg(long, env = "ZSTACK_HEARTBEAT_INTERVAL", default_value_t = 5)]
    pub heartbeat_interval: u64,
    /// Seconds without a heartbeat (by the database's clock) after which a node is dead.
    #[arg(long, env = "ZSTACK_NODE_DEAD_AFTER", default_value_t = 30)]
    pub node_dead_after: u64,
    /// RabbitMQ URL (`amqp://user:password@host:5672/%2f`). With it the node joins the other
    /// nodes on that broker (they share one PostgreSQL database); without it the bus stays
    /// in-process.
    #[arg(long, env = "ZSTACK_AMQP_URL")]
    pub amqp_url: Option<String>,
    /// The services this node runs, comma-separated (`zone,account,managementNode`); default: all.
    /// Messages for the others go to nodes that run them. Needs `--amqp-url`.
    #[arg(long, env = "ZSTACK_SERVICES", value_delimiter = ',')]
    pub services: Option<Vec<String>>,
    /// Fault injection for failover drills: hold every `NAME` message this node handles for `MS`
    /// milliseconds before handling it (`APIUpdateZoneMsg=5000`; comma-separated, repeatable).
    #[arg(long, env = "ZSTACK_DELAY_MESSAGE", value_delimiter = ',', value_parser = parse_delay)]
    pub delay_message: Vec<(String, u64)>,
    /// Webhook deliveries: how many tries before giving up.
    #[arg(long, env = "ZSTACK_WEBHOOK_TRIES", default_value_t = 15)]
    pub webhook_tries: u32,
    /// Webhook deliveries: the longest pause between two tries, in milliseconds.
    #[arg(long, env = "ZSTACK_WEBHOOK_MAX_BACKOFF_MS", default_value_t = 2000)]
    pub webhook_max_backoff_ms: u64,
    /// Seconds a stopping node waits for running jobs before failing them.
    #[arg(long, env = "ZSTACK_SHUTDOWN_GRACE", default_value_t = 30)]
    pub shutdown_grace: u64,
    /// HTTP worker threads.
    #[arg(long, env = "ZSTACK_HTTP_WORKERS", default_value_t = 2)]
    pub http_workers: usize,
    /// Most tags (`systemTags` and `userTags` together) one request may carry.
    #[arg(long, env = "ZSTACK_MAX_TAGS_PER_REQUEST", default_value_t = 256)]
    pub max_tags_per_request: usize,
    /// Queries: the most relations one dotted condition path may follow
    /// (`cluster.zone.name` follows 2).
    #[arg(long, env = "ZSTACK_QUERY_MAX_HOPS", default_value_t = 8,
          value_parser = clap::value_parser!(u16).range(1..=32))]
    pub query_max_hops: u16,
    /// Queries: the most `q=` conditions in one request.
    #[arg(long, env = "ZSTACK_QUERY_MAX_CONDITIONS", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub query_max_conditions: u16,
    /// Queries: the most names in `fields=`.
    #[arg(long, env = "ZSTACK_QUERY_MAX_FIELDS", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub query_max_fields: u16,
    /// Queries: the longest query string (the part of the URL after `?`), in bytes.
    #[arg(long, env = "ZSTACK_QUERY_MAX_LENGTH", default_value_t = 16384,
          value_parser = clap::value_parser!(u32).range(256..=1_048_576))]
    pub query_max_length: u32,
    /// Queries: seconds the database may work on one query before it is stopped.
    #[arg(long, env = "ZSTACK_QUERY_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub query_timeout: u64,
    /// Seconds an API's task progress stays after the API ends.
    #[arg(long, env = "ZSTACK_PROGRESS_DELETE_DELAY", default_value_t = 300)]
    pub progress_delete_delay: u64,
    /// Seconds any task progress stays at most.
    #[arg(long, env = "ZSTACK_PROGRESS_TTL", default_value_t = 86400,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_ttl: u64,
    /// Seconds between pings of simulated hosts and storage.
    #[arg(long, env = "ZSTACK_PING_INTERVAL", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ping_interval: u64,
    /// Whether finished APIs are notified (resource status changes always are).
    #[arg(long, env = "ZSTACK_API_NOTIFICATIONS", default_value_t = true, action = clap::ArgAction::Set)]
    pub api_notifications: bool,
    /// How an L3 network picks a NIC's address when none is asked for (ZStack's global config
    /// `l3.ipAllocateStrategy`): at random, or the lowest free one.
    #[arg(long, env = "ZSTACK_IP_ALLOCATOR_STRATEGY", default_value = "RandomIpAllocatorStrategy",
          value_parser = ["RandomIpAllocatorStrategy", "FirstAvailableIpAllocatorStrategy"])]
    pub ip_allocator_strategy: String,
    /// Seconds a notification is kept.
    #[arg(long, env = "ZSTACK_NOTIFICATION_RETENTION", default_value_t = 30 * 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub notification_retention: u64,
    /// Seconds a finished (Done) GC job is kept before it is purged.
    #[arg(long, env = "ZSTACK_GC_RETENTION", default_value_t = 14 * 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub gc_retention: u64,
    /// Seconds between two tries of a time-based GC job (cleanup that failed for a reason no
    /// event will announce the end of).
    #[arg(long, env = "ZSTACK_GC_INTERVAL", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub gc_interval: u64,
    /// Seconds a long job's API may run before it is stopped and the job fails.
    #[arg(long, env = "ZSTACK_LONG_JOB_TIMEOUT", default_value_t = 3 * 24 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub long_job_timeout: u64,
    /// Seconds any other database statement may run before the database stops it (0: no bound).
    #[arg(long, env = "ZSTACK_DB_STATEMENT_TIMEOUT", default_value_t = 60)]
    pub db_statement_timeout: u64,
    /// On SQLite, whether each commit waits for the disk (FULL) or only for the operating
    /// system (NORMAL: faster; what committed survives the node being killed, but not a power
    /// loss or an operating-system crash). PostgreSQL ignores it.
    #[arg(long, env = "ZSTACK_SQLITE_SYNCHRONOUS", default_value = "FULL",
          value_parser = ["FULL", "NORMAL"])]
    pub sqlite_synchronous: String,
    /// Webhook receivers: when set, the only ones allowed (comma-separated networks in CIDR
    /// notation and host names: `10.0.0.0/8,hooks.example.com`).
    #[arg(long, env = "ZSTACK_WEBHOOK_ALLOW", value_delimiter = ',', value_parser = AllowEntry::parse)]
    pub webhook_allow: Vec<AllowEntry>,
    /// The URL clients reach this node at (`https://zstack.example.com`); job locations start
    /// with it, whatever the request's headers say.
    #[arg(long, env = "ZSTACK_PUBLIC_URL", value_parser = zstack_kernel::gateway::check_public_url)]
    pub public_url: Option<String>,
    /// Build job locations from well-formed `Forwarded` / `X-Forwarded-Host` /
    /// `X-Forwarded-Proto` headers (only behind a proxy that sets them).
    #[arg(long, env = "ZSTACK_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Seconds a request body may take to arrive; a slower request gets 408 and is closed.
    #[arg(long, env = "ZSTACK_BODY_TIMEOUT", default_value_t = 30)]
    pub body_timeout: u64,
    /// Failed logins for one account from one client address, within the failure window, after
    /// which that address is refused for that account until the window ends (0: no limit).
    #[arg(long, env = "ZSTACK_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Seconds of the failed-login window, counted from the first failure.
    #[arg(long, env = "ZSTACK_LOGIN_FAILURE_WINDOW", default_value_t = 60)]
    pub login_failure_window: u64,
    /// A file holding the public key of the license issuer to trust instead of the built-in one
    /// (the `license.pub` that `zstack license keygen` writes).
    #[arg(long, env = "ZSTACK_LICENSE_PUBLIC_KEY")]
    pub license_public_key: Option<String>,
}

fn parse_delay(text: &str) -> Result<(String, u64), String> {
    let (name, ms) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=MILLISECONDS, got [{text}]"))?;
    let ms = ms
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("[{ms}] is not a number of milliseconds"))?;
    Ok((name.trim().to_string(), ms))
}

impl Default for Settings {
    fn default() -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Defaults {
            #[command(flatten)]
            settings: Settings,
        }
        // Resolved as the command line would be with no flags: environment variables apply.
        Defaults::parse_from(["zstack"]).settings
    }
}

impl Settings {
    pub fn host_name(&self) -> String {
        self.host_name.clone().unwrap_or_else(|| {
            if self.bind == "0.0.0.0" || self.bind == "::" {
                "127.0.0.1".to_string()
            } else {
                self.bind.clone()
            }
        })
    }

    /// The kernel's view of these settings, once the real port is known.
    pub fn node_config(&self, port: u16) -> NodeConfig {
        let host_name = self.host_name();
        let node_uuid = self.node_uuid.clone().unwrap_or_else(|| {
            uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("{host_name}:{port}").as_bytes(),
            )
            .simple()
            .to_string()
        });
        let mut config = NodeConfig::new(node_uuid, host_name, port);
        config.session_timeout = Duration::from_secs(self.session_timeout);
        config.job_retention = Duration::from_secs(self.job_retention);
        config.api_timeout = Duration::from_secs(self.api_timeout);
        config.heartbeat_interval = Duration::from_secs(self.heartbeat_interval.max(1));
        config.node_dead_after = Duration::from_secs(self.node_dead_after.max(1));
        config.services = self.services.as_ref().map(|list| {
            list.iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        });
        config.webhook_tries = self.webhook_tries.max(1);
        config.webhook_max_backoff = Duration::from_millis(self.webhook_max_backoff_ms);
        config.max_tags_per_request = self.max_tags_per_request;
        config.query_limits = QueryLimits {
            max_hops: self.query_max_hops.into(),
            max_conditions: self.query_max_conditions.into(),
            max_fields: self.query_max_fields.into(),
            max_length: self.query_max_length as usize,
            timeout: Duration::from_secs(self.query_timeout.max(1)),
        };
        config.webhook_allow = self.webhook_allow.clone();
        config.public_url = self.public_url.clone();
        config.trust_forwarded = self.trust_forwarded;
        config.body_timeout = Duration::from_secs(self.body_timeout.max(1));
        config.progress_delete_delay = Duration::from_secs(self.progress_delete_delay);
        config.progress_ttl = Duration::from_secs(self.progress_ttl);
        config.ping_interval = Duration::from_secs(self.ping_interval);
        config.settings.insert(
            "notification.apis".to_string(),
            self.api_notifications.to_string(),
        );
        config.settings.insert(
            zstack_account::session_cache::TTL_SETTING.to_string(),
            self.session_cache_ttl.to_string(),
        );
        config.settings.insert(
            "l3.ipAllocateStrategy".to_string(),
            self.ip_allocator_strategy.clone(),
        );
        config.settings.insert(
            "notification.retention".to_string(),
            self.notification_retention.to_string(),
        );
        config.settings.insert(
            zstack_kernel::gc::RETENTION_SETTING.to_string(),
            self.gc_retention.to_string(),
        );
        config.settings.insert(
            zstack_kernel::gc::INTERVAL_SETTING.to_string(),
            self.gc_interval.to_string(),
        );
        config.settings.insert(
            zstack_longjob::TIMEOUT_SETTING.to_string(),
            self.long_job_timeout.to_string(),
        );
        config.login_max_failures = self.login_max_failures;
        config.login_failure_window = Duration::from_secs(self.login_failure_window.max(1));
        if let Some(path) = &self.license_public_key {
            config.settings.insert(
                zstack_license::PUBLIC_KEY_FILE_SETTING.to_string(),
                path.clone(),
            );
        }
        config
    }

    /// The bound on every database statement but the queries' (`None`: no bound).
    pub fn db_statement_timeout(&self) -> Option<Duration> {
        (self.db_statement_timeout > 0).then(|| Duration::from_secs(self.db_statement_timeout))
    }
}
