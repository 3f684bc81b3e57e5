//! What every resource family does the same way: find a resource or answer SYS.1003, create one
//! whose uuid may come from the caller, and map a state event to a state.

use std::sync::Arc;

use futures_util::future::BoxFuture;

pub mod registry;

use crate::api::ResourceRef;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IdenStatic, IntoActiveModel, Iterable, PrimaryKeyTrait,
    SqlErr, TransactionTrait,
};

use crate::error::{ApiError, ApiResult, argerr, not_found};
use crate::message::MsgContext;
use crate::node::NodeContext;
use crate::query::{QueryMeta, Relation};
use crate::schema::CreateTables;

/// The resource `uuid` of entity `E`, or SYS.1003 naming it as `what` (`cluster`).
pub async fn find<E, C>(db: &C, what: &str, uuid: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
    C: ConnectionTrait,
{
    E::find_by_id(uuid.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(format!("{what}[uuid:{uuid}] is not found")))
}

/// A resource being created, inside its create's transaction, as [`CreateHook`]s see it.
pub struct Created<'a> {
    pub txn: &'a DatabaseTransaction,
    /// The create's message context: its session and headers (the request's tags).
    pub ctx: &'a MsgContext,
    pub resource_type: &'static str,
    pub uuid: &'a str,
}

/// What a service writes with every new resource, in the create's own transaction, so that it
/// commits with the resource or not at all (the creator's owner record, the request's tags).
pub trait CreateHook: Send + Sync + 'static {
    fn created<'a>(&'a self, created: &'a Created<'a>) -> BoxFuture<'a, ApiResult<()>>;
}

/// The create hooks services registered at start-up.
#[derive(Default)]
pub struct CreateHooks {
    hooks: crate::frozen::Frozen<Vec<Arc<dyn CreateHook>>>,
}

impl CreateHooks {
    pub fn add(&self, hook: impl CreateHook) {
        self.hooks.write(|hooks| hooks.push(Arc::new(hook)));
    }

    pub fn freeze(&self) {
        self.hooks.freeze();
    }

    fn all(&self) -> Vec<Arc<dyn CreateHook>> {
        self.hooks.read(|hooks| hooks.clone())
    }
}

/// Creates a resource (ZStack's `ResourceVO` + the family's VO): in one transaction (a
/// savepoint when `db` is already one) its uuid is claimed in the node-wide resource table, the
/// family's row is inserted, the create hooks write what goes with it (its owner record, the
/// request's tags), and the API job it runs under is marked as having done its work. A uuid already used by any resource of any type is
/// SYS.1007 (the resource table's key decides, racing creates included); a job that ended
/// meanwhile (timed out, or its node was declared dead) makes the whole create roll back.
pub async fn create_resource<A, C>(
    node: &NodeContext,
    db: &C,
    ctx: &MsgContext,
    of: ResourceRef,
    uuid: &str,
    row: A,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    create_resource_or(node, db, ctx, of, uuid, row, |_| used(uuid)).await
}

/// As [`create_resource`], with `conflict` answering a unique constraint of the family's own
/// table (named by the database's message) that the new row breaks.
pub async fn create_resource_or<A, C>(
    node: &NodeContext,
    db: &C,
    ctx: &MsgContext,
    of: ResourceRef,
    uuid: &str,
    row: A,
    conflict: impl FnOnce(&str) -> crate::ErrorCode,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    registry::claim(&txn, of.vo_name, uuid).await?;
    let model = row.insert(&txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(what)) => conflict(&what),
        _ => e.into(),
    })?;
    let created = Created {
        txn: &txn,
        ctx,
        resource_type: of.vo_name,
        uuid,
    };
    for hook in node.create_hooks.all() {
        hook.created(&created).await?;
    }
    if let Some(job) = ctx.headers.get(crate::jobs::store::JOB_HEADER) {
        crate::jobs::store::mark_done_work(&txn, job, of.vo_name, uuid).await?;
    }
    txn.commit().await?;
    Ok(model)
}

/// Records the account behind `session` (unless admin) as the owner of `uuid`, a resource of
/// `of` made along with another outside [`create_resource`] (a VM's NICs), in the transaction
/// `db` that writes it.
pub async fn record_owner<C: ConnectionTrait>(
    node: &NodeContext,
    db: &C,
    session: Option<&crate::message::SessionInfo>,
    of: ResourceRef,
    uuid: &str,
) -> ApiResult<()> {
    let (Some(session), Some(owners)) = (session.filter(|s| !s.is_admin), node.queries.ownership())
    else {
        return Ok(());
    };
    owners
        .record(db, uuid, &session.account_uuid, of.vo_name)
        .await
}

fn used(uuid: &str) -> crate::ErrorCode {
    argerr(format!(
        "resourceUuid[{uuid}] is already used by another resource"
    ))
}

/// The uuids of the `of` resources whose `column` holds one of `parents`: a family's resources
/// whose parents are going.
pub async fn children<C: ConnectionTrait>(
    db: &C,
    of: ResourceRef,
    column: &'static str,
    parents: &[String],
) -> ApiResult<Vec<String>> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    if parents.is_empty() {
        return Ok(Vec::new());
    }
    let select = Query::select()
        .column(Alias::new("uuid"))
        .from(Alias::new(of.table))
        .and_where(Expr::col(Alias::new(column)).is_in(parents.iter().cloned()))
        .to_owned();
    let mut found = Vec::new();
    for row in db.query_all(&select).await? {
        found.push(row.try_get::<String>("", "uuid")?);
    }
    Ok(found)
}

/// Deletes the rows of `table` whose `column` holds one of `uuids`: a family's resources, or
/// the detail rows it keeps for them.
pub async fn delete_where<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    column: &'static str,
    uuids: &[String],
) -> ApiResult<()> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    if uuids.is_empty() {
        return Ok(());
    }
    let delete = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).is_in(uuids.iter().cloned()))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Deletes the rows of the `of` resources `uuids`.
pub async fn delete_rows<C: ConnectionTrait>(
    db: &C,
    of: ResourceRef,
    uuids: &[String],
) -> ApiResult<()> {
    delete_where(db, of.table, "uuid", uuids).await
}

/// Whether `table` holds a resource `uuid`.
pub async fn exists<C: ConnectionTrait>(
    db: &C,
    table: &'static str,
    uuid: &str,
) -> ApiResult<bool> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new("uuid")).eq(uuid))
        .limit(1)
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}

/// Puts resource `uuid` of entity `E` (named `what` in errors) in `state`: its `state` and
/// `last_op_date` columns, the change-state APIs of every family.
pub async fn set_state<E>(
    db: &DatabaseConnection,
    what: &str,
    uuid: &str,
    state: &str,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<String>,
{
    let column = |name: &str| {
        E::Column::iter()
            .find(|c| c.as_str() == name)
            .ok_or_else(|| ApiError::Internal(format!("{what} has no column [{name}]")))
    };
    let mut active = find::<E, _>(db, what, uuid).await?.into_active_model();
    active.set(column("state")?, state.into());
    active.set(column("last_op_date")?, crate::time::now().into());
    Ok(active.update(db).await?)
}

/// `enable` → `Enabled`, `disable` → `Disabled` (the state events every family shares).
pub fn enable_disable(event: &str) -> ApiResult<&'static str> {
    match event {
        "enable" => Ok("Enabled"),
        "disable" => Ok("Disabled"),
        other => Err(argerr(format!("unknown state event [{other}]"))),
    }
}

/// Every resource type the services declared: VO name → table.
#[derive(Default)]
pub struct ResourceTypes {
    types: crate::frozen::Frozen<Vec<ResourceRef>>,
}

impl ResourceTypes {
    pub fn add(&self, resource: ResourceRef) {
        self.types.write(|types| {
            if !types.iter().any(|r| r.vo_name == resource.vo_name) {
                types.push(resource);
            }
        });
    }

    pub fn get(&self, vo_name: &str) -> Option<ResourceRef> {
        self.types
            .read(|types| types.iter().find(|r| r.vo_name == vo_name).copied())
    }

    pub fn freeze(&self) {
        self.types.freeze();
    }

    pub fn all(&self) -> Vec<ResourceRef> {
        self.types.read(|types| types.clone())
    }

    pub fn table_of(&self, vo_name: &str) -> Option<&'static str> {
        self.types
            .read(|types| types.iter().find(|r| r.vo_name == vo_name).map(|r| r.table))
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .types
            .read(|types| types.iter().map(|r| r.vo_name).collect());
        names.sort_unstable();
        names
    }
}

/// A join table linking resources of one type to resources of another (a primary storage
/// attached to clusters): each row holds the two uuids and a `create_date`. Attach, detach and
/// cleanup behave the same for every family that links.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub table: &'static str,
    /// The linking resource: its column, and its name in messages (`primary storage`).
    pub from: (&'static str, &'static str),
    /// The linked resource: its column and name (`cluster`).
    pub to: (&'static str, &'static str),
}

impl Link {
    /// Links `from` to `to`. Linking twice is SYS.1007; the table's key decides, racing
    /// requests included.
    pub async fn attach<C: ConnectionTrait>(&self, db: &C, from: &str, to: &str) -> ApiResult<()> {
        use sea_orm::sea_query::{Alias, Query};
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(self.table))
            .columns([
                Alias::new(self.from.0),
                Alias::new(self.to.0),
                Alias::new("create_date"),
            ])
            .values([from.into(), to.into(), crate::time::now().into()])
            .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
        match db.execute(&insert).await {
            Ok(_) => Ok(()),
            Err(e) => match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => Err(argerr(format!(
                    "{}[uuid:{from}] is already attached to {}[uuid:{to}]",
                    self.from.1, self.to.1
                ))),
                _ => Err(e.into()),
            },
        }
    }

    /// Unlinks `from` from `to`; unlinking what is not linked is SYS.1007.
    pub async fn detach<C: ConnectionTrait>(&self, db: &C, from: &str, to: &str) -> ApiResult<()> {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
        let delete = Query::delete()
            .from_table(Alias::new(self.table))
            .and_where(Expr::col(Alias::new(self.from.0)).eq(from))
            .and_where(Expr::col(Alias::new(self.to.0)).eq(to))
            .to_owned();
        if db.execute(&delete).await?.rows_affected() == 0 {
            return Err(argerr(format!(
                "{}[uuid:{from}] is not attached to {}[uuid:{to}]",
                self.from.1, self.to.1
            )));
        }
        Ok(())
    }

    /// Removes every link of the linking resources `uuids` (they are going).
    pub async fn forget_from<C: ConnectionTrait>(&self, db: &C, uuids: &[String]) -> ApiResult<()> {
        self.forget(db, self.from.0, uuids).await
    }

    /// Removes every link to the linked resources `uuids` (they are going).
    pub async fn forget_to<C: ConnectionTrait>(&self, db: &C, uuids: &[String]) -> ApiResult<()> {
        self.forget(db, self.to.0, uuids).await
    }

    async fn forget<C: ConnectionTrait>(
        &self,
        db: &C,
        column: &'static str,
        uuids: &[String],
    ) -> ApiResult<()> {
        delete_where(db, self.table, column, uuids).await
    }

    /// The link in the linking resource's queries: list field `list` (the linked uuids, oldest
    /// link first) and relation `target` to the linked resources.
    pub fn query(&self, meta: QueryMeta, list: &'static str, target: &'static str) -> QueryMeta {
        let (table, from, to) = (self.table, self.from.0, self.to.0);
        meta.values(list, table, from, to, "create_date")
            .relation_via(target, target, "uuid", (table, from, to), "uuid")
    }

    /// The way back, for the linked resource's queries: relation `name` to the linking resources.
    pub fn back(&self, name: &'static str) -> Relation {
        Relation::new(name, name, "uuid", "uuid").via(self.table, self.to.0, self.from.0)
    }

    /// The resources `from` is linked to, oldest link first.
    pub async fn linked<C: ConnectionTrait>(&self, db: &C, from: &str) -> ApiResult<Vec<String>> {
        self.ends(db, self.from.0, from, self.to.0).await
    }

    /// The resources linked to `to`, oldest link first.
    pub async fn linking<C: ConnectionTrait>(&self, db: &C, to: &str) -> ApiResult<Vec<String>> {
        self.ends(db, self.to.0, to, self.from.0).await
    }

    async fn ends<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &'static str,
        value: &str,
        end: &'static str,
    ) -> ApiResult<Vec<String>> {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
        let select = Query::select()
            .column(Alias::new(end))
            .from(Alias::new(self.table))
            .and_where(Expr::col(Alias::new(key)).eq(value))
            .order_by(Alias::new("create_date"), Order::Asc)
            .to_owned();
        let mut out = Vec::new();
        for row in db.query_all(&select).await? {
            out.push(row.try_get::<String>("", end)?);
        }
        Ok(out)
    }

    /// Creates the join table with `tables`: the two uuids, together its key (racing attaches of
    /// one pair meet there), the link's `create_date`, and an index on the linked column.
    pub fn migration(&self, tables: CreateTables) -> CreateTables {
        use sea_orm_migration::prelude::{Index, Table};
        use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
        let (table, from, to) = (self.table, self.from.0, self.to.0);
        tables
            .table(
                Table::create()
                    .table(table)
                    .col(string_len(from, 32))
                    .col(string_len(to, 32))
                    .col(timestamp_with_time_zone("create_date"))
                    .primary_key(Index::create().col(from).col(to)),
            )
            .index(
                Index::create()
                    .name(format!("idx_{table}_{to}"))
                    .table(table)
                    .col(to),
            )
    }
}
