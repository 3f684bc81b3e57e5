//! The simulator control surface (admin only, for tests and demos):
//! `PUT /simulators/{uuid}/actions {"updateSimulatorState": {...}}` makes a simulated host,
//! primary storage or backup storage unreachable (`connected`), slow (`operationDelayMs`) or,
//! for backup storage downloads, bandwidth-bound (`bandwidth`, bytes per second; 0 lifts it).
//! The state is the kernel's (`zstack_kernel::simulator`); the families consult it.

use serde::{Deserialize, Serialize};
use zstack_header::backup_storage::BACKUP_STORAGE;
use zstack_header::host::HOST;
use zstack_header::primary_storage::PRIMARY_STORAGE;
use zstack_kernel::api::{ApiReply, Route, Schema, checks};
use zstack_kernel::error::{ApiError, not_found};
use zstack_kernel::resource::registry;
use zstack_kernel::simulator::{self, SimulatorState, StateChange};
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext, api_message};

pub const SERVICE_ID: &str = "simulator";

zstack_kernel::family!(SERVICE_ID, start, []);

pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service(SERVICE_ID).api(update_state).start()
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatorInventory {
    pub uuid: String,
    pub resource_type: String,
    #[serde(flatten)]
    pub state: SimulatorState,
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

async fn update_state(
    node: NodeContext,
    msg: APIUpdateSimulatorStateMsg,
    ctx: MsgContext,
) -> ApiResult<SimulatorStateReply> {
    if !ctx.session.as_ref().is_some_and(|s| s.is_admin) {
        return Err(ApiError::PermissionDenied(
            "only admin can change how a simulator behaves".into(),
        )
        .into());
    }
    let resource_type = registry::type_of(&node.db, &msg.uuid)
        .await?
        .filter(|t| SIMULATED.contains(&t.as_str()))
        .ok_or_else(|| {
            not_found(format!(
                "no simulated host, primary storage or backup storage has uuid[{}]",
                msg.uuid
            ))
        })?;
    let change = StateChange {
        connected: msg.connected,
        operation_delay_ms: msg.operation_delay_ms,
        bandwidth: msg.bandwidth,
    };
    let state = simulator::change(&node.db, &msg.uuid, &change).await?;
    Ok(SimulatorStateReply {
        inventory: SimulatorInventory {
            uuid: msg.uuid,
            resource_type,
            state,
        },
    })
}
