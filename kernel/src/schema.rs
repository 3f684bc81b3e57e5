//! The shape every table-creating migration shares: create tables (and their indexes) in order,
//! drop them in reverse. A family's migration only lists its statements.

use sea_orm_migration::prelude::*;

pub struct CreateTables {
    name: &'static str,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
}

impl CreateTables {
    pub fn new(name: &'static str) -> Self {
        CreateTables {
            name,
            tables: Vec::new(),
            indexes: Vec::new(),
        }
    }

    pub fn table(mut self, table: &mut TableCreateStatement) -> Self {
        self.tables.push(table.if_not_exists().to_owned());
        self
    }

    pub fn index(mut self, index: &mut IndexCreateStatement) -> Self {
        self.indexes.push(index.if_not_exists().to_owned());
        self
    }

    /// Adds the tables and indexes of `other`, a second declared table this migration creates
    /// (its own name is not used).
    pub fn and(mut self, other: CreateTables) -> Self {
        self.tables.extend(other.tables);
        self.indexes.extend(other.indexes);
        self
    }
}

impl MigrationName for CreateTables {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in &self.tables {
            manager.create_table(table.clone()).await?;
        }
        for index in &self.indexes {
            manager.create_index(index.clone()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in self.tables.iter().rev() {
            if let Some(name) = table.get_table_name() {
                manager
                    .drop_table(Table::drop().table(name.clone()).to_owned())
                    .await?;
            }
        }
        Ok(())
    }
}

/// A migration that adds columns to existing tables (and drops them on the way down).
pub struct AddColumns {
    name: &'static str,
    columns: Vec<(&'static str, ColumnDef)>,
}

impl AddColumns {
    pub fn new(name: &'static str) -> Self {
        AddColumns {
            name,
            columns: Vec::new(),
        }
    }

    pub fn column(mut self, table: &'static str, column: ColumnDef) -> Self {
        self.columns.push((table, column));
        self
    }
}

impl MigrationName for AddColumns {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for AddColumns {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in &self.columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .add_column(column.clone())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in self.columns.iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(*table)
                        .drop_column(column.get_column_name())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The kernel's own migrations (jobs, the node-wide resource table), in the order they apply,
/// before every family's.
pub fn kernel_migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(crate::jobs::store::migration()),
        Box::new(crate::resource::registry::migration()),
        Box::new(crate::jobs::store::work_migration()),
        Box::new(crate::jobs::store::account_migration()),
        Box::new(crate::simulator::migration()),
        Box::new(crate::simulator::type_migration()),
        Box::new(crate::simulator::files_migration()),
        Box::new(crate::gc::store::migration()),
        Box::new(crate::simulator::fail_operation_migration()),
    ]
}
