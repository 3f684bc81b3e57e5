//! The simulator control surface (admin only, for tests and demos):
//! `PUT /simulators/{uuid}/actions {"updateSimulatorState": {...}}` makes a simulated host,
//! primary storage or backup storage unreachable (`connected`), slow (`operationDelayMs`) or,
//! for backup storage downloads, bandwidth-bound (`bandwidth`, bytes per second; 0 lifts it).
//! `GET /simulators/{uuid}` answers the state and, for storage, the files it holds. The state is
//! the kernel's (`zstack_kernel::simulator`); the families consult it.
//!
//! A machine outlives its record: the simulator of a deleted host or storage can still be
//! changed. No family pings a machine without a record, so bringing one back is announced here
//! (`ResourceStatusChanged` to Connected), for whatever waits for it (a GC job).

use serde::{Deserialize, Serialize};
use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_header::host::HOST;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_kernel::api::{ApiReply, Route, Schema, checks};
use zstack_kernel::error::{ApiError, not_found};
use zstack_kernel::events::ResourceStatusChanged;
use zstack_kernel::resource::registry;
use zstack_kernel::simulator::{self, SimulatedFile, SimulatorState, StateChange};
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, api_message};

pub const SERVICE_ID: &str = "simulator";

zstack_kernel::family!(SERVICE_ID, start, []);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID)
        .api(update_state)
        .api(get_state)
        .start()
}

api_message! {
    /// Changes how a simulated host or storage behaves.
    pub struct APIUpdateSimulatorStateMsg {
        uuid: String => checks().uuid(),
        connected: Option<bool>,
        operation_delay_ms: Option<i64> => checks().range(0, 3_600_000),
        bandwidth: Option<i64> => checks().range(0, i64::MAX),
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
    Ok(SimulatorStateReply {
        inventory: SimulatorInventory {
            uuid,
            resource_type,
            state,
            files,
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
    let change = StateChange {
        connected: msg.connected,
        operation_delay_ms: msg.operation_delay_ms,
        bandwidth: msg.bandwidth,
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
    inventory(&node, msg.uuid, resource_type, state).await
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
