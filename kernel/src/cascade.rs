//! Cascade on delete (ZStack's cascade framework): each family declares which parents it
//! depends on and what it does when one goes. Deleting a zone asks every family that declared
//! `ZoneVO` as a parent, through that family's own service; each of them cascades to its own
//! children before it deletes, so resources go in dependency order.
//!
//! `Permissive` first asks every family whether it may go (a check pass down the whole tree) and
//! refuses the delete when one says no; `Enforcing` deletes whatever a child says. Every request
//! carries what the delete API named (ZStack's root issuer), so that a family can tell a host
//! deleted alone from the hosts of a zone being deleted.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::api::EmptyReply;
use crate::bus::Bus;
use crate::error::{ApiResult, ErrorCode, argerr};
use crate::message::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteMode {
    Permissive,
    Enforcing,
}

impl DeleteMode {
    /// A delete API's `deleteMode` (default Permissive, as in ZStack).
    pub fn parse(mode: Option<&str>) -> ApiResult<Self> {
        match mode {
            None | Some("Permissive") => Ok(DeleteMode::Permissive),
            Some("Enforcing") => Ok(DeleteMode::Enforcing),
            Some(other) => Err(argerr(format!(
                "deleteMode must be Permissive or Enforcing, not [{other}]"
            ))),
        }
    }
}

/// What a family is asked when parents of one type go.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CascadeRequest {
    /// The parents' VO name (`ZoneVO`).
    pub parent_type: String,
    pub parent_uuids: Vec<String>,
    pub mode: DeleteMode,
    /// True for the check pass: say whether the resources may go, delete nothing.
    pub check_only: bool,
    /// The account deleting, when it is not admin: in the check pass every dependent must be
    /// its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acting_account: Option<String>,
    /// The VO name of what the delete API named (ZStack's root issuer): a zone's going reaches
    /// its hosts with `ZoneVO` here, a host's own delete with `HostVO`.
    #[serde(default)]
    pub root_type: String,
}

impl CascadeRequest {
    /// The same pass, one level down: resources `uuids` of VO type `vo` are the parents now.
    pub fn below(&self, vo: &str, uuids: Vec<String>) -> CascadeRequest {
        CascadeRequest {
            parent_type: vo.to_string(),
            parent_uuids: uuids,
            ..self.clone()
        }
    }

    /// Whether a family should refuse for its own reasons (a busy host): only in the
    /// Permissive check pass. An Enforcing delete checks ownership alone.
    pub fn asks_refusals(&self) -> bool {
        self.check_only && self.mode == DeleteMode::Permissive
    }
}

/// A family that takes part in cascades.
pub trait CascadeFamily: Send + Sync + 'static {
    /// Its cascade message's name (`ClusterCascadeMsg`).
    const MESSAGE: &'static str;
    /// The VO names of the parents whose deletion reaches it (`"*"`: every resource).
    const PARENTS: &'static [&'static str];
}

/// The cascade message of family `T`.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct CascadeMsg<T> {
    pub request: CascadeRequest,
    #[serde(skip)]
    family: PhantomData<fn() -> T>,
}

impl<T> CascadeMsg<T> {
    pub fn new(request: CascadeRequest) -> Self {
        CascadeMsg {
            request,
            family: PhantomData,
        }
    }
}

impl<T: CascadeFamily> Message for CascadeMsg<T> {
    const NAME: &'static str = T::MESSAGE;
    type Reply = EmptyReply;
}

type Forward = Arc<dyn Fn(Bus, CascadeRequest) -> BoxFuture<'static, ApiResult<()>> + Send + Sync>;

/// Parent VO name → the families to ask, in the order they registered.
#[derive(Default)]
pub struct CascadeRegistry {
    children: crate::frozen::Frozen<HashMap<&'static str, Vec<(&'static str, Forward)>>>,
}

impl CascadeRegistry {
    pub fn add<T: CascadeFamily>(&self) {
        let forward: Forward = Arc::new(|bus: Bus, request| {
            Box::pin(async move {
                bus.call(CascadeMsg::<T>::new(request)).await?;
                Ok(())
            })
        });
        self.children.write(|children| {
            for parent in T::PARENTS {
                children
                    .entry(*parent)
                    .or_default()
                    .push((T::MESSAGE, forward.clone()));
            }
        });
    }

    pub fn freeze(&self) {
        self.children.freeze();
    }

    /// The families to ask when `parent` resources go: those that named it, then those that
    /// follow every resource (`"*"`: tags, owner records), last.
    fn children_of(&self, parent: &str) -> Vec<(&'static str, Forward)> {
        self.children.read(|children| {
            let mut found = children.get(parent).cloned().unwrap_or_default();
            found.extend(children.get("*").cloned().unwrap_or_default());
            found
        })
    }

    /// One pass over the children of `request`'s parents, each asked `request`; a check pass
    /// is itself recursive through each family.
    pub async fn pass(&self, bus: &Bus, request: &CascadeRequest) -> ApiResult<()> {
        if request.parent_uuids.is_empty() {
            return Ok(());
        }
        for (family, forward) in self.children_of(&request.parent_type) {
            if let Err(e) = forward(bus.clone(), request.clone()).await {
                if request.mode == DeleteMode::Enforcing && !request.check_only {
                    tracing::warn!(family, error = %e, "a child refused; Enforcing goes on");
                    continue;
                }
                // Another account's dependents are refused as such, not as a failed delete.
                if e.code == "ID.1002" {
                    return Err(e);
                }
                return Err(refused(&request.parent_type, e));
            }
        }
        Ok(())
    }
}

fn refused(parent_type: &str, cause: ErrorCode) -> ErrorCode {
    crate::error::operr(format!(
        "cannot delete the {parent_type} resources: {}",
        cause.details.clone().unwrap_or_default()
    ))
    .with_cause(cause)
}
