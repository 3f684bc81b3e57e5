//! The zstack-rs management node: the one place where the kernel and the services are composed.

pub mod config;
pub mod license;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use sea_orm_migration::MigratorTrait;
use zstack_kernel::bus::{AmqpSettings, AmqpTransport};
use zstack_kernel::jobs::{self, JobTracker};
use zstack_kernel::{ErrorCode, NodeContext, db, gateway};

pub use config::Settings;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("a service failed to start: {0}")]
    Service(#[from] ErrorCode),
    #[error("configuration: {0}")]
    Config(String),
    #[error("message broker: {0}")]
    Broker(ErrorCode),
}

/// A node serving HTTP. Dropping it does not stop it; call [`RunningNode::stop`].
pub struct RunningNode {
    pub node: NodeContext,
    pub port: u16,
    jobs: Arc<JobTracker>,
    shutdown_grace: Duration,
    server: ServerHandle,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Starts a node: database and schema, services, then the REST gateway. Needs an actix system.
pub async fn start(settings: &Settings) -> Result<RunningNode, StartError> {
    let addr = format!("{}:{}", settings.bind, settings.port);
    let listener = TcpListener::bind(&addr).map_err(|source| StartError::Listen {
        addr: addr.clone(),
        source,
    })?;
    let port = listener
        .local_addr()
        .map_err(|source| StartError::Listen { addr, source })?
        .port();

    if settings.services.is_some() && settings.amqp_url.is_none() {
        return Err(StartError::Config(
            "--services needs --amqp-url: a node running only some services needs other nodes to run the rest".into(),
        ));
    }
    let db = db::connect(
        &settings.db_url,
        settings.db_statement_timeout(),
        settings.sqlite_synchronous == "FULL",
    )
    .await?;
    migrate(&db).await?;
    let node = NodeContext::new(settings.node_config(port), db);

    // Every node declares every service (so its gateway and bus know every message); it runs
    // those placed on it.
    for family in zstack_families::FAMILIES {
        (family.start)(node.clone()).await?;
    }
    zstack_kernel::pipeline::start(&node)?;
    check_placement(&node)?;
    node.freeze();
    // Resources from before the node-wide resource table keep their uuids to themselves.
    let entered =
        zstack_kernel::resource::registry::enter_existing(&node.db, &node.resources.all()).await?;
    if entered > 0 {
        tracing::info!(entered, "existing resources entered in the resource table");
    }
    for (name, ms) in &settings.delay_message {
        tracing::warn!(message = %name, ms, "fault injection: this message is delayed on this node");
        node.bus.delay_delivery(name, Duration::from_millis(*ms));
    }

    if let Some(url) = &settings.amqp_url {
        AmqpTransport::start(&node.bus, AmqpSettings::new(url.clone()))
            .await
            .map_err(StartError::Broker)?;
    }
    zstack_management_node::join(&node).await?;
    jobs::start(&node).await?;
    zstack_gc::start_collector(&node).await?;
    let jobs = Arc::new(JobTracker::default());
    let server = gateway::server(node.clone(), listener, settings.http_workers, jobs.clone())
        .map_err(|source| StartError::Listen {
            addr: format!("{}:{port}", settings.bind),
            source,
        })?;
    let handle = server.handle();
    let serving = actix_web::rt::spawn(server);
    tracing::info!(port, node = %node.config.node_uuid, "management node started");
    Ok(RunningNode {
        node,
        port,
        jobs,
        shutdown_grace: Duration::from_secs(settings.shutdown_grace),
        server: handle,
        serving,
    })
}

/// Applies the schema. On PostgreSQL nodes starting together take turns: the first applies the
/// migrations, the others then find them applied.
async fn migrate(db: &sea_orm::DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, TransactionTrait};
    // A migration may rewrite big tables: it is not bound by the statement timeout.
    if db.get_database_backend() != DbBackend::Postgres {
        return db::unbounded(zstack_families::Migrator::up(db, None)).await;
    }
    let txn = db.begin().await?;
    db::unbound_transaction(&txn).await?;
    txn.execute_unprepared("SELECT pg_advisory_xact_lock(7164001)")
        .await?;
    zstack_families::Migrator::up(&txn, None).await?;
    txn.commit().await
}

fn check_placement(node: &NodeContext) -> Result<(), StartError> {
    let Some(placed) = &node.config.services else {
        return Ok(());
    };
    let known = node.bus.service_ids();
    if let Some(unknown) = placed.iter().find(|s| !known.contains(s)) {
        return Err(StartError::Config(format!(
            "unknown service [{unknown}] in --services; the services are: {}",
            known.join(", ")
        )));
    }
    Ok(())
}

impl RunningNode {
    /// Stops serving (letting requests in flight finish), gives running jobs the shutdown grace to
    /// finish (failing the rest), and leaves the management-node table.
    pub async fn stop(self) {
        self.server.stop(true).await;
        let _ = self.serving.await;
        jobs::drain(&self.node, &self.jobs, self.shutdown_grace).await;
        if let Err(e) = zstack_management_node::leave(&self.node).await {
            tracing::warn!(error = %e, "could not remove this node's row");
        }
        tracing::info!(node = %self.node.config.node_uuid, "management node stopped");
    }
}
