//! Simulated hosts and storage misbehaving on demand (ZStack's simulator plugin, for tests and
//! demos): each may be unreachable, slow, or download at a given bandwidth. The state lives in
//! the database, so every node sees it; the families of simulated resources consult it on every
//! operation ([`operate`]) and ping their resources with it ([`spawn_pinger`]). Simulated
//! storage also keeps the files written to it ([`put_file`], [`delete_file`]): the bits a real
//! one would hold. A simulated resource can be told to fail its next operation of a kind
//! (`fail_operation`, [`take_failure`]); what a simulated host runs is the simulator service's.
//! A simulated machine outlives its record: deleting a host leaves the machine and its state, as
//! deleting a real host leaves the server.

use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use sea_orm_migration::prelude::Index;
use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, boolean, string_len, string_len_null, timestamp_with_time_zone,
};
use serde::{Deserialize, Serialize};

use crate::api::ResourceRef;
use crate::error::{ApiError, ApiResult, operr};
use crate::events::ResourceStatusChanged;
use crate::node::NodeContext;
use crate::schema::{AddColumns, CreateTables};

const TABLE: &str = "simulator_state";
/// The files on simulated storage.
pub const FILE_TABLE: &str = "simulator_file";
/// How a simulated resource behaves; a resource never set behaves well.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatorState {
    /// False: its pings and every operation on it fail.
    pub connected: bool,
    /// Every operation on it takes this long.
    pub operation_delay_ms: i64,
    /// Bytes per second of its downloads (backup storage); none: as fast as the simulator goes.
    pub bandwidth: Option<i64>,
    /// The next operation of this name fails, once.
    pub fail_operation: Option<String>,
}

impl Default for SimulatorState {
    fn default() -> Self {
        SimulatorState {
            connected: true,
            operation_delay_ms: 0,
            bandwidth: None,
            fail_operation: None,
        }
    }
}

/// A change to a resource's simulator state: the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateChange {
    pub connected: Option<bool>,
    pub operation_delay_ms: Option<i64>,
    pub bandwidth: Option<i64>,
    /// An operation name; empty clears it.
    pub fail_operation: Option<String>,
}

pub fn migration() -> CreateTables {
    CreateTables::new("m0030_simulator_state").table(
        Table::create()
            .table(TABLE)
            .col(string_len("uuid", 32).primary_key())
            .col(boolean("connected"))
            .col(big_integer("operation_delay_ms"))
            .col(big_integer_null("bandwidth"))
            .col(timestamp_with_time_zone("last_op_date")),
    )
}

/// The state remembers the type of the resource it simulates, for when the resource's record is
/// gone and the machine is still there.
pub fn type_migration() -> AddColumns {
    AddColumns::new("m0031_simulator_state_type")
        .column(TABLE, string_len_null("resource_type", 64))
}

/// The files written to simulated storage.
pub fn files_migration() -> CreateTables {
    CreateTables::new("m0032_simulator_file")
        .table(
            Table::create()
                .table(FILE_TABLE)
                .col(string_len("storage_uuid", 32))
                .col(string_len("path", 2048))
                .col(big_integer("size"))
                .col(timestamp_with_time_zone("create_date")),
        )
        .index(
            Index::create()
                .name("idx_simulator_file_storage_uuid")
                .table(FILE_TABLE)
                .col("storage_uuid"),
        )
}

/// The operation a simulator is to fail next.
pub fn fail_operation_migration() -> AddColumns {
    AddColumns::new("m0041_simulator_state_fail_operation")
        .column(TABLE, string_len_null("fail_operation", 64))
}

/// The resource type (VO name) the simulator of `uuid` last acted as, if it was ever changed.
pub async fn remembered_type<C: ConnectionTrait>(db: &C, uuid: &str) -> ApiResult<Option<String>> {
    let select = Query::select()
        .column(Alias::new("resource_type"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("uuid")).eq(uuid))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => row.try_get("", "resource_type")?,
        None => None,
    })
}

/// The state of simulated resource `uuid`.
pub async fn state<C: ConnectionTrait>(db: &C, uuid: &str) -> ApiResult<SimulatorState> {
    let select = Query::select()
        .columns([
            Alias::new("connected"),
            Alias::new("operation_delay_ms"),
            Alias::new("bandwidth"),
            Alias::new("fail_operation"),
        ])
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("uuid")).eq(uuid))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => SimulatorState {
            connected: row.try_get("", "connected")?,
            operation_delay_ms: row.try_get("", "operation_delay_ms")?,
            bandwidth: row.try_get("", "bandwidth")?,
            fail_operation: row.try_get("", "fail_operation")?,
        },
        None => SimulatorState::default(),
    })
}

/// Applies `change` to the state of `uuid`, a resource of type `resource_type` (a VO name), and
/// answers the new state.
pub async fn change<C: ConnectionTrait>(
    db: &C,
    uuid: &str,
    resource_type: &str,
    change: &StateChange,
) -> ApiResult<SimulatorState> {
    let mut now = state(db, uuid).await?;
    if let Some(connected) = change.connected {
        now.connected = connected;
    }
    if let Some(delay) = change.operation_delay_ms {
        now.operation_delay_ms = delay;
    }
    if let Some(bandwidth) = change.bandwidth {
        // Zero lifts the limit.
        now.bandwidth = (bandwidth > 0).then_some(bandwidth);
    }
    if let Some(operation) = &change.fail_operation {
        now.fail_operation = (!operation.is_empty()).then(|| operation.clone());
    }
    let mut upsert = Query::insert();
    upsert
        .into_table(Alias::new(TABLE))
        .columns([
            Alias::new("uuid"),
            Alias::new("connected"),
            Alias::new("operation_delay_ms"),
            Alias::new("bandwidth"),
            Alias::new("fail_operation"),
            Alias::new("resource_type"),
            Alias::new("last_op_date"),
        ])
        .values([
            uuid.into(),
            now.connected.into(),
            now.operation_delay_ms.into(),
            now.bandwidth.into(),
            now.fail_operation.clone().into(),
            resource_type.into(),
            crate::time::now().into(),
        ])
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(Alias::new("uuid"))
                .update_columns([
                    Alias::new("connected"),
                    Alias::new("operation_delay_ms"),
                    Alias::new("bandwidth"),
                    Alias::new("fail_operation"),
                    Alias::new("resource_type"),
                    Alias::new("last_op_date"),
                ])
                .to_owned(),
        );
    db.execute(&upsert).await?;
    Ok(now)
}

/// One operation on simulated resource `uuid` of type `of`: it takes the resource's operation
/// delay, and fails when the resource is unreachable.
pub async fn operate<C: ConnectionTrait>(
    db: &C,
    of: ResourceRef,
    uuid: &str,
) -> ApiResult<SimulatorState> {
    let state = state(db, uuid).await?;
    if state.operation_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.operation_delay_ms as u64)).await;
    }
    if !state.connected {
        return Err(unreachable(of, uuid));
    }
    Ok(state)
}

pub fn unreachable(of: ResourceRef, uuid: &str) -> crate::ErrorCode {
    operr(format!(
        "{}[uuid:{uuid}] is unreachable: its simulator is disconnected",
        of.vo_name
    ))
}

/// Takes the order simulated resource `host` was given to fail `operation`, if it has that
/// one: answers whether it did (a conditional update, so the order fails one operation only).
pub async fn take_failure<C: ConnectionTrait>(
    db: &C,
    host: &str,
    operation: &str,
) -> ApiResult<bool> {
    let update = Query::update()
        .table(Alias::new(TABLE))
        .value(Alias::new("fail_operation"), Option::<String>::None)
        .and_where(Expr::col(Alias::new("uuid")).eq(host))
        .and_where(Expr::col(Alias::new("fail_operation")).eq(operation))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

/// A reconnect of simulated resource `uuid`: fails when it is unreachable, and it is then
/// Disconnected.
pub async fn reconnecting(node: &NodeContext, of: ResourceRef, uuid: &str) -> ApiResult<()> {
    let Err(e) = operate(&node.db, of, uuid).await else {
        return Ok(());
    };
    for from in ["Connected", "Connecting"] {
        if set_status(&node.db, of, uuid, from, "Disconnected").await? {
            node.bus.publish(ResourceStatusChanged {
                resource_uuid: uuid.to_string(),
                resource_type: of.vo_name.into(),
                old_status: from.into(),
                new_status: "Disconnected".into(),
            });
        }
    }
    Err(e)
}

/// Pings every `of` resource this node owns (as the ring places them for `service`) every
/// `--ping-interval`: an unreachable one turns Disconnected, a reachable Disconnected one comes
/// back Connected; each change is published as [`ResourceStatusChanged`].
pub fn spawn_pinger(node: &NodeContext, of: ResourceRef, service: &'static str) {
    let node = node.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(node.config.ping_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = ping(&node, of, service).await {
                tracing::warn!(resource = of.vo_name, error = %e, "ping round failed");
            }
        }
    });
}

async fn ping(node: &NodeContext, of: ResourceRef, service: &str) -> ApiResult<()> {
    let (t, s) = (Alias::new(of.table), Alias::new(TABLE));
    let select = Query::select()
        .column((t.clone(), Alias::new("uuid")))
        .column((t.clone(), Alias::new("status")))
        .column((s.clone(), Alias::new("connected")))
        .from(t.clone())
        .left_join(
            s.clone(),
            Expr::col((t.clone(), Alias::new("uuid"))).equals((s.clone(), Alias::new("uuid"))),
        )
        .to_owned();
    let me = node.config.node_uuid.as_str();
    for row in node.db.query_all(&select).await? {
        let uuid: String = row.try_get_by_index(0)?;
        let status: String = row.try_get_by_index(1)?;
        let connected: Option<bool> = row.try_get_by_index(2)?;
        if node.bus.ring().owner(&uuid, service).as_deref() != Some(me) {
            continue;
        }
        let reachable = connected.unwrap_or(true);
        let new_status = match (reachable, status.as_str()) {
            (false, s) if s != "Disconnected" => "Disconnected",
            (true, "Disconnected") => "Connected",
            _ => continue,
        };
        if set_status(&node.db, of, &uuid, &status, new_status).await? {
            tracing::info!(resource = of.vo_name, %uuid, from = %status, to = new_status, "status changed");
            node.bus.publish(ResourceStatusChanged {
                resource_uuid: uuid,
                resource_type: of.vo_name.into(),
                old_status: status,
                new_status: new_status.into(),
            });
        }
    }
    Ok(())
}

/// Moves `uuid` from status `from` to `to`, unless it has moved meanwhile; tells whether it did.
pub async fn set_status(
    db: &DatabaseConnection,
    of: ResourceRef,
    uuid: &str,
    from: &str,
    to: &str,
) -> ApiResult<bool> {
    let update = Query::update()
        .table(Alias::new(of.table))
        .value(Alias::new("status"), to)
        .value(Alias::new("last_op_date"), crate::time::now())
        .and_where(Expr::col(Alias::new("uuid")).eq(uuid))
        .and_where(Expr::col(Alias::new("status")).eq(from))
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

/// A file on simulated storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedFile {
    pub path: String,
    /// Bytes.
    pub size: i64,
}

/// Writes file `path` of `size` bytes to simulated storage `storage` (again: the same path is
/// written over).
pub async fn put_file<C: ConnectionTrait>(
    db: &C,
    storage: &str,
    path: &str,
    size: i64,
) -> ApiResult<()> {
    delete_file(db, storage, path).await?;
    let mut insert = Query::insert();
    insert
        .into_table(Alias::new(FILE_TABLE))
        .columns([
            Alias::new("storage_uuid"),
            Alias::new("path"),
            Alias::new("size"),
            Alias::new("create_date"),
        ])
        .values([
            storage.into(),
            path.into(),
            size.into(),
            crate::time::now().into(),
        ])
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    db.execute(&insert).await?;
    Ok(())
}

/// Removes file `path` from simulated storage `storage`; answers its size, `None` when it was
/// not there (so a second delete frees nothing twice).
pub async fn delete_file<C: ConnectionTrait>(
    db: &C,
    storage: &str,
    path: &str,
) -> ApiResult<Option<i64>> {
    let select = Query::select()
        .column(Alias::new("size"))
        .from(Alias::new(FILE_TABLE))
        .and_where(Expr::col(Alias::new("storage_uuid")).eq(storage))
        .and_where(Expr::col(Alias::new("path")).eq(path))
        .to_owned();
    let mut size = None;
    for row in db.query_all(&select).await? {
        let bytes: i64 = row.try_get("", "size")?;
        size = Some(size.unwrap_or(0) + bytes);
    }
    if size.is_some() {
        let delete = Query::delete()
            .from_table(Alias::new(FILE_TABLE))
            .and_where(Expr::col(Alias::new("storage_uuid")).eq(storage))
            .and_where(Expr::col(Alias::new("path")).eq(path))
            .to_owned();
        db.execute(&delete).await?;
    }
    Ok(size)
}

/// The files on simulated storage `storage`, by path.
pub async fn files<C: ConnectionTrait>(db: &C, storage: &str) -> ApiResult<Vec<SimulatedFile>> {
    let select = Query::select()
        .columns([Alias::new("path"), Alias::new("size")])
        .from(Alias::new(FILE_TABLE))
        .and_where(Expr::col(Alias::new("storage_uuid")).eq(storage))
        .order_by(Alias::new("path"), sea_orm::Order::Asc)
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        out.push(SimulatedFile {
            path: row.try_get("", "path")?,
            size: row.try_get("", "size")?,
        });
    }
    Ok(out)
}
