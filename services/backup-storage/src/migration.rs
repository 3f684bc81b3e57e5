//! Creates the backup storage tables.

use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0410_backup_storage")
}
