//! The simulator control surface (admin only, for tests and demos):
//! `PUT /simulators/{uuid}/actions {"updateSimulatorState": {...}}` makes a simulated host,
//! primary storage or backup storage unreachable (`connected`), slow (`operationDelayMs`) or,
//! for backup storage downloads, bandwidth-bound (`bandwidth`, bytes per second; 0 lifts it).
//! A host can be told to fail its next VM operation of a kind (`failOperation`, once), and its
//! VMs can change state behind the node's back (`vmStates`, as a crashed or externally stopped
//! VM would); a reachable host reports such a change to the VM service, as an agent does.
//! `GET /simulators/{uuid}` answers the state and, for storage, the files it holds, for a host
//! the VMs it runs. How a host or storage behaves is the kernel's (`zstack_kernel::simulator`);
//! the families consult it. What a host runs is this service's (`vms`): the VM family asks a
//! host to start, stop or migrate a VM with messages, as it would ask a host's agent.
//!
//! A machine outlives its record: the simulator of a deleted host or storage can still be
//! changed. No family pings a machine without a record, so bringing one back is announced here
//! (`ResourceStatusChanged` to Connected), for whatever waits for it (a GC job).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_header::host::HOST;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_header::simulator::VmOnHost;
use zstack_header::vm_instance::VmStateChangedOnHostMsg;
use zstack_kernel::api::{ApiReply, Route, Schema, checks};
use zstack_kernel::error::{ApiError, argerr, not_found};
use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::message::is_uuid;
use zstack_kernel::resource::registry;
use zstack_kernel::simulator::{self, SimulatedFile, SimulatorState, StateChange};

use vms::{HOST_VM_OPERATIONS, VM_STATES_ON_HOST};

mod vms;
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, api_message};

pub const SERVICE_ID: &str = "simulator";

zstack_kernel::family!(SERVICE_ID, start, [vms::migration()]);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .api(update_state)
        .api(get_state)
        .handle(vms::vm_operation)
        .handle(vms::migrate_vm)
        .handle(vms::get_host_vms)
        .handle(vms::forget_host_vm)
        .start()
}

api_message! {
    /// Changes how a simulated host or storage behaves.
    pub struct APIUpdateSimulatorStateMsg {
        uuid: String => checks().uuid(),
        connected: Option<bool>,
        operation_delay_ms: Option<i64> => checks().range(0, 3_600_000),
        bandwidth: Option<i64> => checks().range(0, i64::MAX),
        /// A host's next VM operation of this name fails (`StartVm`, `MigrateVm`, ...); empty
        /// clears it.
        fail_operation: Option<String> => checks().max_len(64),
        /// A host's VMs change state behind the node's back: VM uuid → Running, Paused or
        /// Stopped.
        vm_states: Option<Value>,
    }
    route = Route::action("/simulators/{uuid}/actions");
    reply = SimulatorStateReply;
    resource = uuid;
}

api_message! {
    /// How a simulated host or storage behaves, and the files a storage holds.
    pub struct APIGetSimulatorStateMsg {
        uuid: String => checks().uuid(),
    }
    route = Route::get("/simulators/{uuid}");
    reply = SimulatorStateReply;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatorInventory {
    pub uuid: String,
    pub resource_type: String,
    #[serde(flatten)]
    pub state: SimulatorState,
    /// What is on a simulated storage (empty for hosts).
    pub files: Vec<SimulatedFile>,
    /// The VMs a simulated host runs (empty for storage).
    pub vms: Vec<VmOnHost>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimulatorStateReply {
    pub inventory: SimulatorInventory,
}

impl ApiReply for SimulatorStateReply {
    fn schema(&self) -> Schema {
        Vec::new()
    }
}

/// The resource types that are simulated.
const SIMULATED: [&str; 3] = [
    HOST.vo_name,
    PRIMARY_STORAGE.vo_name,
    BACKUP_STORAGE.vo_name,
];

fn admin_only(ctx: &MsgContext, what: &str) -> Result<(), ErrorCode> {
    if ctx.session.as_ref().is_some_and(|s| s.is_admin) {
        return Ok(());
    }
    Err(ApiError::PermissionDenied(format!("only admin can {what}")).into())
}

/// The type of simulated resource `uuid`: its record's, or, once the record is gone, the one
/// its simulator remembers. The flag tells whether the record is still there.
async fn simulated_type(node: &NodeContext, uuid: &str) -> ApiResult<(String, bool)> {
    if let Some(t) = registry::type_of(&node.db, uuid).await?
        && SIMULATED.contains(&t.as_str())
    {
        return Ok((t, true));
    }
    match simulator::remembered_type(&node.db, uuid).await? {
        Some(t) if SIMULATED.contains(&t.as_str()) => Ok((t, false)),
        _ => Err(not_found(format!(
            "no simulated host, primary storage or backup storage has uuid[{uuid}]"
        ))),
    }
}

async fn inventory(
    node: &NodeContext,
    uuid: String,
    resource_type: String,
    state: SimulatorState,
) -> ApiResult<SimulatorStateReply> {
    let files = simulator::files(&node.db, &uuid).await?;
    let vms = vms::host_vms(&node.db, &uuid).await?;
    Ok(SimulatorStateReply {
        inventory: SimulatorInventory {
            uuid,
            resource_type,
            state,
            files,
            vms,
        },
    })
}

async fn update_state(
    node: NodeContext,
    msg: APIUpdateSimulatorStateMsg,
    ctx: MsgContext,
) -> ApiResult<SimulatorStateReply> {
    admin_only(&ctx, "change how a simulator behaves")?;
    let (resource_type, recorded) = simulated_type(&node, &msg.uuid).await?;
    let is_host = resource_type == HOST.vo_name;
    if let Some(operation) = &msg.fail_operation
        && !operation.is_empty()
    {
        if !is_host {
            return Err(argerr("failOperation applies to simulated hosts only"));
        }
        if !HOST_VM_OPERATIONS.contains(&operation.as_str()) {
            return Err(argerr(format!(
                "failOperation[{operation}] is none of {HOST_VM_OPERATIONS:?}"
            )));
        }
    }
    let vm_states = match &msg.vm_states {
        Some(_) if !is_host => return Err(argerr("vmStates applies to simulated hosts only")),
        Some(states) => vm_states(states)?,
        None => Vec::new(),
    };
    let change = StateChange {
        connected: msg.connected,
        operation_delay_ms: msg.operation_delay_ms,
        bandwidth: msg.bandwidth,
        fail_operation: msg.fail_operation.clone(),
    };
    let was = simulator::state(&node.db, &msg.uuid).await?;
    let state = simulator::change(&node.db, &msg.uuid, &resource_type, &change).await?;
    if !recorded && !was.connected && state.connected {
        tracing::info!(resource = %resource_type, uuid = %msg.uuid, "a machine without a record answers again");
        node.bus.publish(ResourceStatusChanged {
            resource_uuid: msg.uuid.clone(),
            resource_type: resource_type.clone(),
            old_status: "Disconnected".into(),
            new_status: "Connected".into(),
        });
    }
    for (vm, on_host) in vm_states {
        let running = (on_host != "Stopped").then_some(on_host.as_str());
        vms::set_host_vm(&node.db, &msg.uuid, &vm, running).await?;
        // A reachable host reports the change, as an agent does; an unreachable one is heard
        // from when it reconnects.
        if recorded && state.connected {
            node.bus.send(VmStateChangedOnHostMsg {
                vm_instance_uuid: vm,
                host_uuid: msg.uuid.clone(),
                state_on_host: on_host,
            });
        }
    }
    inventory(&node, msg.uuid, resource_type, state).await
}

/// `vmStates` read: VM uuid → a state a host can have it in.
fn vm_states(states: &Value) -> ApiResult<Vec<(String, String)>> {
    let Some(states) = states.as_object() else {
        return Err(argerr(
            "vmStates must map VM uuids to Running, Paused or Stopped",
        ));
    };
    let mut out = Vec::new();
    for (vm, on_host) in states {
        let on_host = on_host.as_str().unwrap_or_default();
        if !is_uuid(vm) || !VM_STATES_ON_HOST.contains(&on_host) {
            return Err(argerr(format!(
                "vmStates[{vm}] must be a VM uuid mapped to one of {VM_STATES_ON_HOST:?}"
            )));
        }
        out.push((vm.clone(), on_host.to_string()));
    }
    Ok(out)
}

async fn get_state(
    node: NodeContext,
    msg: APIGetSimulatorStateMsg,
    ctx: MsgContext,
) -> ApiResult<SimulatorStateReply> {
    admin_only(&ctx, "read how a simulator behaves")?;
    let (resource_type, _) = simulated_type(&node, &msg.uuid).await?;
    let state = simulator::state(&node.db, &msg.uuid).await?;
    inventory(&node, msg.uuid, resource_type, state).await
}
