//! Compiles a [`QueryRequest`] into sea-query statements and runs them. Values are always bound
//! as parameters; dotted paths become nested `IN (SELECT ...)` subqueries, one per hop.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{
    Asterisk, Cond, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr,
    Value as SqlValue,
};
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult};
use serde_json::{Map, Value};

use super::parse::{check_conditions, check_hops};
use super::{
    Condition, FieldKind, QueryLimits, QueryMeta, QueryOp, QueryRegistry, QueryReply, QueryRequest,
    Relation,
};
use crate::error::{ApiError, ErrorCode};
use crate::time::{format_date, parse_date};

fn arg(details: String) -> ErrorCode {
    ApiError::InvalidArgument(details).into()
}

fn unknown_field(meta: &QueryMeta, name: &str, at: &str) -> ErrorCode {
    arg(format!(
        "the query condition field[{at}{name}] is invalid: {} ({}) has no field or relation named [{name}]; valid fields are {:?}, valid relations are {:?}",
        meta.inventory_class,
        meta.resource,
        meta.field_names(),
        meta.relation_names()
    ))
}

fn own_field<'m>(
    meta: &'m QueryMeta,
    name: &str,
    what: &str,
) -> Result<&'m super::Field, ErrorCode> {
    meta.find_field(name).ok_or_else(|| {
        arg(format!(
            "{what}[{name}] is not a field of {}; valid fields are {:?}",
            meta.inventory_class,
            meta.field_names()
        ))
    })
}

fn sql_value(kind: FieldKind, field: &str, text: &str) -> Result<SqlValue, ErrorCode> {
    let bad = |expected: &str| {
        arg(format!(
            "the value [{text}] of query field[{field}] is not {expected}"
        ))
    };
    Ok(match kind {
        FieldKind::Str | FieldKind::Json => text.to_string().into(),
        FieldKind::Int => text.parse::<i64>().map_err(|_| bad("an integer"))?.into(),
        FieldKind::Float => text.parse::<f64>().map_err(|_| bad("a number"))?.into(),
        FieldKind::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => true.into(),
            "false" => false.into(),
            _ => return Err(bad("true or false")),
        },
        FieldKind::Date => parse_date(text).ok_or_else(|| bad("a date"))?.into(),
    })
}

/// One relation a dotted path follows: from `from` to `target` by `relation`.
struct Hop {
    from: Arc<QueryMeta>,
    relation: Relation,
    target: Arc<QueryMeta>,
}

/// The SQL expression of one condition on `meta`, following relations for dotted paths. The
/// path is walked in a loop and the subqueries are nested from the innermost out, so compiling
/// needs no stack per hop. The nested statement still does (building its SQL text and dropping
/// it recurse, as the database's parser does), which is why paths are bounded before this.
fn condition_expr(
    registry: &QueryRegistry,
    meta: &Arc<QueryMeta>,
    cond: &Condition,
) -> Result<SimpleExpr, ErrorCode> {
    let path: Vec<&str> = cond.path.split('.').collect();
    let Some((last, relations)) = path.split_last() else {
        return Err(arg(format!("empty query field in [{}]", cond.path)));
    };
    let mut hops: Vec<Hop> = Vec::with_capacity(relations.len());
    let mut walked = String::new();
    let mut here = meta.clone();
    // A list field of objects ends the walk: `backupStorageRefs.backupStorageUuid`.
    let mut in_list: Option<super::ListField> = None;
    for (i, name) in relations.iter().enumerate() {
        if i + 1 == relations.len()
            && !here.relations.iter().any(|r| r.name == *name)
            && let Some(list) = here.lists.iter().find(|l| l.name == *name && !l.scalar)
        {
            in_list = Some(list.clone());
            walked.push_str(name);
            walked.push('.');
            break;
        }
        let relation = here
            .relations
            .iter()
            .find(|r| r.name == *name)
            .ok_or_else(|| unknown_field(&here, name, &walked))?
            .clone();
        let target = registry.get(relation.target).ok_or_else(|| {
            ErrorCode::from(ApiError::Internal(format!(
                "relation [{}] of {} points at unknown resource [{}]",
                relation.name, here.resource, relation.target
            )))
        })?;
        walked.push_str(name);
        walked.push('.');
        hops.push(Hop {
            from: here,
            relation,
            target: target.clone(),
        });
        here = target;
    }
    // A list field of plain values: `attachedClusterUuids=...`.
    if in_list.is_none()
        && here.find_field(last).is_none()
        && let Some(list) = here.lists.iter().find(|l| l.name == *last && l.scalar)
    {
        in_list = Some(list.clone());
    }
    let mut expr = match &in_list {
        None => leaf_expr(registry, &here, last, &walked, cond)?,
        Some(list) => {
            let rows = list_meta(list);
            let inner = leaf_expr(registry, &rows, last, &walked, cond)?;
            let pk = own_field(&here, here.primary_key, "primary key")?;
            let sub = Query::select()
                .column((list.table, list.key))
                .from(list.table)
                .and_where(inner)
                .to_owned();
            Expr::col((here.table, pk.column.clone())).in_subquery(sub)
        }
    };
    for hop in hops.iter().rev() {
        expr = hop_expr(hop, expr)?;
    }
    Ok(expr)
}

/// The rows of a list field as a resource of their own, for conditions on them: an object
/// list's fields, or a value list's one value under the list's name.
fn list_meta(list: &super::ListField) -> QueryMeta {
    let mut meta = QueryMeta::new(list.name, list.table, list.class.unwrap_or(list.name));
    meta.fields = if list.scalar {
        list.fields
            .iter()
            .take(1)
            .map(|f| super::Field {
                name: list.name,
                column: f.column.clone(),
                kind: f.kind,
            })
            .collect()
    } else {
        list.fields.clone()
    };
    meta
}

/// `from.local IN (SELECT target.remote FROM target WHERE inner)`, through the join table if the
/// relation has one.
fn hop_expr(hop: &Hop, inner: SimpleExpr) -> Result<SimpleExpr, ErrorCode> {
    let (meta, relation, target) = (&hop.from, &hop.relation, &hop.target);
    let local = own_field(meta, relation.local, "relation key")?;
    let remote = own_field(target, relation.remote, "relation key")?;
    let sub = Query::select()
        .column((target.table, remote.column.clone()))
        .from(target.table)
        .and_where(inner)
        .to_owned();
    let sub = match &relation.via {
        None => sub,
        Some(via) => Query::select()
            .column((via.table, via.from))
            .from(via.table)
            .and_where(Expr::col((via.table, via.to)).in_subquery(sub))
            .to_owned(),
    };
    Ok(Expr::col((meta.table, local.column.clone())).in_subquery(sub))
}

/// The condition on the path's last part, a field (or a tag pseudo-field) of `meta`.
fn leaf_expr(
    registry: &QueryRegistry,
    meta: &QueryMeta,
    name: &str,
    walked: &str,
    cond: &Condition,
) -> Result<SimpleExpr, ErrorCode> {
    if let Some(source) = registry.tag_source(name) {
        return tag_condition(meta, source, cond);
    }
    let field = meta
        .find_field(name)
        .ok_or_else(|| unknown_field(meta, name, walked))?;
    let col = Expr::col((meta.table, field.column.clone()));
    let value = |text: &str| sql_value(field.kind, &cond.path, text);
    let text = cond.value.as_deref().unwrap_or_default();
    let list = || -> Result<Vec<SqlValue>, ErrorCode> { text.split(',').map(value).collect() };
    let like = || -> Result<String, ErrorCode> {
        if field.kind != FieldKind::Str {
            return Err(arg(format!(
                "the operators ~= and !~= apply to text fields only, and [{}] is not one",
                cond.path
            )));
        }
        Ok(text.to_string())
    };
    Ok(match cond.op {
        QueryOp::Eq => col.eq(value(text)?),
        QueryOp::Ne => col.ne(value(text)?),
        QueryOp::Gt => col.gt(value(text)?),
        QueryOp::Lt => col.lt(value(text)?),
        QueryOp::Ge => col.gte(value(text)?),
        QueryOp::Le => col.lte(value(text)?),
        QueryOp::In => col.is_in(list()?),
        QueryOp::NotIn => col.is_not_in(list()?),
        QueryOp::Like => col.like(like()?),
        QueryOp::NotLike => col.not_like(like()?),
        QueryOp::IsNull => col.is_null(),
        QueryOp::NotNull => col.is_not_null(),
    })
}

/// A condition on a resource's tags, with every operator: `=` has the tag, `!=` has not,
/// `?=`/`!?=` has one of / none of, `~=`/`!~=` has one like / none like, `is null` has no tag.
fn tag_condition(
    meta: &QueryMeta,
    source: super::LinkTable,
    cond: &Condition,
) -> Result<SimpleExpr, ErrorCode> {
    let pk = own_field(meta, meta.primary_key, "primary key")?;
    let tag = Expr::col((source.table, source.value_column));
    let text = cond.value.clone().unwrap_or_default();
    let list = || text.split(',').map(String::from).collect::<Vec<_>>();
    let (filter, has): (Option<SimpleExpr>, bool) = match cond.op {
        QueryOp::Eq => (Some(tag.eq(text.clone())), true),
        QueryOp::Ne => (Some(tag.eq(text.clone())), false),
        QueryOp::In => (Some(tag.is_in(list())), true),
        QueryOp::NotIn => (Some(tag.is_in(list())), false),
        QueryOp::Like => (Some(tag.like(text.clone())), true),
        QueryOp::NotLike => (Some(tag.like(text.clone())), false),
        QueryOp::Gt => (Some(tag.gt(text.clone())), true),
        QueryOp::Lt => (Some(tag.lt(text.clone())), true),
        QueryOp::Ge => (Some(tag.gte(text.clone())), true),
        QueryOp::Le => (Some(tag.lte(text.clone())), true),
        QueryOp::NotNull => (None, true),
        QueryOp::IsNull => (None, false),
    };
    let mut tagged = Query::select()
        .column((source.table, source.resource_column))
        .from(source.table)
        .to_owned();
    if let Some(filter) = filter {
        tagged.and_where(filter);
    }
    let col = Expr::col((meta.table, pk.column.clone()));
    Ok(if has {
        col.in_subquery(tagged)
    } else {
        col.not_in_subquery(tagged)
    })
}

/// The WHERE clause of a request: its conditions ANDed, plus `groupBy` as "one row per group".
/// The bounds are checked again here: a request may come from another node over the bus.
fn where_clause(
    registry: &QueryRegistry,
    meta: &Arc<QueryMeta>,
    req: &QueryRequest,
    limits: &QueryLimits,
) -> Result<Cond, ErrorCode> {
    // The by-uuid form adds one condition to what the client sent.
    check_conditions(req.conditions.len().saturating_sub(1), limits).map_err(arg)?;
    for cond in &req.conditions {
        check_hops(cond, limits).map_err(arg)?;
    }
    for (name, n) in [("limit", req.limit), ("start", req.start)] {
        if i64::try_from(n).is_err() {
            return Err(arg(format!(
                "'{name}' must be at most {}, but was [{n}]",
                i64::MAX
            )));
        }
    }
    let mut all = Cond::all();
    for (name, value) in &meta.scope {
        let field = own_field(meta, name, "scope field")?;
        all = all.add(Expr::col((meta.table, field.column.clone())).eq(*value));
    }
    for cond in &req.conditions {
        all = all.add(condition_expr(registry, meta, cond)?);
    }
    if let Some(account) = &req.owner
        && let Some(visible) = visible_to(registry, meta, account)?
    {
        all = all.add(visible);
    }
    if let Some(group_by) = &req.group_by {
        // Portable MySQL-style GROUP BY: the row with the smallest key stands for its group.
        let group = own_field(meta, group_by, "groupBy field")?;
        let pk = own_field(meta, meta.primary_key, "primary key")?;
        let representatives = Query::select()
            .expr(Func::min(Expr::col((meta.table, pk.column.clone()))))
            .from(meta.table)
            .cond_where(all.clone())
            .group_by_col((meta.table, group.column.clone()))
            .to_owned();
        all = all.add(Expr::col((meta.table, pk.column.clone())).in_subquery(representatives));
    }
    Ok(all)
}

/// The rows account `account` (not admin) may see: those it owns or that are shared with it, or
/// for rows that are not resources, those whose account columns name it. `None` when no service
/// keeps ownership.
fn visible_to(
    registry: &QueryRegistry,
    meta: &QueryMeta,
    account: &str,
) -> Result<Option<Cond>, ErrorCode> {
    if !meta.account_columns.is_empty() {
        let mut concerned = Cond::any();
        for column in &meta.account_columns {
            concerned = concerned.add(Expr::col((meta.table, *column)).eq(account));
        }
        return Ok(Some(concerned));
    }
    let Some(owned) = registry.ownership() else {
        return Ok(None);
    };
    let mut visible = Cond::any();
    let pk = own_field(meta, meta.primary_key, "primary key")?;
    let vo = registry.resource_type_of(meta.table);
    let mut mine = Query::select()
        .column((owned.table, owned.resource_column))
        .from(owned.table)
        .and_where(Expr::col((owned.table, owned.account_column)).eq(account))
        .to_owned();
    if let Some(vo) = vo {
        mine.and_where(Expr::col((owned.table, owned.type_column)).eq(vo));
    }
    visible = visible.add(Expr::col((meta.table, pk.column.clone())).in_subquery(mine));
    if let Some(shares) = registry.sharing() {
        let mut shared = Query::select()
            .column((shares.table, shares.resource_column))
            .from(shares.table)
            .cond_where(
                Cond::any()
                    .add(Expr::col((shares.table, shares.receiver_column)).eq(account))
                    .add(Expr::col((shares.table, shares.public_column)).eq(true)),
            )
            .to_owned();
        if let Some(vo) = vo {
            shared.and_where(Expr::col((shares.table, shares.type_column)).eq(vo));
        }
        visible = visible.add(Expr::col((meta.table, pk.column.clone())).in_subquery(shared));
    }
    Ok(Some(visible))
}

/// The inventory of one result row, whose columns from `first` on are `fields`, in order (by
/// position: no column name is looked up per row).
fn decode_row(
    fields: &[&super::Field],
    first: usize,
    row: &QueryResult,
) -> Result<Map<String, Value>, ErrorCode> {
    let mut out = Map::new();
    for (i, field) in fields.iter().enumerate() {
        let col = first + i;
        let value = match field.kind {
            FieldKind::Str => row
                .try_get_by_index::<Option<String>>(col)?
                .map(Value::from),
            FieldKind::Int => row.try_get_by_index::<Option<i64>>(col)?.map(Value::from),
            FieldKind::Float => row.try_get_by_index::<Option<f64>>(col)?.map(Value::from),
            FieldKind::Bool => row.try_get_by_index::<Option<bool>>(col)?.map(Value::from),
            FieldKind::Date => row
                .try_get_by_index::<Option<DateTime<Utc>>>(col)?
                .map(|d| Value::from(format_date(d))),
            FieldKind::Json => row
                .try_get_by_index::<Option<String>>(col)?
                .map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text))),
        };
        // ZStack omits null fields.
        if let Some(value) = value {
            out.insert(field.name.to_string(), value);
        }
    }
    Ok(out)
}

/// The values of list field `list` for the rows with primary keys `keys`, by key: one query.
async fn list_values(
    db: &impl ConnectionTrait,
    list: &super::ListField,
    keys: &[String],
) -> Result<std::collections::HashMap<String, Vec<Value>>, Failure> {
    let mut out: std::collections::HashMap<String, Vec<Value>> = std::collections::HashMap::new();
    if keys.is_empty() {
        return Ok(out);
    }
    let mut select = Query::select();
    select.column((list.table, list.key));
    for field in &list.fields {
        select.column((list.table, field.column.clone()));
    }
    select
        .from(list.table)
        .and_where(Expr::col((list.table, list.key)).is_in(keys.iter().cloned()))
        .order_by((list.table, list.order_by), Order::Asc);
    let fields: Vec<&super::Field> = list.fields.iter().collect();
    for row in db.query_all(&select).await? {
        let key = row.try_get_by_index::<String>(0)?;
        let mut object = decode_row(&fields, 1, &row)?;
        let value = if list.scalar {
            fields
                .first()
                .and_then(|f| object.remove(f.name))
                .unwrap_or(Value::Null)
        } else {
            Value::Object(object)
        };
        out.entry(key).or_default().push(value);
    }
    Ok(out)
}

/// Runs a query request against `meta`'s table, within `limits`: the database stops its
/// statements when they run longer than `limits.timeout` (on PostgreSQL they share a transaction
/// carrying that bound).
pub async fn execute(
    db: &DatabaseConnection,
    registry: &QueryRegistry,
    meta: &Arc<QueryMeta>,
    req: &QueryRequest,
    limits: &QueryLimits,
) -> Result<QueryReply, ErrorCode> {
    let filter = where_clause(registry, meta, req, limits)?;
    let stopped = |e: DbErr| -> ErrorCode {
        if crate::db::is_statement_timeout(&e) {
            tracing::warn!(api = meta.inventory_class, error = %e, "a query was stopped by the query timeout");
            ApiError::Timeout(format!(
                "the query ran longer than the query timeout of {} s and was stopped; narrow it with fewer or more selective conditions",
                limits.timeout.as_secs_f64()
            ))
            .into()
        } else {
            e.into()
        }
    };
    if db.get_database_backend() != DbBackend::Postgres {
        // SQLite bounds each connection as it is taken, no transaction needed.
        let done = crate::db::sqlite_bounded(limits.timeout, run(db, meta, req, filter)).await;
        return done.map_err(|failure| match failure {
            Failure::Db(e) => stopped(e),
            Failure::Api(e) => e,
        });
    }
    let txn = crate::db::begin_bounded(db, limits.timeout)
        .await
        .map_err(stopped)?;
    match run(&txn, meta, req, filter).await {
        Ok(reply) => {
            txn.commit().await.map_err(stopped)?;
            Ok(reply)
        }
        Err(failure) => {
            // Its own error is the one to report; the rollback only releases the connection.
            if let Err(e) = txn.rollback().await {
                tracing::debug!(error = %e, "rolling back a failed query");
            }
            Err(match failure {
                Failure::Db(e) => stopped(e),
                Failure::Api(e) => e,
            })
        }
    }
}

/// Why [`run`] failed: the database (perhaps stopped by the timeout), or the request.
enum Failure {
    Db(DbErr),
    Api(ErrorCode),
}

impl From<DbErr> for Failure {
    fn from(e: DbErr) -> Self {
        Failure::Db(e)
    }
}

impl From<ErrorCode> for Failure {
    fn from(e: ErrorCode) -> Self {
        Failure::Api(e)
    }
}

async fn run(
    db: &impl ConnectionTrait,
    meta: &QueryMeta,
    req: &QueryRequest,
    filter: Cond,
) -> Result<QueryReply, Failure> {
    let is_list = |name: &str| meta.lists.iter().any(|l| l.name == name);
    let (selected, lists): (Vec<&super::Field>, Vec<&super::ListField>) = if req.fields.is_empty() {
        (meta.fields.iter().collect(), meta.lists.iter().collect())
    } else {
        let own = req
            .fields
            .iter()
            .filter(|name| !is_list(name))
            .map(|name| own_field(meta, name, "fields: the field"))
            .collect::<Result<_, _>>()?;
        let lists = meta
            .lists
            .iter()
            .filter(|l| req.fields.iter().any(|f| f == l.name))
            .collect();
        (own, lists)
    };
    let sort = match &req.sort_by {
        Some(name) => Some(own_field(meta, name, "sortBy: the field")?),
        None => None,
    };

    let total = if req.count || req.reply_with_count {
        let count = Query::select()
            .expr_as(Expr::col(Asterisk).count(), "total")
            .from(meta.table)
            .cond_where(filter.clone())
            .to_owned();
        let row = db.query_one(&count).await?;
        let n = match row {
            Some(row) => row.try_get::<i64>("", "total")?,
            None => 0,
        };
        Some(u64::try_from(n).unwrap_or_default())
    } else {
        None
    };
    if req.count {
        return Ok(QueryReply {
            inventories: None,
            total,
            inventory_class: meta.inventory_class,
        });
    }

    let pk = own_field(meta, meta.primary_key, "primary key")?;
    // List fields are looked up by the primary key, selected or not.
    let pk_extra = !lists.is_empty() && !selected.iter().any(|f| f.name == pk.name);
    let mut select: SelectStatement = Query::select();
    for field in &selected {
        select.column((meta.table, field.column.clone()));
    }
    if pk_extra {
        select.column((meta.table, pk.column.clone()));
    }
    select.from(meta.table).cond_where(filter);
    if let Some(field) = sort {
        let order = if req.sort_desc {
            Order::Desc
        } else {
            Order::Asc
        };
        select.order_by((meta.table, field.column.clone()), order);
    }
    // A stable order makes start/limit paging repeatable.
    if let Some(pk) = meta.find_field(meta.primary_key) {
        select.order_by((meta.table, pk.column.clone()), Order::Asc);
    }
    let backend = db.get_database_backend();
    let rows = if backend == DbBackend::Sqlite {
        // A bound LIMIT makes SQLite prepare the statement anew at every run (its planner reads
        // the bound value); written out, the statement is prepared once per page size. Both
        // are integers checked above.
        let mut statement = backend.build(&select);
        statement.sql = format!("{} LIMIT {} OFFSET {}", statement.sql, req.limit, req.start);
        db.query_all_raw(statement).await?
    } else {
        select.limit(req.limit).offset(req.start);
        db.query_all(&select).await?
    };
    let mut inventories = rows
        .iter()
        .map(|row| decode_row(&selected, 0, row))
        .collect::<Result<Vec<_>, _>>()?;
    if !lists.is_empty() {
        let at = match selected.iter().position(|f| f.name == pk.name) {
            Some(i) => i,
            None => selected.len(),
        };
        let keys: Vec<String> = rows
            .iter()
            .map(|row| row.try_get_by_index::<String>(at))
            .collect::<Result<_, _>>()?;
        for list in lists {
            let mut by_key = list_values(db, list, &keys).await?;
            for (inventory, key) in inventories.iter_mut().zip(&keys) {
                let values = by_key.remove(key).unwrap_or_default();
                inventory.insert(list.name.to_string(), Value::Array(values));
            }
        }
    }
    Ok(QueryReply {
        inventories: Some(inventories),
        total,
        inventory_class: meta.inventory_class,
    })
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::SqliteQueryBuilder;
    use sea_orm::{ConnectionTrait, Database};

    use super::*;
    use crate::query::parse_condition;

    fn registry() -> QueryRegistry {
        let registry = QueryRegistry::default();
        registry.add(
            QueryMeta::new("zone", "zone", "ZoneInventory")
                .field("uuid", FieldKind::Str)
                .field("name", FieldKind::Str)
                .relation("cluster", "cluster", "uuid", "zoneUuid"),
        );
        registry.add(
            QueryMeta::new("cluster", "cluster", "ClusterInventory")
                .field("uuid", FieldKind::Str)
                .field("name", FieldKind::Str)
                .field("zoneUuid", FieldKind::Str)
                .relation("zone", "zone", "zoneUuid", "uuid")
                .relation("host", "host", "uuid", "clusterUuid"),
        );
        registry.add(
            QueryMeta::new("host", "host", "HostInventory")
                .field("uuid", FieldKind::Str)
                .field("managementIp", FieldKind::Str)
                .field("cpuNum", FieldKind::Int)
                .field("clusterUuid", FieldKind::Str)
                .relation("cluster", "cluster", "clusterUuid", "uuid"),
        );
        registry.add(
            QueryMeta::new("storage", "storage", "StorageInventory")
                .field("uuid", FieldKind::Str)
                .relation_via(
                    "cluster",
                    "cluster",
                    "uuid",
                    ("storage_cluster_ref", "storage_uuid", "cluster_uuid"),
                    "uuid",
                ),
        );
        registry
    }

    #[test]
    fn many_to_many_relations_go_through_their_join_table() {
        let registry = registry();
        let storage = registry.get("storage").unwrap();
        let filter = where_clause(
            &registry,
            &storage,
            &request(&["cluster.name=c1"]),
            &limits(),
        )
        .unwrap();
        let (sql, _) = Query::select()
            .column((storage.table, "uuid"))
            .from(storage.table)
            .cond_where(filter)
            .build(SqliteQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "storage"."uuid" FROM "storage" WHERE "storage"."uuid" IN (SELECT "storage_cluster_ref"."storage_uuid" FROM "storage_cluster_ref" WHERE "storage_cluster_ref"."cluster_uuid" IN (SELECT "cluster"."uuid" FROM "cluster" WHERE "cluster"."name" = ?))"#
        );
    }

    fn limits() -> QueryLimits {
        QueryLimits::default()
    }

    fn request(conditions: &[&str]) -> QueryRequest {
        QueryRequest {
            conditions: conditions
                .iter()
                .map(|c| parse_condition(c).unwrap())
                .collect(),
            ..QueryRequest::default()
        }
    }

    #[test]
    fn dotted_paths_compile_to_nested_subqueries_with_bound_values() {
        let registry = registry();
        let zone = registry.get("zone").unwrap();
        let filter = where_clause(
            &registry,
            &zone,
            &request(&["cluster.host.managementIp=10.0.0.5' --"]),
            &limits(),
        )
        .unwrap();
        let (sql, values) = Query::select()
            .column((zone.table, "uuid"))
            .from(zone.table)
            .cond_where(filter)
            .build(SqliteQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT "zone"."uuid" FROM "zone" WHERE "zone"."uuid" IN (SELECT "cluster"."zone_uuid" FROM "cluster" WHERE "cluster"."uuid" IN (SELECT "host"."cluster_uuid" FROM "host" WHERE "host"."management_ip" = ?))"#
        );
        assert_eq!(
            values.0.len(),
            1,
            "the value is a parameter, never SQL text"
        );
    }

    #[test]
    fn an_unknown_hop_names_where_it_went_wrong_and_the_valid_choices() {
        let registry = registry();
        let zone = registry.get("zone").unwrap();
        let err = where_clause(
            &registry,
            &zone,
            &request(&["cluster.rack.name=r1"]),
            &limits(),
        )
        .unwrap_err();
        let details = err.details.unwrap();
        assert!(details.contains("cluster.rack"), "{details}");
        assert!(
            details.contains("zoneUuid") && details.contains("host"),
            "{details}"
        );
    }

    #[test]
    fn a_request_from_elsewhere_is_held_to_the_same_bounds() {
        let registry = registry();
        let zone = registry.get("zone").unwrap();
        let path = |hops: usize| {
            let mut parts: Vec<&str> = (0..hops)
                .map(|i| if i % 2 == 0 { "cluster" } else { "zone" })
                .collect();
            parts.push("name");
            format!("{}=x", parts.join("."))
        };
        assert!(where_clause(&registry, &zone, &request(&[&path(8)]), &limits()).is_ok());
        let err = where_clause(&registry, &zone, &request(&[&path(9)]), &limits()).unwrap_err();
        assert_eq!(err.code, "SYS.1007");
        assert!(err.details.unwrap().contains("at most 8"));
    }

    #[tokio::test]
    async fn relations_answer_in_both_directions_on_a_real_database() {
        let db = Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(
            "CREATE TABLE zone (uuid TEXT PRIMARY KEY, name TEXT);
             CREATE TABLE cluster (uuid TEXT PRIMARY KEY, name TEXT, zone_uuid TEXT);
             CREATE TABLE host (uuid TEXT PRIMARY KEY, management_ip TEXT, cpu_num INTEGER, cluster_uuid TEXT);
             INSERT INTO zone VALUES ('z1', 'zone-1'), ('z2', 'zone-2');
             INSERT INTO cluster VALUES ('c1', 'cluster-1', 'z1'), ('c2', 'cluster-2', 'z2');
             INSERT INTO host VALUES ('h1', '10.0.0.5', 4, 'c1'), ('h2', '10.0.0.6', 8, 'c2'), ('h3', '10.0.0.7', 16, 'c2');",
        )
        .await
        .unwrap();
        let registry = registry();
        let uuids = |reply: QueryReply| -> Vec<String> {
            reply
                .inventories
                .unwrap()
                .iter()
                .map(|i| i["uuid"].as_str().unwrap().to_string())
                .collect()
        };
        let zone = registry.get("zone").unwrap();
        let host = registry.get("host").unwrap();

        let r = execute(
            &db,
            &registry,
            &zone,
            &request(&["cluster.host.managementIp=10.0.0.6"]),
            &limits(),
        )
        .await
        .unwrap();
        assert_eq!(uuids(r), ["z2"]);
        let r = execute(
            &db,
            &registry,
            &host,
            &request(&["cluster.zone.name=zone-2", "cpuNum>8"]),
            &limits(),
        )
        .await
        .unwrap();
        assert_eq!(uuids(r), ["h3"]);
        let r = execute(
            &db,
            &registry,
            &zone,
            &request(&["cluster.host.cpuNum?=4,16"]),
            &limits(),
        )
        .await
        .unwrap();
        assert_eq!(uuids(r), ["z1", "z2"]);
        let err = execute(&db, &registry, &host, &request(&["cpuNum>many"]), &limits())
            .await
            .unwrap_err();
        assert_eq!(err.code, "SYS.1007");
    }
}
