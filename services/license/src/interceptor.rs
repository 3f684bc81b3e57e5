//! The license's part of the API pipeline: an expired license refuses creates, and a license's
//! host and CPU limits refuse the host that would pass them. Reads, actions, deletes and logins
//! are never refused.

use std::sync::Arc;

use chrono::Utc;
use futures_util::future::BoxFuture;
use serde_json::Value;
use zstack_header::host::{ADD_HOST_APIS, GetHostUsageMsg};
use zstack_kernel::api::HttpMethod;
use zstack_kernel::error::operr;
use zstack_kernel::pipeline::{ApiCall, CallInput, Interceptor};
use zstack_kernel::{ApiResult, NodeContext};

use crate::handlers::{describe, seed_date};
use crate::state::LicenseState;

pub struct LicenseCheck {
    pub state: Arc<LicenseState>,
}

impl Interceptor for LicenseCheck {
    fn before<'a>(
        &'a self,
        node: &'a NodeContext,
        call: &'a mut ApiCall,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            if call.api.route.method != HttpMethod::Post {
                return Ok(());
            }
            // No license: Free, without limits.
            let Some(installed) = self.state.current() else {
                return Ok(());
            };
            let license = &installed.payload;
            if license.expired_at(Utc::now()) {
                return Err(operr(format!(
                    "{} expired on {}: {} is refused until a valid license is installed (UpdateLicense); queries, deletes and logins still work",
                    describe(&installed),
                    seed_date(license.expired_date),
                    call.api.name
                )));
            }
            let Some((_, cpu_param)) = ADD_HOST_APIS
                .iter()
                .find(|(name, _)| *name == call.api.name)
            else {
                return Ok(());
            };
            let new_cpu = match (&call.input, cpu_param) {
                (CallInput::Params(params), Some(param)) => {
                    params.get(*param).and_then(Value::as_i64).unwrap_or(0)
                }
                _ => 0,
            };
            // Two adds racing past this check together can pass the limit by one host: the
            // count is the host service's, asked for, not a lock on its table.
            let usage = node.bus.call(GetHostUsageMsg {}).await?;
            if usage.host_num >= license.host_num {
                return Err(operr(format!(
                    "{} allows {} host(s) (its hostNum), and {} are managed already: no host can be added",
                    describe(&installed),
                    license.host_num,
                    usage.host_num
                )));
            }
            let cpus = usage.cpu_num.saturating_add(new_cpu);
            if cpus > license.cpu_num {
                return Err(operr(format!(
                    "{} allows {} CPUs over all hosts (its cpuNum): the hosts have {} and the new host would bring {}, {} in all",
                    describe(&installed),
                    license.cpu_num,
                    usage.cpu_num,
                    new_cpu,
                    cpus
                )));
            }
            Ok(())
        })
    }
}
