//! ZStack's VM state machine as data (`VmInstanceState` and the allowed operations of
//! `AbstractVmInstance`, as of 2.3.1): which APIs each state allows, and the state each event
//! leads to from each state. Handlers consult these two tables and nothing else; a failed
//! operation puts the VM back as it was, as ZStack does, without an event.

use zstack_kernel::ErrorCode;
use zstack_kernel::error::operr;

use crate::entity::Model;

/// APIs that are checked against [`ALLOWED`] (their message names).
pub const START: &str = "APIStartVmInstanceMsg";
pub const STOP: &str = "APIStopVmInstanceMsg";
pub const REBOOT: &str = "APIRebootVmInstanceMsg";
pub const PAUSE: &str = "APIPauseVmInstanceMsg";
pub const RESUME: &str = "APIResumeVmInstanceMsg";
pub const DESTROY: &str = "APIDestroyVmInstanceMsg";
pub const RECOVER: &str = "APIRecoverVmInstanceMsg";
pub const EXPUNGE: &str = "APIExpungeVmInstanceMsg";
pub const MIGRATE: &str = "APIMigrateVmMsg";
pub const MIGRATION_CANDIDATES: &str = "APIGetVmMigrationCandidateHostsMsg";
pub const CHANGE_OFFERING: &str = "APIChangeInstanceOfferingMsg";

/// The APIs each state allows. A state missing here allows none; UpdateVmInstance's name and
/// description are allowed in every state.
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("Created", &[START, DESTROY]),
    (
        "Running",
        &[
            STOP,
            REBOOT,
            DESTROY,
            MIGRATE,
            CHANGE_OFFERING,
            MIGRATION_CANDIDATES,
            PAUSE,
        ],
    ),
    ("Stopped", &[STOP, DESTROY, START, CHANGE_OFFERING]),
    ("Unknown", &[DESTROY, STOP]),
    ("Starting", &[DESTROY]),
    ("Migrating", &[DESTROY]),
    ("Stopping", &[DESTROY]),
    ("Rebooting", &[DESTROY]),
    ("Pausing", &[DESTROY]),
    ("Resuming", &[DESTROY]),
    // Destroying a Destroyed VM is done already (the handler answers at once).
    ("Destroyed", &[EXPUNGE, RECOVER, DESTROY]),
    (
        "Paused",
        &[
            RESUME,
            STOP,
            DESTROY,
            MIGRATE,
            CHANGE_OFFERING,
            MIGRATION_CANDIDATES,
        ],
    ),
];

/// The states a VM's CPU and memory can change in (ZStack's interceptor: Running ones on their
/// host, if it has room; Stopped ones at once).
pub const CPU_MEMORY_CHANGEABLE: &[&str] = &["Running", "Stopped"];

/// From each state, the state each event leads to. Migrating → Paused on `paused` is from later
/// ZStack releases: a paused VM stays paused on its new host.
pub const TRANSITIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "Created",
        &[
            ("starting", "Starting"),
            ("destroying", "Destroying"),
            ("destroyed", "Destroyed"),
        ],
    ),
    (
        "Starting",
        &[
            ("running", "Running"),
            ("stopped", "Stopped"),
            ("destroying", "Destroying"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Running",
        &[
            ("running", "Running"),
            ("destroying", "Destroying"),
            ("stopping", "Stopping"),
            ("stopped", "Stopped"),
            ("rebooting", "Rebooting"),
            ("migrating", "Migrating"),
            ("pausing", "Pausing"),
            ("paused", "Paused"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Stopping",
        &[
            ("stopped", "Stopped"),
            ("destroying", "Destroying"),
            ("running", "Running"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Stopped",
        &[
            ("starting", "Starting"),
            ("stopped", "Stopped"),
            ("running", "Running"),
            ("destroying", "Destroying"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Migrating",
        &[
            ("migrated", "Running"),
            ("running", "Running"),
            ("paused", "Paused"),
            ("stopped", "Stopped"),
            ("unknown", "Unknown"),
            ("destroying", "Destroying"),
        ],
    ),
    (
        "Rebooting",
        &[
            ("running", "Running"),
            ("stopped", "Stopped"),
            ("unknown", "Unknown"),
            ("destroying", "Destroying"),
        ],
    ),
    (
        "Paused",
        &[
            ("resuming", "Resuming"),
            ("stopped", "Stopped"),
            ("running", "Running"),
            ("stopping", "Stopping"),
            ("destroying", "Destroying"),
            ("unknown", "Unknown"),
            ("migrating", "Migrating"),
        ],
    ),
    (
        "Pausing",
        &[
            ("paused", "Paused"),
            ("destroying", "Destroying"),
            ("running", "Running"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Resuming",
        &[
            ("running", "Running"),
            ("destroying", "Destroying"),
            ("paused", "Paused"),
            ("unknown", "Unknown"),
        ],
    ),
    (
        "Unknown",
        &[
            ("destroying", "Destroying"),
            ("stopping", "Stopping"),
            ("unknown", "Unknown"),
            ("paused", "Paused"),
            ("running", "Running"),
            ("stopped", "Stopped"),
        ],
    ),
    (
        "Destroying",
        &[
            ("unknown", "Unknown"),
            ("destroyed", "Destroyed"),
            ("destroying", "Destroying"),
            ("running", "Running"),
            ("expunging", "Expunging"),
        ],
    ),
    ("Destroyed", &[("stopped", "Stopped")]),
];

/// States the `unknown` event leaves as they are (ZStack's state-change checker): a VM that
/// holds no host does not become Unknown when a host goes.
pub const UNKNOWN_IGNORED: &[&str] = &["Created", "Stopped", "Destroyed", "Expunging"];

fn allowed_in(api: &str) -> Vec<&'static str> {
    ALLOWED
        .iter()
        .filter(|(_, apis)| apis.contains(&api))
        .map(|(state, _)| *state)
        .collect()
}

/// Whether `vm`'s state allows `api`.
pub fn allows(vm: &Model, api: &str) -> bool {
    ALLOWED
        .iter()
        .any(|(state, apis)| *state == vm.state && apis.contains(&api))
}

/// Refuses `api` unless `vm`'s state allows it, naming the state (ZStack's wording).
pub fn check(vm: &Model, api: &str) -> Result<(), ErrorCode> {
    if allows(vm, api) {
        return Ok(());
    }
    Err(operr(format!(
        "current vm instance state[{}] doesn't allow to proceed message[{api}], allowed states are [{}]: VM[uuid:{}, name:{}]",
        vm.state,
        allowed_in(api).join(", "),
        vm.uuid,
        vm.name
    )))
}

/// The state `event` leads `vm` to.
pub fn next(vm: &Model, event: &str) -> Result<&'static str, ErrorCode> {
    TRANSITIONS
        .iter()
        .find(|(from, _)| *from == vm.state)
        .and_then(|(_, moves)| moves.iter().find(|(on, _)| *on == event))
        .map(|(_, to)| *to)
        .ok_or_else(|| {
            operr(format!(
                "cannot find next state for current state[{}] on transaction event[{event}]: VM[uuid:{}, name:{}]",
                vm.state, vm.uuid, vm.name
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state an event leads to is a state the tables know, and every state that allows
    /// an API has transitions.
    #[test]
    fn the_tables_name_only_known_states() {
        let known: Vec<&str> = TRANSITIONS
            .iter()
            .map(|(s, _)| *s)
            .chain(["Expunging"])
            .collect();
        for (_, moves) in TRANSITIONS {
            for (_, to) in *moves {
                assert!(known.contains(to), "{to}");
            }
        }
        for (state, _) in ALLOWED {
            assert!(known.contains(state), "{state}");
        }
        assert!(allowed_in(START).contains(&"Created"));
        assert_eq!(allowed_in(RESUME), ["Paused"]);
    }
}
