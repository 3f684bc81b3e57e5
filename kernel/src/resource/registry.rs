//! The node-wide resource table (ZStack's `ResourceVO`): one row per resource of any family, so
//! a uuid names exactly one resource and its type. Creates claim their uuid here; deletes give
//! it back once the family's row is gone.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm_migration::prelude::Table;
use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};

use crate::api::ResourceRef;
use crate::error::{ApiError, ApiResult, argerr};
use crate::schema::CreateTables;

const TABLE: &str = "resource";

/// Any resource of any family (ZStack's `ResourceVO`): a parameter declared with it names
/// resources of whatever type, which must exist.
pub const ANY_RESOURCE: ResourceRef = ResourceRef {
    table: TABLE,
    vo_name: "ResourceVO",
};

/// An insert of whole rows into the resource table.
fn into_table() -> InsertStatement {
    Query::insert()
        .into_table(Alias::new(TABLE))
        .columns([
            Alias::new("uuid"),
            Alias::new("resource_type"),
            Alias::new("create_date"),
        ])
        .to_owned()
}

/// The type of resource `uuid`, if some resource has it.
pub async fn type_of<C: ConnectionTrait>(db: &C, uuid: &str) -> ApiResult<Option<String>> {
    let select = Query::select()
        .column(Alias::new("resource_type"))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("uuid")).eq(uuid))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => Some(row.try_get::<String>("", "resource_type")?),
        None => None,
    })
}

/// Claims `uuid` for a new resource of type `vo`; SYS.1007 when any resource has it already.
pub async fn claim<C: ConnectionTrait>(db: &C, vo: &str, uuid: &str) -> ApiResult<()> {
    // The insert comes first and cannot fail on a taken uuid: on SQLite a transaction that
    // read before it writes may find the database locked, and on PostgreSQL a failed statement
    // would spoil the transaction. The key still decides between racing creates.
    let mut insert = into_table();
    insert
        .values([uuid.into(), vo.into(), crate::time::now().into()])
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(Alias::new("uuid"))
                .do_nothing()
                .to_owned(),
        );
    if db.execute(&insert).await?.rows_affected() == 1 {
        return Ok(());
    }
    let holder = type_of(db, uuid)
        .await?
        .unwrap_or_else(|| "another resource".into());
    Err(argerr(format!(
        "resourceUuid[{uuid}] is already used by a resource of type {holder}"
    )))
}

/// Gives back the uuids of resources of `of` whose rows are gone (a soft-deleted row keeps
/// its uuid until it is expunged).
pub async fn release<C: ConnectionTrait>(
    db: &C,
    of: ResourceRef,
    uuids: &[String],
) -> ApiResult<()> {
    if uuids.is_empty() {
        return Ok(());
    }
    let still_there = Query::select()
        .column(Alias::new("uuid"))
        .from(Alias::new(of.table))
        .and_where(Expr::col(Alias::new("uuid")).is_in(uuids.iter().cloned()))
        .to_owned();
    let delete = Query::delete()
        .from_table(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("uuid")).is_in(uuids.iter().cloned()))
        .and_where(Expr::col(Alias::new("resource_type")).eq(of.vo_name))
        .and_where(Expr::col(Alias::new("uuid")).not_in_subquery(still_there))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Enters the resources already in the families' tables (a database from before this table, or
/// rows written outside the create path) so their uuids cannot be claimed again. Where two
/// families hold one uuid from before, the first type entered keeps it.
pub async fn enter_existing<C: ConnectionTrait>(db: &C, types: &[ResourceRef]) -> ApiResult<u64> {
    let mut entered = 0;
    for of in types {
        let select = Query::select()
            .column(Alias::new("uuid"))
            .expr(Expr::val(of.vo_name))
            .expr(Expr::val(crate::time::now()))
            .from(Alias::new(of.table))
            // Also what SQLite needs to read the ON CONFLICT below as the insert's.
            .and_where(
                Expr::col((Alias::new(of.table), Alias::new("uuid"))).not_in_subquery(
                    Query::select()
                        .column(Alias::new("uuid"))
                        .from(Alias::new(TABLE))
                        .to_owned(),
                ),
            )
            .to_owned();
        let mut insert = into_table();
        insert
            .select_from(select)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .on_conflict(
                OnConflict::column(Alias::new("uuid"))
                    .do_nothing()
                    .to_owned(),
            );
        entered += db.execute(&insert).await?.rows_affected();
    }
    Ok(entered)
}

/// Creates the `resource` table.
pub fn migration() -> CreateTables {
    CreateTables::new("m0100_kernel_resource").table(
        Table::create()
            .table(TABLE)
            .col(string_len("uuid", 32).primary_key())
            .col(string_len("resource_type", 255))
            .col(timestamp_with_time_zone("create_date")),
    )
}
