//! Families declared once. A resource family writes its table one time, with
//! [`resource_table!`](crate::resource_table): from that declaration come its sea-orm entity,
//! its migration, its query metadata (fields, and relations both ways), its cascade parents and
//! the [`ResourceTable`] the generic handlers in [`handlers`] work on. Messages that every family
//! shares (update name and description, change state, delete) come from
//! [`standard_apis!`](crate::standard_apis). A family overrides only what differs.
//!
//! [`Family`] is the other half: one entry per service in the node's family table, read by both
//! the node's composition and the migrator.

mod declare;
pub mod handlers;

use chrono::{DateTime, Utc};
pub use futures_util::future::BoxFuture;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, EntityTrait, IntoActiveModel, PrimaryKeyTrait,
};
pub use sea_orm_migration::MigrationTrait;
use sea_orm_migration::prelude::ColumnDef;
use sea_orm_migration::schema as col;

use crate::api::{Inventory, ResourceRef};
use crate::cascade::CascadeFamily;
use crate::error::{ApiResult, ErrorCode};
use crate::node::NodeContext;
use crate::query::{FieldKind, QueryMeta, Queryable};

/// One service of the node, as the family table lists it: its id, its migrations in the order
/// they apply, and how it starts.
pub struct Family {
    pub service: &'static str,
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    pub start: fn(NodeContext) -> BoxFuture<'static, Result<(), ErrorCode>>,
}

/// A Rust type a declared column may have: how the migration writes it and how queries read it.
pub trait ColumnType {
    const KIND: FieldKind;
    /// The column `name`; `len` bounds text columns.
    fn column(name: &'static str, len: u32) -> ColumnDef;
}

macro_rules! column_types {
    ($($ty:ty => $kind:ident, $make:expr;)*) => {
        $(impl ColumnType for $ty {
            const KIND: FieldKind = FieldKind::$kind;
            fn column(name: &'static str, len: u32) -> ColumnDef {
                let make: fn(&'static str, u32) -> ColumnDef = $make;
                make(name, len)
            }
        })*
    };
}

column_types! {
    String => Str, |n, len| col::string_len(n, len);
    Option<String> => Str, |n, len| col::string_len_null(n, len);
    i64 => Int, |n, _| col::big_integer(n);
    Option<i64> => Int, |n, _| col::big_integer_null(n);
    i32 => Int, |n, _| col::integer(n);
    bool => Bool, |n, _| col::boolean(n);
    f64 => Float, |n, _| col::double(n);
    DateTime<Utc> => Date, |n, _| col::timestamp_with_time_zone(n);
    Option<DateTime<Utc>> => Date, |n, _| col::timestamp_with_time_zone_null(n);
}

/// A column holding another resource's uuid: field `field` of this resource joins `target`'s
/// `uuid`, so `cluster.zone.name` works, and the target gets the way back (`zone.cluster`).
#[derive(Debug, Clone, Copy)]
pub struct Reference {
    pub field: &'static str,
    pub target: &'static str,
}

/// What a [`resource_table!`](crate::resource_table) declaration gives the kernel about a
/// family's main table.
pub trait ResourceTable:
    EntityTrait<
        Model: IntoActiveModel<Self::ActiveModel> + Sync,
        ActiveModel: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send,
        PrimaryKey: PrimaryKeyTrait<ValueType: From<String>>,
    > + Queryable
    + CascadeFamily
    + Default
{
    const OF: ResourceRef;
    /// The resource's name in queries and errors (`cluster`, `l2Network`).
    const QUERY: &'static str;
    const REFERENCES: &'static [Reference];
    /// The parents whose deletion takes these resources with them: parent VO name, and the
    /// column holding its uuid.
    const PARENT_COLUMNS: &'static [(&'static str, &'static str)];
    /// What the family's get message answers ([`handlers::get`], `GetClusterMsg`): the row's
    /// own fields.
    type Inventory: From<Self::Model>;
    /// What the family's APIs answer about one resource: its inventory, or that with what the
    /// family keeps beside the row (the clusters an L2 network is attached to). The query API
    /// names its class.
    type Reply: Inventory;

    /// The reply of resource `model` (by default its inventory).
    fn reply(node: &NodeContext, model: Self::Model) -> BoxFuture<'_, ApiResult<Self::Reply>>;

    /// Removes the rows of resources `uuids` (their dependents are already gone). Families that
    /// keep more than one row per resource, or give capacity back, declare their own.
    fn remove(node: &NodeContext, uuids: Vec<String>) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move { crate::resource::delete_rows(&node.db, Self::OF, &uuids).await })
    }

    /// Refuses a Permissive delete of resources `uuids` for the family's own reasons (a host
    /// entering maintenance is busy); asked before anything goes. Enforcing skips it.
    fn refuse(_node: &NodeContext, _uuids: Vec<String>) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// The query metadata of a declared table: its columns as fields, its references as relations.
pub fn query_meta<T: ResourceTable>(fields: &[(&'static str, FieldKind)]) -> QueryMeta {
    let mut meta = QueryMeta::new(T::QUERY, T::OF.table, <T::Reply as Inventory>::CLASS);
    for (name, kind) in fields {
        meta = meta.field(name, *kind);
    }
    for r in T::REFERENCES {
        meta = meta.relation(r.target, r.target, r.field, "uuid");
    }
    meta
}

/// `cluster_uuid` or `r#type` → `clusterUuid` / `type`, at compile time (the declaration's
/// field names are the columns; queries and inventories use camelCase).
pub const fn camel_len(snake: &str) -> usize {
    let bytes = raw(snake.as_bytes());
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'_' {
            n += 1;
        }
        i += 1;
    }
    n
}

pub const fn camel<const N: usize>(snake: &str) -> [u8; N] {
    let bytes = raw(snake.as_bytes());
    let mut out = [0u8; N];
    let (mut i, mut o, mut upper) = (0, 0, false);
    while i < bytes.len() && o < N {
        if bytes[i] == b'_' {
            upper = true;
        } else {
            out[o] = if upper {
                bytes[i].to_ascii_uppercase()
            } else {
                bytes[i]
            };
            upper = false;
            o += 1;
        }
        i += 1;
    }
    out
}

/// The text of bytes made by [`camel`] (ASCII, so never empty by mistake).
pub const fn text(bytes: &[u8]) -> &str {
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => "",
    }
}

/// A field name without its raw-identifier prefix (`r#type` → `type`).
pub fn column_name(field: &'static str) -> &'static str {
    field.strip_prefix("r#").unwrap_or(field)
}

const fn raw(bytes: &[u8]) -> &[u8] {
    if bytes.len() > 2 && bytes[0] == b'r' && bytes[1] == b'#' {
        bytes.split_at(2).1
    } else {
        bytes
    }
}

/// Whether two texts are the same, at compile time (a declaration's table name against its
/// contract's `ResourceRef`).
pub const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_of_columns() {
        const A: [u8; camel_len("zone_uuid")] = camel("zone_uuid");
        const B: [u8; camel_len("r#type")] = camel("r#type");
        const C: [u8; camel_len("name")] = camel("name");
        assert_eq!(text(&A), "zoneUuid");
        assert_eq!(text(&B), "type");
        assert_eq!(text(&C), "name");
        assert_eq!(column_name("r#type"), "type");
        assert!(same("cluster", "cluster") && !same("cluster", "clusters"));
    }
}
