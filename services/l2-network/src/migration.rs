//! Creates the l2 network tables.

use zstack_kernel::schema::CreateTables;

pub fn migration() -> CreateTables {
    CreateTables::new("m0700_l2_network")
}
