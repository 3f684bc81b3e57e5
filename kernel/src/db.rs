//! Database access: one connection pool per node, SQLite (embedded) or PostgreSQL by URL.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};

/// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://...`).
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if !url.starts_with("sqlite") {
        options.max_connections(16);
    } else if !url.contains(":memory:") && !url.contains("mode=memory") {
        // WAL lets readers run beside the one writer; writers wait for each other (busy timeout).
        options.max_connections(4);
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL is a property of the file, so setting it once covers every pooled connection.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    Ok(db)
}

/// The database's clock. Nodes judge each other's heartbeats by it, so their own clocks may
/// differ. An SQLite file belongs to one machine, whose clock is the database's.
pub async fn now(db: &DatabaseConnection) -> Result<DateTime<Utc>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(crate::time::now());
    }
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT CURRENT_TIMESTAMP AS now",
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("the database did not tell its time".into()))?;
    row.try_get::<DateTime<Utc>>("", "now")
}
