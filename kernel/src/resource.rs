//! What every resource family does the same way: find a resource or answer SYS.1003, insert one
//! whose uuid may come from the caller, and map a state event to a state.

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

/// `enable` → `Enabled`, `disable` → `Disabled` (the state events every family shares).
pub fn enable_disable(event: &str) -> ApiResult<&'static str> {
    match event {
        "enable" => Ok("Enabled"),
        "disable" => Ok("Disabled"),
        other => Err(argerr(format!("unknown state event [{other}]"))),
    }
}
