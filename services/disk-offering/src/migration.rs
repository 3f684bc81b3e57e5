//! Creates the disk offering tables.

use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0610_disk_offering")
}
