//! The volume service: VMs' root volumes, data volumes (created, attached to VMs and detached,
//! deleted, recovered, expunged, grown), their migration between primary storage, and what
//! becomes of them when their storage goes.

mod attach;
mod cascade;
mod data;
pub mod entity;
mod handlers;
pub mod messages;
mod migrate;

use zstack_kernel::family::handlers::update;
use zstack_kernel::{ErrorCode, NodeContext};

use entity::Entity as Volume;
pub use entity::VOLUME;
use messages::APIUpdateVolumeMsg;

pub const SERVICE_ID: &str = "volume";

zstack_kernel::family!(
    SERVICE_ID,
    start,
    [entity::migration(), entity::local_host_migration()]
);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .table::<Volume>()
        .system_tag(VOLUME.vo_name, handlers::LOCAL_HOST_TAG)
        .api(data::create)
        .api(attach::attach)
        .api(attach::detach)
        .api(data::delete)
        .api(data::recover)
        .api(data::expunge)
        .api(data::change_state)
        .api(update::<Volume, APIUpdateVolumeMsg>)
        .api(data::resize_root)
        .api(data::resize_data)
        .api(migrate::migrate)
        .long_job::<migrate::MigrateVolumeLongJob, _, _>(migrate::long_job)
        .handle(handlers::create)
        .handle(handlers::of_vm)
        .handle(handlers::expunge)
        .handle(handlers::release_vm_volumes)
        .handle(attach::bind)
        .handle(attach::unbind)
        .handle(cascade::list_on)
        .handle(cascade::move_to_host)
        .cascade::<cascade::VolumeCascade, _, _>(cascade::parents_gone)
        .start()
}
