//! The node's family table: every service, in the order the node starts them. The node's
//! composition starts them from it, and the migrator applies the kernel's migrations, then each
//! family's in table order. Adding a family is one crate and one line here.

use sea_orm_migration::prelude::*;
use zstack_kernel::family::Family;

/// Accounts first (every other service's APIs check sessions with it), then tags (they attach
/// to every resource), then the resource families, parents before children.
pub const FAMILIES: &[Family] = &[
    zstack_account::FAMILY,
    zstack_management_node::FAMILY,
    zstack_tag::FAMILY,
    zstack_task_progress::FAMILY,
    zstack_notification::FAMILY,
    zstack_gc::FAMILY,
    zstack_zone::FAMILY,
    zstack_cluster::FAMILY,
    zstack_host::FAMILY,
    zstack_primary_storage::FAMILY,
    zstack_backup_storage::FAMILY,
    zstack_image::FAMILY,
    zstack_instance_offering::FAMILY,
    zstack_disk_offering::FAMILY,
    zstack_l2_network::FAMILY,
    zstack_l3_network::FAMILY,
    zstack_volume::FAMILY,
    zstack_vm_instance::FAMILY,
    zstack_simulator::FAMILY,
    zstack_license::FAMILY,
    zstack_longjob::FAMILY,
];

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = zstack_kernel::schema::kernel_migrations();
        for family in FAMILIES {
            all.extend((family.migrations)());
        }
        all
    }
}
