//! Creates the instance offering tables.

use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0600_instance_offering")
}
