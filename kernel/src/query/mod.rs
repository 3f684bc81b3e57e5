//! The query engine: each resource declares its queryable fields and its relations to other
//! resources; query APIs compile conditions (dotted paths included) into parameterized SQL.

mod compile;
mod parse;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use compile::execute;
pub use parse::{QUERY_OPERATORS, parse_condition};

use crate::api::{ApiReply, Schema};
use crate::frozen::Frozen;
use crate::message::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Str,
    Int,
    Float,
    Bool,
    Date,
    /// JSON kept as text: compared as text, answered as JSON.
    Json,
}

#[derive(Debug, Clone)]
pub struct Field {
    /// The inventory field name (camelCase), as users write it in conditions.
    pub name: &'static str,
    /// The database column (snake_case of the name).
    pub column: String,
    pub kind: FieldKind,
}

/// `zone.cluster`: from this resource's `local` field to the `remote` field of `target`,
/// directly or, for many-to-many links, through a join table.
#[derive(Debug, Clone)]
pub struct Relation {
    pub name: &'static str,
    pub target: &'static str,
    pub local: &'static str,
    pub remote: &'static str,
    pub via: Option<Via>,
}

/// A join table between two resources (`primary_storage_cluster_ref`): column `from` holds
/// this resource's `local` value, column `to` the target's `remote` value.
#[derive(Debug, Clone)]
pub struct Via {
    pub table: &'static str,
    pub from: &'static str,
    pub to: &'static str,
}

impl Relation {
    pub fn new(
        name: &'static str,
        target: &'static str,
        local: &'static str,
        remote: &'static str,
    ) -> Self {
        Relation {
            name,
            target,
            local,
            remote,
            via: None,
        }
    }

    /// The link goes through join table `table` (columns `from` → `to`).
    pub fn via(mut self, table: &'static str, from: &'static str, to: &'static str) -> Self {
        self.via = Some(Via { table, from, to });
        self
    }
}

/// What can be queried of one resource.
#[derive(Debug, Clone)]
pub struct QueryMeta {
    /// The name other resources use for it in relations (`zone`, `cluster`).
    pub resource: &'static str,
    pub table: &'static str,
    pub inventory_class: &'static str,
    pub primary_key: &'static str,
    pub fields: Vec<Field>,
    pub relations: Vec<Relation>,
    /// List-valued inventory fields filled from other tables.
    pub lists: Vec<ListField>,
    /// Conditions every query of this resource carries: a typed query over a shared table
    /// (`QueryL2VlanNetwork` is `type = L2VlanNetwork` on the L2 table).
    pub scope: Vec<(&'static str, &'static str)>,
    /// Columns naming the accounts a row concerns: an account other than admin sees the rows
    /// where one of them holds its uuid, instead of the rows it owns (rows that are not
    /// resources, such as sharing records).
    pub account_columns: Vec<&'static str>,
}

/// A list-valued inventory field (`attachedClusterUuids`, `ipRanges`): each result row gets the
/// rows of `table` whose `key` column holds its primary key, as plain values (`scalar`, one
/// field) or as objects.
#[derive(Debug, Clone)]
pub struct ListField {
    pub name: &'static str,
    pub table: &'static str,
    pub key: &'static str,
    pub fields: Vec<Field>,
    pub scalar: bool,
    pub order_by: &'static str,
    /// The ZStack class of each object (when the objects are not another queryable resource,
    /// whose class is found by its table).
    pub class: Option<&'static str>,
}

impl QueryMeta {
    /// The JSON schema of a query reply: inventories with these fields (each may be left out:
    /// null fields are, and `fields=` picks some), `total`, and the `schema` map.
    pub fn reply_schema(&self) -> Value {
        let kind = |k: FieldKind| match k {
            FieldKind::Str | FieldKind::Date => serde_json::json!({"type": "string"}),
            FieldKind::Int => serde_json::json!({"type": "integer"}),
            FieldKind::Float => serde_json::json!({"type": "number"}),
            FieldKind::Bool => serde_json::json!({"type": "boolean"}),
            FieldKind::Json => serde_json::json!({}),
        };
        let mut properties = Map::new();
        for field in &self.fields {
            properties.insert(field.name.to_string(), kind(field.kind));
        }
        for list in &self.lists {
            let item = if list.scalar {
                serde_json::json!({"type": "string"})
            } else {
                let mut row = Map::new();
                for field in &list.fields {
                    row.insert(field.name.to_string(), kind(field.kind));
                }
                serde_json::json!({"type": "object", "properties": row})
            };
            properties.insert(
                list.name.to_string(),
                serde_json::json!({"type": "array", "items": item}),
            );
        }
        serde_json::json!({
            "type": "object",
            "properties": {
                "inventories": {"type": "array", "items": {
                    "type": "object", "description": self.inventory_class, "properties": properties}},
                "total": {"type": "integer", "minimum": 0},
                "schema": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        })
    }

    pub fn new(resource: &'static str, table: &'static str, inventory_class: &'static str) -> Self {
        QueryMeta {
            resource,
            table,
            inventory_class,
            primary_key: "uuid",
            fields: Vec::new(),
            relations: Vec::new(),
            lists: Vec::new(),
            scope: Vec::new(),
            account_columns: Vec::new(),
        }
    }

    /// An account other than admin sees the rows where one of `columns` holds its uuid (see
    /// [`account_columns`](Self::account_columns)).
    pub fn seen_by(mut self, columns: &[&'static str]) -> Self {
        self.account_columns = columns.to_vec();
        self
    }

    pub fn field(mut self, name: &'static str, kind: FieldKind) -> Self {
        self.fields.push(Field {
            name,
            column: snake_case(name),
            kind,
        });
        self
    }

    pub fn relation(
        mut self,
        name: &'static str,
        target: &'static str,
        local: &'static str,
        remote: &'static str,
    ) -> Self {
        self.relations
            .push(Relation::new(name, target, local, remote));
        self
    }

    /// A many-to-many relation through join table `table` (see [`Via`]).
    pub fn relation_via(
        mut self,
        name: &'static str,
        target: &'static str,
        local: &'static str,
        via: (&'static str, &'static str, &'static str),
        remote: &'static str,
    ) -> Self {
        self.relations
            .push(Relation::new(name, target, local, remote).via(via.0, via.1, via.2));
        self
    }

    /// List field `name`: the `value_column` of the `table` rows whose `key_column` is this
    /// resource's primary key, ordered by `order_column`.
    pub fn values(
        mut self,
        name: &'static str,
        table: &'static str,
        key_column: &'static str,
        value_column: &'static str,
        order_column: &'static str,
    ) -> Self {
        self.lists.push(ListField {
            name,
            table,
            key: key_column,
            fields: vec![Field {
                name: value_column,
                column: value_column.to_string(),
                kind: FieldKind::Str,
            }],
            scalar: true,
            order_by: order_column,
            class: None,
        });
        self
    }

    /// List field `name`: the `table` rows whose `key_column` is this resource's primary key,
    /// as objects with `fields` (camelCase names of snake_case columns), ordered by
    /// `order_column`.
    pub fn rows(
        mut self,
        name: &'static str,
        table: &'static str,
        key_column: &'static str,
        fields: &[(&'static str, FieldKind)],
        order_column: &'static str,
    ) -> Self {
        self.lists.push(ListField {
            name,
            table,
            key: key_column,
            fields: fields
                .iter()
                .map(|(name, kind)| Field {
                    name,
                    column: snake_case(name),
                    kind: *kind,
                })
                .collect(),
            scalar: false,
            order_by: order_column,
            class: None,
        });
        self
    }

    /// The same resource seen through a typed query: another name and class, and only the rows
    /// where text field `field` is `value`.
    pub fn typed(
        mut self,
        resource: &'static str,
        inventory_class: &'static str,
        field: &'static str,
        value: &'static str,
    ) -> Self {
        self.resource = resource;
        self.inventory_class = inventory_class;
        self.scope.push((field, value));
        self
    }

    /// The ZStack class of the objects of list field `name`.
    pub fn list_class(mut self, name: &str, class: &'static str) -> Self {
        for list in self.lists.iter_mut().filter(|l| l.name == name) {
            list.class = Some(class);
        }
        self
    }

    pub fn find_field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn field_names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|f| f.name).collect()
    }

    pub fn relation_names(&self) -> Vec<&'static str> {
        self.relations.iter().map(|r| r.name).collect()
    }
}

fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Every resource's query metadata, by resource name, so dotted paths can cross resources.
#[derive(Default)]
pub struct QueryRegistry {
    metas: Frozen<HashMap<&'static str, Arc<QueryMeta>>>,
    /// Relations other services declared onto a resource (`zone.cluster`, declared by the
    /// cluster service), kept until that resource is added and merged into it.
    added_relations: Frozen<HashMap<&'static str, Vec<Relation>>>,
    /// Pseudo-fields answered from another table (`__systemTag__`, `__userTag__`).
    tag_sources: Frozen<HashMap<&'static str, LinkTable>>,
    /// Where resource ownership is kept, for the queries of accounts that see only their own.
    ownership: Frozen<Option<OwnerTable>>,
    /// Where sharing is kept: accounts also see what is shared with them.
    sharing: Frozen<Option<ShareTable>>,
    /// Table → VO name of every declared resource type, so ownership is matched by type too.
    resource_types: Frozen<HashMap<&'static str, &'static str>>,
}

/// Where resource ownership is kept: `resource_column` → `account_column`, with the resource's
/// VO name in `type_column`. A record names the type as well as the uuid, so owning a zone whose
/// uuid another family also used (before uuids were unique across families) grants nothing else.
#[derive(Debug, Clone, Copy)]
pub struct OwnerTable {
    pub table: &'static str,
    pub resource_column: &'static str,
    pub account_column: &'static str,
    pub type_column: &'static str,
    pub date_column: &'static str,
}

impl OwnerTable {
    /// Records that `account` owns resource `uuid` of type `vo`. A record left by a resource
    /// that had the uuid before (its uuid was given back) is replaced: the uuid names the new
    /// resource now.
    pub async fn record<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        uuid: &str,
        account: &str,
        vo: &str,
    ) -> Result<(), crate::ErrorCode> {
        use sea_orm::sea_query::{Alias, OnConflict, Query};
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(self.table))
            .columns([
                Alias::new(self.resource_column),
                Alias::new(self.account_column),
                Alias::new(self.type_column),
                Alias::new(self.date_column),
            ])
            .values([
                uuid.into(),
                account.into(),
                vo.into(),
                crate::time::now().into(),
            ])
            .map_err(|e| crate::ApiError::Internal(e.to_string()))?
            .on_conflict(
                OnConflict::column(Alias::new(self.resource_column))
                    .update_columns([
                        Alias::new(self.account_column),
                        Alias::new(self.type_column),
                        Alias::new(self.date_column),
                    ])
                    .to_owned(),
            );
        db.execute(&insert).await?;
        Ok(())
    }
}

/// Where resources shared with accounts are kept: a row shares resource `resource_column` of
/// type `type_column` with account `receiver_column`, or with every account when
/// `public_column` is true. Shared resources are seen, never changed, by those they are shared
/// with.
#[derive(Debug, Clone, Copy)]
pub struct ShareTable {
    pub table: &'static str,
    pub resource_column: &'static str,
    pub type_column: &'static str,
    pub receiver_column: &'static str,
    pub public_column: &'static str,
}

/// A table linking resources to values: tags (`resource_uuid` → `tag`), or ownership
/// (`resource_uuid` → `account_uuid`).
#[derive(Debug, Clone, Copy)]
pub struct LinkTable {
    pub table: &'static str,
    pub resource_column: &'static str,
    pub value_column: &'static str,
}

impl QueryRegistry {
    pub fn add(&self, mut meta: QueryMeta) {
        if let Some(extra) = self
            .added_relations
            .read(|added| added.get(meta.resource).cloned())
        {
            meta.relations.extend(extra);
        }
        self.metas
            .write(|metas| metas.insert(meta.resource, Arc::new(meta)));
    }

    /// Declares relation `relation` on resource `resource`, which another service owns: a child
    /// family makes itself reachable from its parent (`zone.cluster.name=c1`) without the
    /// parent knowing it.
    pub fn relate(&self, resource: &'static str, relation: Relation) {
        self.added_relations.write(|added| {
            added.entry(resource).or_default().push(relation.clone());
        });
        self.metas.write(|metas| {
            if let Some(meta) = metas.get_mut(resource) {
                let mut merged = (**meta).clone();
                merged.relations.push(relation);
                *meta = Arc::new(merged);
            }
        });
    }

    /// Answers conditions on pseudo-field `name` (`__systemTag__`) of every resource from
    /// `source`.
    pub fn add_tag_source(&self, name: &'static str, source: LinkTable) {
        self.tag_sources
            .write(|sources| sources.insert(name, source));
    }

    pub fn tag_source(&self, name: &str) -> Option<LinkTable> {
        self.tag_sources.read(|sources| sources.get(name).copied())
    }

    pub fn set_ownership(&self, table: OwnerTable) {
        self.ownership.write(|ownership| *ownership = Some(table));
    }

    pub fn ownership(&self) -> Option<OwnerTable> {
        self.ownership.read(|ownership| *ownership)
    }

    pub fn set_sharing(&self, table: ShareTable) {
        self.sharing.write(|sharing| *sharing = Some(table));
    }

    pub fn sharing(&self) -> Option<ShareTable> {
        self.sharing.read(|sharing| *sharing)
    }

    /// Notes that `table` holds resources of VO type `vo_name`.
    pub fn set_resource_type(&self, table: &'static str, vo_name: &'static str) {
        self.resource_types
            .write(|types| types.insert(table, vo_name));
    }

    /// The VO name of the resources in `table`, when a service declared it.
    pub fn resource_type_of(&self, table: &str) -> Option<&'static str> {
        self.resource_types.read(|types| types.get(table).copied())
    }

    /// The query metadata of the resources in `table` (the untyped one, when typed queries
    /// share the table).
    pub fn by_table(&self, table: &str) -> Option<Arc<QueryMeta>> {
        self.metas.read(|metas| {
            metas
                .values()
                .find(|m| m.table == table && m.scope.is_empty())
                .cloned()
        })
    }

    /// Every resource's metadata, by name.
    pub fn all(&self) -> Vec<Arc<QueryMeta>> {
        self.metas.read(|metas| {
            let mut all: Vec<_> = metas.values().cloned().collect();
            all.sort_by_key(|m| m.resource);
            all
        })
    }

    pub fn get(&self, resource: &str) -> Option<Arc<QueryMeta>> {
        self.metas.read(|metas| metas.get(resource).cloned())
    }

    /// The `schema` map of a reply, as ZStack's JSON schema builder makes it: each inventory
    /// under the concrete class of its type (an image-store backup storage is an
    /// `ImageStoreBackupStorageInventory`), and each object in its list fields under its own
    /// class (`inventory.backupStorageRefs[0]`).
    pub fn refine_schema(&self, body: &Value, schema: crate::api::Schema) -> crate::api::Schema {
        self.metas.read(|metas| {
            let mut out = Vec::with_capacity(schema.len());
            for (path, class) in schema {
                let base = metas.values().find(|m| m.inventory_class == class).cloned();
                let (Some(meta), Some(Value::Object(object))) = (base, at_path(body, &path)) else {
                    out.push((path, class));
                    continue;
                };
                let concrete = metas
                    .values()
                    .find(|m| {
                        m.table == meta.table
                            && !m.scope.is_empty()
                            && m.scope.iter().all(|(field, value)| {
                                object.get(*field).and_then(Value::as_str) == Some(*value)
                            })
                    })
                    .map_or(class, |m| m.inventory_class);
                for list in meta.lists.iter().filter(|l| !l.scalar) {
                    let Some(Value::Array(items)) = object.get(list.name) else {
                        continue;
                    };
                    let item_class = list.class.or_else(|| {
                        metas
                            .values()
                            .find(|m| m.table == list.table && m.scope.is_empty())
                            .map(|m| m.inventory_class)
                    });
                    if let Some(item_class) = item_class {
                        for j in 0..items.len() {
                            out.push((format!("{path}.{}[{j}]", list.name), item_class));
                        }
                    }
                }
                out.push((path, concrete));
            }
            out
        })
    }

    /// Ends start-up: the metadata is final and read without a lock.
    pub fn freeze(&self) {
        self.metas.freeze();
        self.added_relations.freeze();
        self.tag_sources.freeze();
        self.ownership.freeze();
        self.sharing.freeze();
        self.resource_types.freeze();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
    IsNull,
    NotNull,
}

/// One `q=` condition: a field path (`name`, `cluster.zone.name`), an operator and a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub path: String,
    pub op: QueryOp,
    pub value: Option<String>,
}

/// A query API's request, parsed from the query string.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryRequest {
    pub conditions: Vec<Condition>,
    pub limit: u64,
    pub start: u64,
    pub count: bool,
    pub reply_with_count: bool,
    pub sort_by: Option<String>,
    pub sort_desc: bool,
    pub fields: Vec<String>,
    pub group_by: Option<String>,
    /// Set for accounts that see only what they own (every account but admin).
    #[serde(default)]
    pub owner: Option<String>,
}

impl Default for QueryRequest {
    fn default() -> Self {
        QueryRequest {
            conditions: Vec::new(),
            limit: 1000,
            start: 0,
            count: false,
            reply_with_count: false,
            sort_by: None,
            sort_desc: false,
            fields: Vec::new(),
            group_by: None,
            owner: None,
        }
    }
}

/// Bounds on what one query may ask for, checked when the query string is read (a 400 naming the
/// bound) and again when a request is compiled, and the time its statements may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryLimits {
    /// Relations one dotted path may follow (`cluster.zone.name` follows 2).
    pub max_hops: usize,
    /// `q=` conditions in one request.
    pub max_conditions: usize,
    /// Names in `fields=`.
    pub max_fields: usize,
    /// Bytes of the query string (after `?`).
    pub max_length: usize,
    /// How long the database may work on one query before it is stopped.
    pub timeout: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_hops: 8,
            max_conditions: 64,
            max_fields: 64,
            max_length: 16 * 1024,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A resource whose query API the node answers (`APIQueryZoneMsg` on `GET /zones`).
pub trait Queryable: Send + Sync + 'static {
    const QUERY_API: &'static str;
    const PATH: &'static str;
    /// The by-uuid form (`/zones/{uuid}`), if the resource has one.
    const PATH_BY_UUID: Option<&'static str>;
    fn meta() -> QueryMeta;
}

/// The query API message of resource `T`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct QueryMsg<T> {
    pub request: QueryRequest,
    #[serde(skip)]
    resource: PhantomData<fn() -> T>,
}

impl<T> QueryMsg<T> {
    pub fn new(request: QueryRequest) -> Self {
        QueryMsg {
            request,
            resource: PhantomData,
        }
    }
}

impl<T: Queryable> Message for QueryMsg<T> {
    const NAME: &'static str = T::QUERY_API;
    type Reply = QueryReply;
}

/// `{"inventories": [...], "total": N, "schema": {...}}`; with `count=true` just `{"total": N}`.
#[derive(Debug, Clone)]
pub struct QueryReply {
    pub inventories: Option<Vec<Map<String, Value>>>,
    pub total: Option<u64>,
    pub inventory_class: &'static str,
}

impl Serialize for QueryReply {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(inventories) = &self.inventories {
            map.serialize_entry("inventories", inventories)?;
        }
        if let Some(total) = self.total {
            map.serialize_entry("total", &total)?;
        }
        map.end()
    }
}

impl QueryReply {
    /// Rebuilds a reply from its JSON (as another node sent it); the JSON does not carry the
    /// inventory class, the query API does.
    pub fn from_wire(
        value: Value,
        inventory_class: &'static str,
    ) -> Result<Self, crate::ErrorCode> {
        #[derive(Deserialize)]
        struct Wire {
            inventories: Option<Vec<Map<String, Value>>>,
            total: Option<u64>,
        }
        let wire: Wire = serde_json::from_value(value)
            .map_err(|e| crate::ApiError::Internal(format!("cannot decode a query reply: {e}")))?;
        Ok(QueryReply {
            inventories: wire.inventories,
            total: wire.total,
            inventory_class,
        })
    }
}

impl ApiReply for QueryReply {
    fn into_body(self) -> serde_json::Result<Value> {
        let mut body = Map::new();
        if let Some(inventories) = self.inventories {
            let rows = inventories.into_iter().map(Value::Object).collect();
            body.insert("inventories".into(), Value::Array(rows));
        }
        if let Some(total) = self.total {
            body.insert("total".into(), total.into());
        }
        Ok(Value::Object(body))
    }

    fn schema(&self) -> Schema {
        self.inventories
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, _)| (format!("inventories[{i}]"), self.inventory_class))
            .collect()
    }
}

/// The value at a schema path (`inventory`, `inventories[3]`, `inventory.ipRanges[0]`).
fn at_path<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = body;
    for part in path.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (part, None),
        };
        at = at.get(name)?;
        if let Some(i) = index {
            at = at.get(i)?;
        }
    }
    Some(at)
}
