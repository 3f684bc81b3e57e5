//! The declaration macros of a family: [`resource_table!`](crate::resource_table) for its main
//! table, [`standard_apis!`](crate::standard_apis) for the APIs every family shares.

/// Declares a family's main table once. Every table has `uuid` (its key) first and
/// `create_date`, `last_op_date` last; the declaration lists the columns between.
///
/// ```ignore
/// zstack_kernel::resource_table! {
///     table "cluster" for CLUSTER;
///     query APIQueryClusterMsg "/clusters" as "cluster";
///     inventory ClusterInventory;          // or: inventory Model = "org...ZoneInventory";
///     migration "m0200_cluster";
///     cascade "ClusterCascadeMsg" { "ZoneVO" => zone_uuid }
///     columns {
///         name: String [255],
///         zone_uuid: String [32] => "zone",   // a reference: relation both ways, indexed
///     }
/// }
/// ```
///
/// Optional lines, before `columns`: `remove path;` and `refuse path;` (a family's own
/// [`ResourceTable::remove`](crate::family::ResourceTable::remove) and
/// [`ResourceTable::refuse`](crate::family::ResourceTable::refuse)), `extend path;` (a
/// `fn(QueryMeta) -> QueryMeta` adding list fields and join-table relations), `reply Type =
/// path;` (what the APIs answer when it is more than the row, from `async fn path(&NodeContext,
/// Model) -> ApiResult<Type>`). A column's bracket may add `index` or `unique` after its length
/// (`[32, index]`). It generates, in a module re-exported where it stands: the sea-orm
/// `Model`, `Entity`, `ActiveModel` and `Column`; `migration()`; the inventory (a `From` for a
/// contract's inventory of the same fields, or `Model` itself); and the [`Queryable`], cascade
/// family and [`ResourceTable`](crate::family::ResourceTable) impls.
///
/// [`Queryable`]: crate::query::Queryable
#[macro_export]
macro_rules! resource_table {
    (
        $(#[$meta:meta])*
        table $table:literal for $of:path;
        query $query_api:ident $path:literal as $query:literal;
        inventory $inv:ident $(= $class:literal)?;
        migration $migration:literal;
        $( cascade $cascade_msg:literal { $( $parent:literal => $parent_col:ident ),* $(,)? } )?
        $( remove $remove:path; )?
        $( refuse $refuse:path; )?
        $( extend $extend:path; )?
        $( reply $reply:ty = $reply_fn:path; )?
        columns {
            $( $(#[$fmeta:meta])* $field:ident : $fty:ty $([$len:literal $(, $index:ident)?])? $(=> $target:literal)? ),* $(,)?
        }
    ) => {
        mod declared {
            #![allow(unused_imports)]
            use super::*;
            use ::chrono::{DateTime, Utc};
            use ::sea_orm::entity::prelude::*;

            const _: () = assert!(
                $crate::family::same($of.table, $table),
                "the table name differs from the contract's ResourceRef"
            );

            $(#[$meta])*
            #[derive(Clone, Debug, PartialEq, DeriveEntityModel, ::serde::Serialize, ::serde::Deserialize)]
            #[sea_orm(table_name = $table)]
            #[serde(rename_all = "camelCase")]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub uuid: String,
                $( $(#[$fmeta])* pub $field: $fty, )*
                #[serde(with = "zstack_kernel::time")]
                pub create_date: DateTime<Utc>,
                #[serde(with = "zstack_kernel::time")]
                pub last_op_date: DateTime<Utc>,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}

            $crate::resource_table!(@inventory $of, $inv $(= $class)?; $($field)*);

            /// Creates the table and indexes its references.
            pub fn migration() -> $crate::schema::CreateTables {
                use ::sea_orm_migration::prelude::{Index, Table};
                use $crate::family::{ColumnType, column_name};
                let mut table = Table::create();
                table.table($table);
                table.col(<String as ColumnType>::column("uuid", 32).primary_key());
                $( table.col(<$fty as ColumnType>::column(
                    column_name(stringify!($field)),
                    $crate::resource_table!(@first $($len)?, 255))); )*
                table.col(<DateTime<Utc> as ColumnType>::column("create_date", 0));
                table.col(<DateTime<Utc> as ColumnType>::column("last_op_date", 0));
                #[allow(unused_mut)]
                let mut tables = $crate::schema::CreateTables::new($migration).table(&mut table);
                $( $crate::resource_table!(@index tables, $table, $field $(=> $target)? $($($index)?)?); )*
                tables
            }

            impl $crate::query::Queryable for Entity {
                const QUERY_API: &'static str = stringify!($query_api);
                const PATH: &'static str = $path;
                const PATH_BY_UUID: Option<&'static str> = Some(concat!($path, "/{uuid}"));
                fn meta() -> $crate::query::QueryMeta {
                    use $crate::family::ColumnType;
                    let meta = $crate::family::query_meta::<Entity>(&[
                        ("uuid", $crate::query::FieldKind::Str),
                        $( ($crate::resource_table!(@camel $field), <$fty as ColumnType>::KIND), )*
                        ("createDate", $crate::query::FieldKind::Date),
                        ("lastOpDate", $crate::query::FieldKind::Date),
                    ]);
                    $( let meta = $extend(meta); )?
                    meta
                }
            }

            impl $crate::cascade::CascadeFamily for Entity {
                const MESSAGE: &'static str = $crate::resource_table!(@first $($cascade_msg)?, "");
                const PARENTS: &'static [&'static str] = &[$($($parent),*)?];
            }

            impl $crate::family::ResourceTable for Entity {
                const OF: $crate::api::ResourceRef = $of;
                const QUERY: &'static str = $query;
                const REFERENCES: &'static [$crate::family::Reference] = &[
                    $( $( $crate::family::Reference {
                        field: $crate::resource_table!(@camel $field),
                        target: $target,
                    }, )? )*
                ];
                const PARENT_COLUMNS: &'static [(&'static str, &'static str)] =
                    &[$($( ($parent, stringify!($parent_col)) ),*)?];
                type Inventory = $crate::resource_table!(@inventory_type $inv);
                $crate::resource_table!(@reply $inv $(, $reply = $reply_fn)?);
                $(
                    fn remove(
                        node: &$crate::NodeContext,
                        uuids: Vec<String>,
                    ) -> $crate::family::BoxFuture<'_, $crate::ApiResult<()>> {
                        Box::pin($remove(node, uuids))
                    }
                )?
                $(
                    fn refuse(
                        node: &$crate::NodeContext,
                        uuids: Vec<String>,
                    ) -> $crate::family::BoxFuture<'_, $crate::ApiResult<()>> {
                        Box::pin($refuse(node, uuids))
                    }
                )?
            }
        }
        pub use declared::*;
    };

    (@inventory $of:path, Model = $class:literal; $($field:ident)*) => {
        impl $crate::api::Inventory for Model {
            const CLASS: &'static str = $class;
            const VO_NAME: Option<&'static str> = Some($of.vo_name);
        }
    };
    (@inventory $of:path, $inv:ident; $($field:ident)*) => {
        impl From<Model> for $inv {
            fn from(m: Model) -> Self {
                $inv {
                    uuid: m.uuid,
                    $( $field: m.$field, )*
                    create_date: m.create_date,
                    last_op_date: m.last_op_date,
                }
            }
        }
    };
    (@reply $inv:ident) => {
        type Reply = $crate::resource_table!(@inventory_type $inv);
        fn reply(
            _node: &$crate::NodeContext,
            model: Model,
        ) -> $crate::family::BoxFuture<'_, $crate::ApiResult<Self::Reply>> {
            Box::pin(async move { Ok(model.into()) })
        }
    };
    (@reply $inv:ident, $reply:ty = $reply_fn:path) => {
        type Reply = $reply;
        fn reply(
            node: &$crate::NodeContext,
            model: Model,
        ) -> $crate::family::BoxFuture<'_, $crate::ApiResult<Self::Reply>> {
            Box::pin($reply_fn(node, model))
        }
    };
    (@inventory_type Model) => { Model };
    (@inventory_type $inv:ident) => { $inv };

    (@index $tables:ident, $table:literal, $field:ident) => {};
    (@index $tables:ident, $table:literal, $field:ident unique) => {
        $tables = $tables.index(
            ::sea_orm_migration::prelude::Index::create()
                .name(concat!("idx_", $table, "_", stringify!($field)))
                .table($table)
                .col($crate::family::column_name(stringify!($field)))
                .unique(),
        );
    };
    (@index $tables:ident, $table:literal, $field:ident $($flag:tt)+) => {
        $tables = $tables.index(
            ::sea_orm_migration::prelude::Index::create()
                .name(concat!("idx_", $table, "_", stringify!($field)))
                .table($table)
                .col($crate::family::column_name(stringify!($field))),
        );
    };

    (@camel $field:ident) => {{
        const SNAKE: &str = stringify!($field);
        const BYTES: [u8; $crate::family::camel_len(SNAKE)] = $crate::family::camel(SNAKE);
        const NAME: &str = $crate::family::text(&BYTES);
        NAME
    }};

    (@first $value:literal, $default:literal) => { $value };
    (@first , $default:literal) => { $default };
}

/// Declares the APIs every family words the same way, with the checks ZStack gives them:
///
/// ```ignore
/// zstack_kernel::standard_apis! {
///     of CLUSTER, inventory ClusterInventory, path "/clusters";
///     update APIUpdateClusterMsg;            // name, description
///     change_state APIChangeClusterStateMsg; // stateEvent enable | disable
///     reconnect APIReconnectClusterMsg;      // (storage, hosts) Connecting, then Connected
///     delete APIDeleteClusterMsg;            // deleteMode Permissive | Enforcing
/// }
/// ```
///
/// Each line is optional; [`handlers`](crate::family::handlers) answers them.
#[macro_export]
macro_rules! standard_apis {
    (
        of $of:path, inventory $inv:ty, path $path:literal;
        $( update $update:ident; )?
        $( change_state $change:ident; )?
        $( reconnect $reconnect:ident; )?
        $( delete $delete:ident; )?
    ) => {
        $(
            $crate::api_message! {
                /// Changes a resource's name or description.
                pub struct $update {
                    uuid: String => $crate::api::checks().resource($of),
                    name: Option<String> => $crate::api::checks().max_len(255),
                    description: Option<String> => $crate::api::checks().max_len(2048),
                }
                route = $crate::api::Route::action(concat!($path, "/{uuid}/actions"));
                reply = $crate::api::InventoryReply<$inv>;
                resource = uuid;
            }

            impl $crate::family::handlers::Update for $update {
                fn target(&self) -> &str {
                    &self.uuid
                }
                fn into_changes(self) -> (Option<String>, Option<String>) {
                    (self.name, self.description)
                }
            }
        )?
        $(
            $crate::api_message! {
                /// Enables or disables a resource.
                pub struct $change {
                    uuid: String => $crate::api::checks().resource($of),
                    state_event: String => $crate::api::checks().valid_values(&["enable", "disable"]),
                }
                route = $crate::api::Route::action(concat!($path, "/{uuid}/actions"));
                reply = $crate::api::InventoryReply<$inv>;
                resource = uuid;
            }

            impl $crate::family::handlers::ChangeState for $change {
                fn target(&self) -> &str {
                    &self.uuid
                }
                fn event(&self) -> &str {
                    &self.state_event
                }
            }
        )?
        $(
            $crate::api_message! {
                /// Reconnects a resource (the simulator connects at once).
                pub struct $reconnect {
                    uuid: String => $crate::api::checks().resource($of),
                }
                route = $crate::api::Route::action(concat!($path, "/{uuid}/actions"));
                reply = $crate::api::InventoryReply<$inv>;
                resource = uuid;
            }

            impl $crate::family::handlers::Reconnect for $reconnect {
                fn target(&self) -> &str {
                    &self.uuid
                }
            }
        )?
        $(
            $crate::api_message! {
                /// Deletes a resource after what depends on it.
                pub struct $delete {
                    uuid: String => $crate::api::checks().uuid().references($of),
                    delete_mode: Option<String> => $crate::api::checks().valid_values(&["Permissive", "Enforcing"]),
                }
                route = $crate::api::Route::delete(concat!($path, "/{uuid}"));
                reply = $crate::api::EmptyReply;
                resource = uuid;
            }

            impl $crate::family::handlers::Delete for $delete {
                fn target(&self) -> &str {
                    &self.uuid
                }
                fn mode(&self) -> Option<&str> {
                    self.delete_mode.as_deref()
                }
            }
        )?
    };
}

/// This service's entry in the node's family table (`pub const FAMILY`): its id, how it
/// starts (`start` or `async start`, given `&NodeContext`) and its migrations in order.
#[macro_export]
macro_rules! family {
    ($service:expr, async $start:path, [$($migration:expr),* $(,)?]) => {
        /// This service in the node's family table.
        pub const FAMILY: $crate::family::Family = $crate::family::Family {
            service: $service,
            migrations: || vec![$(Box::new($migration) as Box<dyn $crate::family::MigrationTrait>),*],
            start: |node| Box::pin(async move { $start(&node).await }),
        };
    };
    ($service:expr, $start:path, [$($migration:expr),* $(,)?]) => {
        /// This service in the node's family table.
        pub const FAMILY: $crate::family::Family = $crate::family::Family {
            service: $service,
            migrations: || vec![$(Box::new($migration) as Box<dyn $crate::family::MigrationTrait>),*],
            start: |node| Box::pin(async move { $start(&node) }),
        };
    };
}
