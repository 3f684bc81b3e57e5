//! Any API as a message on the bus: what a caller that is not HTTP sends (the CLI, a long job,
//! a test), checked by the same pipeline as a REST request.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{ApiCall, CallInput};
use crate::api::{ApiInput, validate};
use crate::error::{ApiResult, ErrorCode, argerr};
use crate::message::{Message, MsgContext, new_uuid};
use crate::node::NodeContext;
use crate::query::QueryRequest;

/// Runs API `api` (`APICreateZoneMsg`) with `params` (or, for a query API, `query`: a query
/// string such as `q=name=z1&limit=10`) as the session `sessionUuid`, and answers the body a
/// REST client would get. Async APIs run to their end, without a job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunApiMsg {
    pub api: String,
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub session_uuid: Option<String>,
}

impl Message for RunApiMsg {
    const NAME: &'static str = "RunApiMsg";
    type Reply = Value;
}

async fn run_api(node: NodeContext, msg: RunApiMsg, _ctx: MsgContext) -> ApiResult<Value> {
    let api = node
        .apis
        .by_name(&msg.api)
        .ok_or_else(|| argerr(format!("no API is named [{}]", msg.api)))?;
    let input = match &api.input {
        ApiInput::Params(_) => {
            CallInput::Params(validate::typecheck(&api.params, msg.params, false).map_err(argerr)?)
        }
        ApiInput::Query(_) => CallInput::Query(
            QueryRequest::from_query_string(&msg.query, &node.config.query_limits)
                .map_err(argerr)?,
        ),
    };
    let timeout = if api.route.sync {
        node.config.sync_api_timeout
    } else {
        node.config.api_timeout
    };
    let mut call = ApiCall::new(api, input, new_uuid(), timeout);
    call.credentials = msg.session_uuid;
    node.pipeline.clone().run(&node, call).await
}

/// Declares the `api` service, which answers [`RunApiMsg`].
pub fn start(node: &NodeContext) -> Result<(), ErrorCode> {
    node.service("api").handle(run_api).start()
}
