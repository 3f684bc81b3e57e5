//! Workflows (ZStack's FlowChain): a chain of named steps, each with its rollback. A failing
//! step rolls back every step done before it, in reverse order, and the chain fails naming the
//! step; a chain can be a step of another. Each step runs as a progress stage of the API it
//! works for. Tests (and operators chasing a bug) can make any step fail by name
//! ([`FlowFaults`]), to check that a failure at that point leaves nothing behind.

use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

use futures_util::future::BoxFuture;

use crate::error::{ApiResult, ErrorCode, operr};
use crate::node::NodeContext;

/// One step of a chain working on context `C`.
pub trait Flow<C: Send>: Send + Sync {
    fn name(&self) -> &str;

    /// Its name, then those of the steps inside it (a chain's): every name a fault can fail.
    fn names(&self) -> Vec<String> {
        vec![self.name().to_string()]
    }

    fn run<'a>(&'a self, node: &'a NodeContext, ctx: &'a mut C) -> BoxFuture<'a, ApiResult<()>>;

    /// Undoes what `run` did; called when a later step fails. A rollback that fails is logged
    /// and the others still run.
    fn rollback<'a>(
        &'a self,
        _node: &'a NodeContext,
        _ctx: &'a mut C,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async { Ok(()) })
    }
}

type RunFn<C> =
    Box<dyn for<'a> Fn(&'a NodeContext, &'a mut C) -> BoxFuture<'a, ApiResult<()>> + Send + Sync>;

/// A step made of two functions (see [`FlowChain::step`]).
struct FnFlow<C> {
    name: String,
    run: RunFn<C>,
    rollback: Option<RunFn<C>>,
}

impl<C: Send> Flow<C> for FnFlow<C> {
    fn name(&self) -> &str {
        &self.name
    }

    fn run<'a>(&'a self, node: &'a NodeContext, ctx: &'a mut C) -> BoxFuture<'a, ApiResult<()>> {
        (self.run)(node, ctx)
    }

    fn rollback<'a>(
        &'a self,
        node: &'a NodeContext,
        ctx: &'a mut C,
    ) -> BoxFuture<'a, ApiResult<()>> {
        match &self.rollback {
            Some(rollback) => rollback(node, ctx),
            None => Box::pin(async { Ok(()) }),
        }
    }
}

pub struct FlowChain<C> {
    name: String,
    flows: Vec<Box<dyn Flow<C>>>,
}

impl<C: Send + 'static> FlowChain<C> {
    pub fn new(name: impl Into<String>) -> Self {
        FlowChain {
            name: name.into(),
            flows: Vec::new(),
        }
    }

    /// Adds a step.
    pub fn then(mut self, flow: impl Flow<C> + 'static) -> Self {
        self.flows.push(Box::new(flow));
        self
    }

    /// Adds a step made of a function and, if it has one, its rollback.
    pub fn step(
        self,
        name: impl Into<String>,
        run: impl for<'a> Fn(&'a NodeContext, &'a mut C) -> BoxFuture<'a, ApiResult<()>>
        + Send
        + Sync
        + 'static,
        rollback: Option<RunFn<C>>,
    ) -> Self {
        self.then(FnFlow {
            name: name.into(),
            run: Box::new(run),
            rollback,
        })
    }

    /// The names of its steps in order, each followed by those of the steps inside it.
    pub fn steps(&self) -> Vec<String> {
        self.flows.iter().flat_map(|f| f.names()).collect()
    }

    /// Runs the steps in order. When one fails, the steps done roll back in reverse order and
    /// the chain fails with the step's name and its error as the cause.
    pub async fn run(&self, node: &NodeContext, ctx: &mut C) -> ApiResult<()> {
        let mut done: Vec<&dyn Flow<C>> = Vec::with_capacity(self.flows.len());
        for flow in &self.flows {
            let outcome = if node.flow_faults.fails(flow.name()) {
                Err(operr(format!("step [{}] failed by injection", flow.name())))
            } else {
                crate::progress::stage(&node.bus, flow.name(), flow.run(node, ctx)).await
            };
            if let Err(cause) = outcome {
                roll_back(node, ctx, &done).await;
                return Err(self.failed(flow.name(), cause));
            }
            done.push(flow.as_ref());
        }
        Ok(())
    }

    fn failed(&self, step: &str, cause: ErrorCode) -> ErrorCode {
        operr(format!(
            "{} failed at step [{step}]: {}",
            self.name,
            cause.details.clone().unwrap_or_default()
        ))
        .with_cause(cause)
    }
}

async fn roll_back<C: Send>(node: &NodeContext, ctx: &mut C, done: &[&dyn Flow<C>]) {
    for flow in done.iter().rev() {
        if let Err(e) = flow.rollback(node, ctx).await {
            tracing::error!(step = flow.name(), error = %e, "a rollback failed");
        }
    }
}

/// A chain is a step of another: it rolls itself back when one of its own steps fails, and
/// rolls back all of them when a later step of the outer chain fails.
impl<C: Send + 'static> Flow<C> for FlowChain<C> {
    fn name(&self) -> &str {
        &self.name
    }

    fn names(&self) -> Vec<String> {
        let mut names = vec![self.name.clone()];
        names.extend(self.steps());
        names
    }

    fn run<'a>(&'a self, node: &'a NodeContext, ctx: &'a mut C) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(FlowChain::run(self, node, ctx))
    }

    fn rollback<'a>(
        &'a self,
        node: &'a NodeContext,
        ctx: &'a mut C,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let all: Vec<&dyn Flow<C>> = self.flows.iter().map(|f| f.as_ref()).collect();
            roll_back(node, ctx, &all).await;
            Ok(())
        })
    }
}

/// Steps that fail on purpose, by name (fault injection for tests and diagnosis).
#[derive(Default)]
pub struct FlowFaults {
    failing: RwLock<HashSet<String>>,
}

impl FlowFaults {
    /// Makes every run of step `name` fail until cleared.
    pub fn fail(&self, name: &str) {
        self.failing
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string());
    }

    pub fn clear(&self) {
        self.failing
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn fails(&self, name: &str) -> bool {
        let failing = self.failing.read().unwrap_or_else(PoisonError::into_inner);
        !failing.is_empty() && failing.contains(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::NodeConfig;

    async fn node() -> NodeContext {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        NodeContext::new(NodeConfig::new("n".into(), "127.0.0.1".into(), 0), db)
    }

    /// A step that records its run and rollback in the context.
    fn recording(name: &'static str, fail: bool) -> FnFlow<Vec<String>> {
        FnFlow {
            name: name.into(),
            run: Box::new(move |_node, log: &mut Vec<String>| {
                Box::pin(async move {
                    if fail {
                        return Err(operr(format!("{name} broke")));
                    }
                    log.push(format!("run {name}"));
                    Ok(())
                })
            }),
            rollback: Some(Box::new(move |_node, log: &mut Vec<String>| {
                Box::pin(async move {
                    log.push(format!("undo {name}"));
                    Ok(())
                })
            })),
        }
    }

    #[tokio::test]
    async fn a_failing_step_rolls_back_the_done_ones_in_reverse_and_is_named() {
        let node = node().await;
        let inner = FlowChain::new("inner")
            .then(recording("b1", false))
            .then(recording("b2", false));
        let chain = FlowChain::new("CreateThing")
            .then(recording("a", false))
            .then(inner)
            .then(recording("c", true))
            .then(recording("d", false));
        assert_eq!(chain.steps(), ["a", "inner", "b1", "b2", "c", "d"]);
        let mut log = Vec::new();
        let e = chain.run(&node, &mut log).await.unwrap_err();
        assert_eq!(
            log,
            ["run a", "run b1", "run b2", "undo b2", "undo b1", "undo a"]
        );
        let details = e.details.clone().unwrap_or_default();
        assert!(
            details.contains("step [c]") && details.contains("c broke"),
            "{details}"
        );
    }

    #[tokio::test]
    async fn any_step_fails_by_injection_and_nothing_stays_done() {
        let node = node().await;
        let chain = FlowChain::new("CreateThing")
            .then(recording("a", false))
            .then(recording("b", false))
            .then(recording("c", false));
        for step in ["a", "b", "c"] {
            node.flow_faults.fail(step);
            let mut log = Vec::new();
            let e = chain.run(&node, &mut log).await.unwrap_err();
            assert!(e.details.unwrap_or_default().contains(step));
            let runs = log.iter().filter(|l| l.starts_with("run")).count();
            let undos = log.iter().filter(|l| l.starts_with("undo")).count();
            assert_eq!(runs, undos, "{step}: {log:?}");
            node.flow_faults.clear();
        }
        let mut log = Vec::new();
        chain.run(&node, &mut log).await.unwrap();
        assert_eq!(log, ["run a", "run b", "run c"]);
    }
}
