//! Long jobs' contract with the families (ZStack's `@LongJobFor`): a family declares which of
//! its APIs can run as a long job, and what it does for one beyond running the API through the
//! pipeline: stop on cancel (the handler watches [`crate::cancel`]), resume work that a dead or
//! restarted node left half done, and clean up after work that will not go on. The long-job
//! service reads this registry; the kernel runs no long job itself.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::api::ApiMessage;
use crate::bus::Bus;
use crate::error::ApiResult;
use crate::message::Message;

/// An API that can run as a long job, as its family declares it.
pub trait LongJobFor: Send + Sync + 'static {
    /// The API (`APIAddImageMsg`): the `jobName` of such long jobs.
    type Api: ApiMessage;
    /// The message the family answers with [`LongJobWork`] (`AddImageLongJobMsg`).
    const MESSAGE: &'static str;
    /// The API's handler stops when its API is canceled.
    const CANCELS: bool;
    /// The family can resume the API's work after its node stopped ([`LongJobStep::Resume`]).
    const RESUMES: bool;
    /// The family can undo what interrupted work left ([`LongJobStep::Clean`]).
    const CLEANS: bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LongJobStep {
    /// Go on with the API's work, which a node that stopped left behind.
    Resume,
    /// Undo what the API's interrupted work left behind.
    Clean,
}

/// What a family is asked about the work of one long job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LongJobWork {
    pub step: LongJobStep,
    pub long_job_uuid: String,
    /// The id the API runs under (its task progress and cancellation).
    pub api_id: String,
    /// The API's parameters, as the long job runs it.
    pub params: Map<String, Value>,
}

impl LongJobWork {
    /// The parameters as the API message `M` they were submitted for.
    pub fn api<M: crate::api::ApiMessage>(&self) -> Result<M, crate::ErrorCode> {
        serde_json::from_value(Value::Object(self.params.clone())).map_err(|e| {
            crate::error::argerr(format!(
                "long job[uuid:{}] does not hold the parameters of {}: {e}",
                self.long_job_uuid,
                M::NAME
            ))
        })
    }
}

/// The message of family `T` about one long job. A resume answers the API's reply body when
/// the work is done, or `None` when none of it had been done (the API then runs again); a
/// clean answers `None`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct LongJobMsg<T> {
    pub work: LongJobWork,
    #[serde(skip)]
    family: PhantomData<fn() -> T>,
}

impl<T> LongJobMsg<T> {
    pub fn new(work: LongJobWork) -> Self {
        LongJobMsg {
            work,
            family: PhantomData,
        }
    }
}

impl<T: LongJobFor> Message for LongJobMsg<T> {
    const NAME: &'static str = T::MESSAGE;
    type Reply = Option<Value>;
}

type Forward = Arc<
    dyn Fn(Bus, LongJobWork, Duration) -> BoxFuture<'static, ApiResult<Option<Value>>>
        + Send
        + Sync,
>;

/// One API that can run as a long job, and what its family can do for it.
pub struct LongJobKind {
    pub api: &'static str,
    pub cancels: bool,
    pub resumes: bool,
    pub cleans: bool,
    forward: Forward,
}

impl LongJobKind {
    /// Asks the family to take `work` on (see [`LongJobMsg`]), waiting at most `timeout`.
    pub async fn ask(
        &self,
        bus: &Bus,
        work: LongJobWork,
        timeout: Duration,
    ) -> ApiResult<Option<Value>> {
        (self.forward)(bus.clone(), work, timeout).await
    }
}

/// The APIs that can run as long jobs, as families declared them at start-up.
#[derive(Default)]
pub struct LongJobRegistry {
    kinds: crate::frozen::Frozen<Vec<Arc<LongJobKind>>>,
}

impl LongJobRegistry {
    pub fn add<T: LongJobFor>(&self) {
        let forward: Forward = Arc::new(|bus: Bus, work, timeout| {
            Box::pin(async move {
                bus.call_with_timeout(LongJobMsg::<T>::new(work), timeout)
                    .await
            })
        });
        let kind = LongJobKind {
            api: <T::Api as Message>::NAME,
            cancels: T::CANCELS,
            resumes: T::RESUMES,
            cleans: T::CLEANS,
            forward,
        };
        self.kinds.write(|kinds| kinds.push(Arc::new(kind)));
    }

    /// The long-job kind of API `api` (`APIAddImageMsg`).
    pub fn get(&self, api: &str) -> Option<Arc<LongJobKind>> {
        self.kinds
            .read(|kinds| kinds.iter().find(|k| k.api == api).cloned())
    }

    /// The APIs that can run as long jobs, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.kinds.read(|k| k.iter().map(|k| k.api).collect());
        names.sort_unstable();
        names
    }

    pub fn freeze(&self) {
        self.kinds.freeze();
    }
}
