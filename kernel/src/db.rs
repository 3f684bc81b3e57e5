//! Database access: one connection pool per node, SQLite (embedded) or PostgreSQL by URL.
//!
//! Every statement runs under a time bound, so that no request holds a connection for long:
//! PostgreSQL stops a statement past its `statement_timeout` (set on every pooled connection);
//! SQLite has no such setting, so a progress handler stops whatever a connection runs past a
//! deadline counted from when the connection was taken from the pool.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use sea_orm::sqlx::sqlite::{SqliteConnection, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, RuntimeErr, Statement, TransactionTrait,
};

/// SQLite virtual-machine steps between two looks at the clock: often enough to stop within a
/// millisecond, rarely enough to cost nothing measurable.
const PROGRESS_STEPS: i32 = 1000;

tokio::task_local! {
    /// The time bound of the SQLite connections a task takes from the pool, when it is not the
    /// pool's (`None`: no bound).
    static SQLITE_BOUND: Option<Duration>;
}

/// Rows a SQLite connection's thread may hand over before the reader takes them.
const SQLITE_ROW_BUFFER: usize = 4096;

/// Connects to `url` (`sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://...`); every
/// statement is stopped after `statement_timeout` (`None`: never). On SQLite, a commit waits for
/// the disk when `sqlite_durable`, else only for the operating system (synchronous NORMAL).
pub async fn connect(
    url: &str,
    statement_timeout: Option<Duration>,
    sqlite_durable: bool,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if !url.starts_with("sqlite") {
        options.max_connections(16);
        if let Some(timeout) = statement_timeout {
            options.statement_timeout(timeout);
        }
    } else {
        if !url.contains(":memory:") && !url.contains("mode=memory") {
            // WAL lets readers run beside the one writer; writers wait for each other (busy
            // timeout).
            options.max_connections(4);
        }
        // A connection gets its deadline when it is taken from the pool: idle ones here, new
        // ones right after they are opened. That round trip to the connection's thread also
        // shows it alive, so the pool's own ping is left out.
        options.test_before_acquire(false);
        let synchronous = if sqlite_durable {
            SqliteSynchronous::Full
        } else {
            SqliteSynchronous::Normal
        };
        // SQLite runs on its own thread per connection and hands each row over a channel: with
        // room for a whole page the thread never waits for the reader, which would cost a
        // thread switch every few dozen rows.
        options.map_sqlx_sqlite_opts(move |opts| {
            opts.row_buffer_size(SQLITE_ROW_BUFFER)
                .synchronous(synchronous)
        });
        options.map_sqlx_sqlite_before_acquire(move |conn, _| {
            let bound = sqlite_bound(statement_timeout);
            Box::pin(async move { set_sqlite_deadline(conn, bound).await.map(|()| true) })
        });
        options.map_sqlx_sqlite_pool_opts(move |pool| {
            pool.after_connect(move |conn, _| -> BoxFuture<'_, _> {
                let bound = sqlite_bound(statement_timeout);
                Box::pin(async move {
                    wait_briefly_when_busy(conn).await?;
                    set_sqlite_deadline(conn, bound).await
                })
            })
        });
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL is a property of the file, so setting it once covers every pooled connection.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    Ok(db)
}

/// The bound for a SQLite connection taken now by the current task.
fn sqlite_bound(pool_default: Option<Duration>) -> Option<Duration> {
    SQLITE_BOUND.try_with(|b| *b).unwrap_or(pool_default)
}

/// How long a statement waits for another connection's write lock before it fails (SQLITE_BUSY).
const SQLITE_BUSY_WAIT: Duration = Duration::from_secs(30);
/// How often it looks again meanwhile.
const SQLITE_BUSY_POLL: Duration = Duration::from_micros(200);

/// SQLite's own busy wait sleeps ever longer (up to 100 ms a time) while another connection
/// writes, and the lock is usually free again within a millisecond: under concurrent writes
/// connections then mostly sleep. This one looks again every [`SQLITE_BUSY_POLL`].
extern "C" fn busy_poll(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
    let waited = SQLITE_BUSY_POLL.saturating_mul(u32::try_from(tries).unwrap_or(u32::MAX));
    if waited >= SQLITE_BUSY_WAIT {
        return 0;
    }
    std::thread::sleep(SQLITE_BUSY_POLL);
    1
}

async fn wait_briefly_when_busy(conn: &mut SqliteConnection) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle().as_ptr();
    // SAFETY: `raw` is this connection's open handle, held locked; the handler is a plain
    // function that touches no state, and it replaces the busy timeout's handler.
    let rc =
        unsafe { libsqlite3_sys::sqlite3_busy_handler(raw, Some(busy_poll), std::ptr::null_mut()) };
    if rc != libsqlite3_sys::SQLITE_OK {
        return Err(sea_orm::sqlx::Error::Protocol(format!(
            "could not set the SQLite busy handler (code {rc})"
        )));
    }
    Ok(())
}

async fn set_sqlite_deadline(
    conn: &mut SqliteConnection,
    bound: Option<Duration>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut handle = conn.lock_handle().await?;
    match bound {
        Some(bound) => {
            let deadline = Instant::now() + bound;
            // Returning false interrupts the statement (SQLITE_INTERRUPT).
            handle.set_progress_handler(PROGRESS_STEPS, move || Instant::now() < deadline);
        }
        None => handle.remove_progress_handler(),
    }
    Ok(())
}

/// Starts a transaction whose statements the database stops after `timeout` (on SQLite: the
/// whole transaction).
pub async fn begin_bounded(
    db: &DatabaseConnection,
    timeout: Duration,
) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            // LOCAL: the pool's own bound comes back with the transaction's end.
            txn.execute_unprepared(&format!(
                "SET LOCAL statement_timeout = {}",
                timeout.as_millis().max(1)
            ))
            .await?;
            Ok(txn)
        }
        _ => SQLITE_BOUND.scope(Some(timeout), db.begin()).await,
    }
}

/// Runs `work` with every SQLite connection it takes from the pool bound by `timeout` instead of
/// the pool's bound. No effect on PostgreSQL, whose bound is a connection setting: see
/// [`begin_bounded`].
pub async fn sqlite_bounded<F: Future>(timeout: Duration, work: F) -> F::Output {
    SQLITE_BOUND.scope(Some(timeout), work).await
}

/// Runs `work` (a schema migration) with no time bound on the SQLite connections it takes. On
/// PostgreSQL the bound is a connection setting: lift it inside the transaction with
/// [`unbound_transaction`].
pub async fn unbounded<F: Future>(work: F) -> F::Output {
    SQLITE_BOUND.scope(None, work).await
}

/// Lifts the statement time bound for the rest of transaction `txn` (PostgreSQL).
pub async fn unbound_transaction(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    Ok(())
}

/// The database error's code: the SQLSTATE on PostgreSQL, the extended result code on SQLite.
pub fn error_code(e: &DbErr) -> Option<String> {
    let (DbErr::Exec(RuntimeErr::SqlxError(e))
    | DbErr::Query(RuntimeErr::SqlxError(e))
    | DbErr::Conn(RuntimeErr::SqlxError(e))) = e
    else {
        return None;
    };
    match e.as_ref() {
        sea_orm::sqlx::Error::Database(e) => e.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// The statement was stopped by its time bound (PostgreSQL `query_canceled`, SQLite
/// `SQLITE_INTERRUPT`).
pub fn is_statement_timeout(e: &DbErr) -> bool {
    matches!(error_code(e).as_deref(), Some("57014") | Some("9"))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement that never ends by itself.
    const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                           SELECT count(*) FROM c";

    #[tokio::test]
    async fn sqlite_statements_stop_at_the_pool_bound_and_at_a_shorter_one() {
        let dir = std::env::temp_dir().join(format!("zstack-db-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.display());
        let db = connect(&url, Some(Duration::from_millis(600)), true)
            .await
            .unwrap();

        let started = Instant::now();
        let e = db.execute_unprepared(ENDLESS).await.unwrap_err();
        assert!(is_statement_timeout(&e), "{e}");
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(500), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");

        let started = Instant::now();
        let txn = begin_bounded(&db, Duration::from_millis(100))
            .await
            .unwrap();
        let e = txn.execute_unprepared(ENDLESS).await.unwrap_err();
        assert!(is_statement_timeout(&e), "{e}");
        assert!(started.elapsed() < Duration::from_millis(500));
        txn.rollback().await.unwrap();

        // The connection is fine afterwards, and short statements are untouched.
        let n = db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "SELECT 1 AS n"))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i32>("", "n")
            .unwrap();
        assert_eq!(n, 1);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// On PostgreSQL when `TEST_DATABASE_URL` names one.
    #[tokio::test]
    async fn postgres_statements_stop_at_the_pool_bound_and_at_a_shorter_one() {
        let Some(url) = std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
        else {
            return;
        };
        let db = connect(&url, Some(Duration::from_millis(600)), true)
            .await
            .unwrap();
        let sleep = "SELECT pg_sleep(5)";
        let started = Instant::now();
        let e = db.execute_unprepared(sleep).await.unwrap_err();
        assert!(is_statement_timeout(&e), "{e}");
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(500), "{took:?}");
        assert!(took < Duration::from_secs(3), "{took:?}");

        let started = Instant::now();
        let txn = begin_bounded(&db, Duration::from_millis(100))
            .await
            .unwrap();
        let e = txn.execute_unprepared(sleep).await.unwrap_err();
        assert!(is_statement_timeout(&e), "{e}");
        assert!(started.elapsed() < Duration::from_millis(500));
        txn.rollback().await.unwrap();

        // Outside that transaction the pool's bound holds again, and a migration lifts it.
        let txn = db.begin().await.unwrap();
        unbound_transaction(&txn).await.unwrap();
        txn.execute_unprepared("SELECT pg_sleep(0.8)")
            .await
            .unwrap();
        txn.rollback().await.unwrap();
        let e = db.execute_unprepared(sleep).await.unwrap_err();
        assert!(is_statement_timeout(&e), "{e}");
    }
}
