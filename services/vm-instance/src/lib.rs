//! The VM-instance service: VMs on simulator hosts, their NICs (attached and detached after
//! creation too), their life cycle and its state machine, migration and offering changes, VMs
//! kept in step with their hosts, their side of attaching data volumes, of hosts entering
//! maintenance, and of deleting what they stand on.

mod cascade;
mod create;
pub mod entity;
mod host_sync;
mod lifecycle;
mod maintenance;
pub mod messages;
mod migrate;
pub mod nics;
mod offering;
mod placement;
pub mod state;
mod volumes;

use zstack_kernel::{ErrorCode, NodeContext};

pub use create::step_names as create_vm_steps;
use entity::{Entity as VmInstance, nic::Entity as VmNic};
pub use entity::{VM_INSTANCE, VM_NIC};

pub const SERVICE_ID: &str = "vmInstance";

zstack_kernel::family!(SERVICE_ID, start, [entity::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    host_sync::watch_hosts(node);
    node.service(SERVICE_ID)
        .table::<VmInstance>()
        .table::<VmNic>()
        .system_tag(VM_INSTANCE.vo_name, create::STATIC_IP)
        .api(create::create)
        .api(lifecycle::start)
        .api(lifecycle::stop)
        .api(lifecycle::reboot)
        .api(lifecycle::pause)
        .api(lifecycle::resume)
        .api(lifecycle::destroy)
        .api(lifecycle::recover)
        .api(lifecycle::expunge)
        .handle(volumes::attach)
        .handle(volumes::detach)
        .api(nics::attach)
        .api(nics::detach)
        .handle(nics::detach_on_vm)
        .api(migrate::migrate)
        .api(migrate::candidates)
        .api(offering::change_offering)
        .api(offering::update)
        .handle(host_sync::state_changed_on_host)
        .gc_runner(host_sync::DESTROY_VM_GC, host_sync::destroy_on_host)
        .handle(maintenance::vacate)
        .handle(maintenance::leave_host)
        .handle(cascade::parent_gone_on_vm)
        .cascade::<cascade::VmCascade, _, _>(cascade::parents_gone)
        .start()
}
