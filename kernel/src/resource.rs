//! What every resource family does the same way: find a resource or answer SYS.1003, insert one
//! whose uuid may come from the caller, and map a state event to a state.

use std::sync::{PoisonError, RwLock};

use crate::api::ResourceRef;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PrimaryKeyTrait, SqlErr,
};

use crate::error::{ApiResult, argerr, not_found};

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

/// Inserts a new resource; a uuid already taken (a reused `resourceUuid`, racing creates
/// included) is SYS.1007: the primary key is the one check.
pub async fn insert<A, C>(
    db: &C,
    what: &str,
    uuid: &str,
    row: A,
) -> ApiResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    row.insert(db).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => argerr(format!(
            "resourceUuid[{uuid}] is already used by another {what}"
        )),
        _ => e.into(),
    })
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
    types: RwLock<Vec<ResourceRef>>,
}

impl ResourceTypes {
    pub fn add(&self, resource: ResourceRef) {
        let mut types = self.types.write().unwrap_or_else(PoisonError::into_inner);
        if !types.iter().any(|r| r.vo_name == resource.vo_name) {
            types.push(resource);
        }
    }

    pub fn table_of(&self, vo_name: &str) -> Option<&'static str> {
        self.types
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .find(|r| r.vo_name == vo_name)
            .map(|r| r.table)
    }

    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .types
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|r| r.vo_name)
            .collect();
        names.sort_unstable();
        names
    }
}
