//! The schema: every migration of the kernel and the services, in the order they apply.

use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(zstack_kernel::jobs::store::migration()),
            Box::new(zstack_account::migration::migration()),
            Box::new(zstack_account::ownership::migration()),
            Box::new(zstack_tag::migration::migration()),
            Box::new(zstack_management_node::migration::migration()),
            Box::new(zstack_zone::migration::migration()),
            Box::new(zstack_management_node::migration::services_migration()),
            Box::new(zstack_cluster::migration::migration()),
            Box::new(zstack_host::migration::migration()),
            Box::new(zstack_primary_storage::migration::migration()),
            Box::new(zstack_backup_storage::migration::migration()),
            Box::new(zstack_image::migration::migration()),
            Box::new(zstack_instance_offering::migration::migration()),
            Box::new(zstack_disk_offering::migration::migration()),
            Box::new(zstack_l2_network::migration::migration()),
            Box::new(zstack_l3_network::migration::migration()),
            Box::new(zstack_kernel::resource::registry::migration()),
            Box::new(zstack_kernel::jobs::store::work_migration()),
            Box::new(zstack_kernel::jobs::store::account_migration()),
            Box::new(zstack_account::migration::credentials_migration()),
        ]
    }
}
