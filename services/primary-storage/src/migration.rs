//! Creates the primary storage tables.

use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0400_primary_storage")
}
