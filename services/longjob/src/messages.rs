//! The long-job APIs (ZStack 2.3's SubmitLongJob, QueryLongJob, CancelLongJob, DeleteLongJob;
//! 3.x's ResumeLongJob, RerunLongJob and UpdateLongJob), and the message that starts a job.

use serde::{Deserialize, Serialize};
use zstack_kernel::Message;
use zstack_kernel::api::{EmptyReply, InventoryReply, Route, checks};
use zstack_kernel::api_message;

use crate::entity::{LONG_JOB, Model};

/// The longest `jobData` (JSON text of an API's parameters).
pub const MAX_JOB_DATA: usize = 65535;

api_message! {
    /// Runs API `jobName` with the parameters `jobData` (JSON text) as a long job; answers once
    /// the job has started.
    pub struct APISubmitLongJobMsg {
        name: Option<String> => checks().max_len(255),
        description: Option<String> => checks().max_len(2048),
        job_name: String => checks().max_len(255),
        job_data: String => checks().max_len(MAX_JOB_DATA).no_trim(),
        target_resource_uuid: Option<String> => checks().max_len(255),
        resource_uuid: Option<String> => checks().uuid(),
    }
    route = Route::post("/longjobs");
    reply = InventoryReply<Model>;
}

api_message! {
    /// Stops a long job: a Waiting one at once, a Running one's work through its API's
    /// cancellation (what it did is undone), a Suspended one's leftovers cleaned up.
    pub struct APICancelLongJobMsg {
        uuid: String => checks().resource(LONG_JOB),
    }
    route = Route::action("/longjobs/{uuid}/actions");
    reply = EmptyReply;
    resource = uuid;
}

api_message! {
    /// Goes on with a Suspended long job.
    pub struct APIResumeLongJobMsg {
        uuid: String => checks().resource(LONG_JOB),
    }
    route = Route::action("/longjobs/{uuid}/actions");
    reply = InventoryReply<Model>;
    resource = uuid;
}

api_message! {
    /// Runs a finished long job (Succeeded, Failed or Canceled) again, under a new API id.
    pub struct APIRerunLongJobMsg {
        uuid: String => checks().resource(LONG_JOB),
    }
    route = Route::action("/longjobs/{uuid}/actions");
    reply = InventoryReply<Model>;
    resource = uuid;
}

api_message! {
    /// Deletes a finished long job (Succeeded, Failed or Canceled).
    pub struct APIDeleteLongJobMsg {
        uuid: String => checks().uuid().references(LONG_JOB),
    }
    route = Route::delete("/longjobs/{uuid}");
    reply = EmptyReply;
    resource = uuid;
}

zstack_kernel::standard_apis! {
    of LONG_JOB, inventory Model, path "/longjobs";
    update APIUpdateLongJobMsg;
}

/// Starts a Waiting long job on the node that handles it (ZStack's `SubmitLongJobMsg`):
/// Running, its API sent through the pipeline; answers the job as it then is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartLongJobMsg {
    pub uuid: String,
}

impl Message for StartLongJobMsg {
    const NAME: &'static str = "StartLongJobMsg";
    type Reply = Model;
}
