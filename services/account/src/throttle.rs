//! Login throttling: after `login_max_failures` failed logins for one account name from one client
//! address within `login_failure_window` (counted from the first failure), that address is refused
//! for that name until the window ends. Refusals do not extend it and other addresses are not
//! affected, so no one can lock an account out for good.
//!
//! The counter lives in the database (table `login_failure`), not in each node's memory: nodes
//! behind one load balancer share it, so adding nodes does not multiply the guesses allowed, and a
//! restart does not reset it. On one node, attempts for the same name and address run one at a
//! time, so a burst of concurrent guesses cannot all pass the check before any failure is counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use zstack_kernel::error::ApiError;
use zstack_kernel::identity::CLIENT_ADDRESS;
use zstack_kernel::time::now;
use zstack_kernel::{ApiResult, MsgContext, NodeContext};

use crate::entity::login_failure::{self, Column};

/// Whom failures are counted against: an account name and a client address.
pub struct Attempt {
    account_name: String,
    client: String,
    max_failures: u32,
    window: Duration,
    _turn: Turn,
}

/// Waits for this node's turn at logging `account_name` in from the client of `ctx`, and refuses
/// when that address has failed too often for that name.
pub async fn begin(node: &NodeContext, account_name: &str, ctx: &MsgContext) -> ApiResult<Attempt> {
    let client = client_of(ctx);
    let window = Duration::from_std(node.config.login_failure_window)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let attempt = Attempt {
        account_name: account_name.to_string(),
        client: client.clone(),
        max_failures: node.config.login_max_failures,
        window,
        _turn: Turn::wait(format!("{client}\n{account_name}")).await,
    };
    if attempt.max_failures == 0 {
        return Ok(attempt);
    }
    let row = login_failure::Entity::find_by_id((attempt.account_name.clone(), client.clone()))
        .one(&node.db)
        .await?;
    if let Some(row) = row {
        let until = row.window_start + window;
        let at = now();
        if until > at && u32::try_from(row.failures).unwrap_or(u32::MAX) >= attempt.max_failures {
            let seconds = ((until - at).num_milliseconds() + 999) / 1000;
            return Err(ApiError::TooManyFailedLogins(format!(
                "too many failed logins for account[{account_name}] from [{client}]; retry after {} (in {seconds} s)",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ))
            .into());
        }
    }
    Ok(attempt)
}

impl Attempt {
    /// Counts a failure: the first one of a window (none yet, or the last one ended) starts it.
    pub async fn failed(self, node: &NodeContext) -> ApiResult<()> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let at = now();
        let ended = Expr::col((login_failure::Entity, Column::WindowStart)).lte(at - self.window);
        let row = login_failure::ActiveModel {
            account_name: Set(self.account_name),
            client: Set(self.client),
            window_start: Set(at),
            failures: Set(1),
        };
        // One statement, so nodes counting at the same time lose no failure.
        login_failure::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([Column::AccountName, Column::Client])
                    .value(
                        Column::Failures,
                        Expr::case(ended.clone(), 1)
                            .finally(Expr::col((login_failure::Entity, Column::Failures)).add(1)),
                    )
                    .value(
                        Column::WindowStart,
                        Expr::case(ended, at)
                            .finally(Expr::col((login_failure::Entity, Column::WindowStart))),
                    )
                    .to_owned(),
            )
            .exec(&node.db)
            .await?;
        Ok(())
    }

    /// A successful login clears the failures of its name and address.
    pub async fn succeeded(self, node: &NodeContext) -> ApiResult<()> {
        if self.max_failures == 0 {
            return Ok(());
        }
        login_failure::Entity::delete_by_id((self.account_name, self.client))
            .exec(&node.db)
            .await?;
        Ok(())
    }
}

/// Deletes counters whose window has ended.
pub async fn remove_ended(node: &NodeContext) -> ApiResult<u64> {
    let window = Duration::from_std(node.config.login_failure_window)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let gone = login_failure::Entity::delete_many()
        .filter(Column::WindowStart.lte(now() - window))
        .exec(&node.db)
        .await?;
    Ok(gone.rows_affected)
}

/// The address failures are counted against. An IPv6 client is counted by its /64, the block one
/// host is usually given, so it cannot dodge the count by changing addresses inside it.
fn client_of(ctx: &MsgContext) -> String {
    let Some(address) = ctx.headers.get(CLIENT_ADDRESS) else {
        return "unknown".into();
    };
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        Ok(v4) => v4.to_string(),
        Err(_) => address.clone(),
    }
}

/// This node's turn at one name and address: attempts for the same pair run one after another.
struct Turn {
    key: String,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

type Turns = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

static TURNS: LazyLock<Turns> = LazyLock::new(Turns::default);

fn turns() -> std::sync::MutexGuard<'static, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
    TURNS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Turn {
    async fn wait(key: String) -> Turn {
        let lock = turns().entry(key.clone()).or_default().clone();
        Turn {
            key,
            _guard: lock.lock_owned().await,
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = turns();
        // Only the map and this guard hold it: nobody is waiting, the entry can go.
        if turns
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) <= 2)
        {
            turns.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(address: &str) -> MsgContext {
        MsgContext {
            id: String::new(),
            headers: [(CLIENT_ADDRESS.to_string(), address.to_string())].into(),
            session: None,
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64_block() {
        assert_eq!(client_of(&ctx("127.0.0.2")), "127.0.0.2");
        assert_eq!(client_of(&ctx("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
        assert_eq!(
            client_of(&ctx("2001:db8:1:2:bbbb::7")),
            client_of(&ctx("2001:db8:1:2:aaaa::1"))
        );
    }
}
