//! What every part of a running node shares: its configuration, database, bus and registries,
//! and the builder through which a service declares its APIs and starts.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{ApiDescriptor, ApiMessage, ApiRegistry};
use crate::bus::{Bus, Codec, Service};
use crate::cascade::{CascadeFamily, CascadeMsg, CascadeRegistry, CascadeRequest};
use crate::error::ErrorCode;
use crate::message::{Message, MsgContext};
use crate::node_ring::{NodeInfo, NodeRing};
use crate::query::{QueryLimits, QueryMsg, QueryRegistry, QueryReply, Queryable};
use crate::resource::ResourceTypes;
use crate::tags::TagPatterns;

/// Node settings the kernel and the services read.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub node_uuid: String,
    /// The address this node advertises (in its management-node row).
    pub host_name: String,
    pub port: u16,
    /// Default timeout of async APIs (ZStack: 30 minutes); `X-API-Timeout` overrides it.
    pub api_timeout: Duration,
    /// Default timeout of sync APIs (ZStack: 5 minutes).
    pub sync_api_timeout: Duration,
    /// How long a finished job stays pollable.
    pub job_retention: Duration,
    pub session_timeout: Duration,
    /// How often simulated hosts and storage are pinged.
    pub ping_interval: Duration,
    /// How long an API's task progress stays after the API ends (ZStack: 300 s).
    pub progress_delete_delay: Duration,
    /// How long any task progress stays at most (ZStack: 1 day).
    pub progress_ttl: Duration,
    pub heartbeat_interval: Duration,
    /// A node whose last heartbeat is older than this (by the database's clock) is dead.
    pub node_dead_after: Duration,
    /// The services this node runs (`None`: all of them).
    pub services: Option<Vec<String>>,
    /// Webhook deliveries: tries, and the longest pause between two.
    pub webhook_tries: u32,
    pub webhook_max_backoff: Duration,
    /// Most `systemTags` and `userTags` one request may carry.
    pub max_tags_per_request: usize,
    /// What one query may ask for, and how long the database may work on it.
    pub query_limits: QueryLimits,
    /// `--webhook-allow`: when not empty, the only receivers webhooks may go to.
    pub webhook_allow: Vec<crate::jobs::webhook_target::AllowEntry>,
    /// `--public-url`: the base of every job location, whatever the request's headers say.
    pub public_url: Option<String>,
    /// `--trust-forwarded`: job locations follow well-formed `Forwarded` / `X-Forwarded-*`.
    pub trust_forwarded: bool,
    /// How long a request body may take to arrive.
    pub body_timeout: Duration,
    /// Failed logins for one account from one client address within `login_failure_window`
    /// after which that address is refused for that account until the window ends (0: never).
    pub login_max_failures: u32,
    pub login_failure_window: Duration,
    /// Settings of one service, by name (`<service>.<setting>`): handed over as the node was
    /// given them, read only by the service that owns the name.
    pub settings: BTreeMap<String, String>,
}

impl NodeConfig {
    /// Service setting `name` in seconds, or `default` when unset or not a number.
    pub fn setting_secs(&self, name: &str, default: Duration) -> Duration {
        self.settings
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs)
            .unwrap_or(default)
    }

    pub fn new(node_uuid: String, host_name: String, port: u16) -> Self {
        NodeConfig {
            node_uuid,
            host_name,
            port,
            api_timeout: Duration::from_secs(30 * 60),
            sync_api_timeout: Duration::from_secs(5 * 60),
            job_retention: Duration::from_secs(2 * 24 * 3600),
            session_timeout: Duration::from_secs(7200),
            ping_interval: Duration::from_secs(60),
            progress_delete_delay: Duration::from_secs(300),
            progress_ttl: Duration::from_secs(24 * 3600),
            heartbeat_interval: Duration::from_secs(5),
            node_dead_after: Duration::from_secs(30),
            services: None,
            webhook_tries: 15,
            webhook_max_backoff: Duration::from_secs(2),
            max_tags_per_request: 256,
            query_limits: QueryLimits::default(),
            webhook_allow: Vec::new(),
            public_url: None,
            trust_forwarded: false,
            body_timeout: Duration::from_secs(30),
            login_max_failures: 5,
            login_failure_window: Duration::from_secs(60),
            settings: BTreeMap::new(),
        }
    }

    /// Setting `name` of a service (see [`settings`](Self::settings)), if the node was given it.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(String::as_str)
    }
}

#[derive(Clone)]
pub struct NodeContext {
    pub config: Arc<NodeConfig>,
    pub db: DatabaseConnection,
    pub bus: Bus,
    pub apis: Arc<ApiRegistry>,
    pub queries: Arc<QueryRegistry>,
    pub cascades: Arc<CascadeRegistry>,
    pub tag_patterns: Arc<TagPatterns>,
    /// Resource VO name → table, for checks that name a resource by type (`HostVO`).
    pub resources: Arc<ResourceTypes>,
    /// The checks every API call goes through, whoever sends it.
    pub pipeline: Arc<crate::pipeline::Pipeline>,
    /// What services write with every new resource, in its create's transaction.
    pub create_hooks: Arc<crate::resource::CreateHooks>,
    /// Workflow steps made to fail on purpose.
    pub flow_faults: Arc<crate::workflow::FlowFaults>,
    /// The GC runners families registered, by name.
    pub gc_runners: Arc<crate::gc::Runners>,
    /// The APIs that can run as long jobs, and what their families do for them.
    pub long_jobs: Arc<crate::longjob::LongJobRegistry>,
    /// Cancellation requests of the APIs running here, by API id.
    pub cancellations: Arc<crate::cancel::Cancellations>,
}

impl NodeContext {
    /// Deletes resources `uuids` of VO type `vo` for a delete API: with Permissive, every
    /// dependent is asked first and a refusal stops it all; then the dependents go (children
    /// first) and `remove` deletes the resources' own rows. An account other than admin may
    /// delete only when it owns every dependent too, whatever the mode: deleting its zone must
    /// not take another account's cluster with it (ID.1002 naming the others' resources).
    pub async fn delete_resources<F, Fut>(
        &self,
        ctx: &MsgContext,
        vo: &str,
        uuids: Vec<String>,
        mode: crate::cascade::DeleteMode,
        remove: F,
    ) -> Result<(), ErrorCode>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<(), ErrorCode>>,
    {
        let acting = ctx
            .session
            .as_ref()
            .filter(|s| !s.is_admin)
            .map(|s| s.account_uuid.clone());
        let request = CascadeRequest {
            parent_type: vo.to_string(),
            parent_uuids: uuids,
            mode,
            check_only: true,
            acting_account: acting,
            root_type: vo.to_string(),
        };
        if mode == crate::cascade::DeleteMode::Permissive || request.acting_account.is_some() {
            self.cascades.pass(&self.bus, &request).await?;
        }
        self.remove_resources(request, remove).await
    }

    /// A delete API on resource `uuid` of `of`: its `deleteMode` (Permissive when absent), then
    /// [`delete_resources`](Self::delete_resources).
    pub async fn delete_one<F, Fut>(
        &self,
        ctx: &MsgContext,
        of: crate::api::ResourceRef,
        uuid: String,
        mode: Option<&str>,
        remove: F,
    ) -> Result<crate::api::EmptyReply, ErrorCode>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<(), ErrorCode>>,
    {
        let mode = crate::cascade::DeleteMode::parse(mode)?;
        self.delete_resources(ctx, of.vo_name, vec![uuid], mode, remove)
            .await?;
        Ok(crate::api::EmptyReply {})
    }

    /// Answers a cascade request about resources `uuids` of VO type `vo`, whose parents are
    /// going: the check pass makes sure the acting account owns them and asks their own
    /// dependents; the delete pass removes the dependents, then `remove` deletes the
    /// resources' rows.
    pub async fn cascade_to<F, Fut>(
        &self,
        vo: &str,
        uuids: Vec<String>,
        req: &CascadeRequest,
        remove: F,
    ) -> Result<(), ErrorCode>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<(), ErrorCode>>,
    {
        if req.check_only {
            if let Some(account) = &req.acting_account
                && !uuids.is_empty()
            {
                let check = crate::identity::CheckAccessMsg {
                    account_uuid: account.clone(),
                    resources: uuids
                        .iter()
                        .map(|u| crate::identity::ResourceKey::new(u.clone(), Some(vo)))
                        .collect(),
                };
                self.bus.call(check).await?;
            }
            return self.cascades.pass(&self.bus, &req.below(vo, uuids)).await;
        }
        self.remove_resources(req.below(vo, uuids), remove).await
    }

    /// The delete pass of `request`'s parents: their dependents go, then `remove` deletes
    /// their rows.
    async fn remove_resources<F, Fut>(
        &self,
        request: CascadeRequest,
        remove: F,
    ) -> Result<(), ErrorCode>
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<(), ErrorCode>>,
    {
        if request.parent_uuids.is_empty() {
            return Ok(());
        }
        let request = CascadeRequest {
            check_only: false,
            acting_account: None,
            ..request
        };
        self.cascades.pass(&self.bus, &request).await?;
        let CascadeRequest {
            parent_type: vo,
            parent_uuids: uuids,
            ..
        } = request;
        remove(uuids.clone()).await?;
        if let Some(of) = self.resources.get(&vo) {
            crate::resource::registry::release(&self.db, of, &uuids).await?;
        }
        self.bus.publish(crate::events::ResourceDeleted {
            resource_type: vo,
            resource_uuids: uuids,
        });
        Ok(())
    }

    /// The inventory of resource `uuid` of VO type `vo`, as its query API answers it.
    pub async fn inventory(
        &self,
        vo: &str,
        uuid: &str,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, ErrorCode> {
        let Some(meta) = self
            .resources
            .table_of(vo)
            .and_then(|table| self.queries.by_table(table))
        else {
            return Ok(None);
        };
        let mut request = crate::query::QueryRequest::default();
        request.conditions.push(crate::query::Condition {
            path: "uuid".into(),
            op: crate::query::QueryOp::Eq,
            value: Some(uuid.to_string()),
        });
        request.limit = 1;
        let reply = crate::query::execute(
            &self.db,
            &self.queries,
            &meta,
            &request,
            &self.config.query_limits,
        )
        .await?;
        Ok(reply.inventories.and_then(|mut found| found.pop()))
    }

    pub fn new(config: NodeConfig, db: DatabaseConnection) -> Self {
        let me = NodeInfo {
            uuid: config.node_uuid.clone(),
            services: config.services.clone(),
        };
        let bus = Bus::with_ring(config.api_timeout, Arc::new(NodeRing::new(me)));
        let cancellations = Arc::new(crate::cancel::Cancellations::default());
        let marks = cancellations.clone();
        // A cancel may be asked on any node; the handler doing the work may run on any other.
        bus.subscribe(move |e: &crate::cancel::ApiCancelRequested| marks.mark(&e.api_id))
            .forever();
        NodeContext {
            config: Arc::new(config),
            db,
            bus,
            apis: Arc::new(ApiRegistry::default()),
            queries: Arc::new(QueryRegistry::default()),
            cascades: Arc::new(CascadeRegistry::default()),
            tag_patterns: Arc::new(TagPatterns::default()),
            resources: Arc::new(ResourceTypes::default()),
            pipeline: Arc::new(crate::pipeline::Pipeline::default()),
            create_hooks: Arc::new(crate::resource::CreateHooks::default()),
            flow_faults: Arc::new(crate::workflow::FlowFaults::default()),
            gc_runners: Arc::new(crate::gc::Runners::default()),
            long_jobs: Arc::new(crate::longjob::LongJobRegistry::default()),
            cancellations,
        }
    }

    /// Ends start-up: what services declared (APIs, query metadata, cascades, tag patterns,
    /// resource types, the pipeline, create hooks, GC runners, long-job kinds) is final, and
    /// requests read it without a lock.
    pub fn freeze(&self) {
        self.apis.freeze();
        self.queries.freeze();
        self.cascades.freeze();
        self.tag_patterns.freeze();
        self.resources.freeze();
        self.pipeline.freeze();
        self.create_hooks.freeze();
        self.gc_runners.freeze();
        self.long_jobs.freeze();
    }

    /// Starts declaring service `id`.
    pub fn service(&self, id: &str) -> ServiceBuilder {
        ServiceBuilder {
            node: self.clone(),
            service: Service::new(id),
            refused: None,
        }
    }
}

/// Declares a service: each API it handles is registered with the gateway at the same time as its
/// handler, so a route never exists without one.
pub struct ServiceBuilder {
    node: NodeContext,
    service: Service,
    /// The first declaration the registry refused; `start` reports it.
    refused: Option<ErrorCode>,
}

impl ServiceBuilder {
    /// Handles API `M` (and publishes its REST route).
    pub fn api<M, F, Fut>(self, handler: F) -> Self
    where
        M: ApiMessage,
        F: Fn(NodeContext, M, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, ErrorCode>> + Send + 'static,
    {
        let added = self.node.apis.add(ApiDescriptor::of::<M>());
        self.note(added).handle(handler)
    }

    /// Runs this service on every node, whatever `--services` places (per-node state).
    pub fn on_every_node(mut self) -> Self {
        self.service = self.service.on_every_node();
        self
    }

    /// Handles internal message `M` (no REST route).
    pub fn handle<M, F, Fut>(self, handler: F) -> Self
    where
        M: Message + Serialize + DeserializeOwned,
        M::Reply: Serialize + DeserializeOwned,
        F: Fn(NodeContext, M, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, ErrorCode>> + Send + 'static,
    {
        self.handle_with(Codec::of::<M>(), handler)
    }

    fn handle_with<M, F, Fut>(mut self, codec: Codec, handler: F) -> Self
    where
        M: Message,
        F: Fn(NodeContext, M, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<M::Reply, ErrorCode>> + Send + 'static,
    {
        let node = self.node.clone();
        self.service = self
            .service
            .handle_with(codec, move |msg: M, ctx| handler(node.clone(), msg, ctx));
        self
    }

    /// Answers the query API of `T` with the query engine, and makes `T` reachable from other
    /// resources' dotted paths.
    pub fn query<T: Queryable>(self) -> Self {
        let meta = Arc::new(T::meta());
        self.node.queries.add((*meta).clone());
        let added = self.node.apis.add(ApiDescriptor::query::<T>());
        let class = meta.inventory_class;
        let codec = Codec::with_reply_decoder::<QueryMsg<T>>(move |value| {
            QueryReply::from_wire(value, class)
        });
        let resource = meta.resource;
        self.note(added)
            .handle_with(codec, move |node: NodeContext, msg: QueryMsg<T>, _ctx| {
                // The registered metadata: it holds the relations other services added since.
                let meta = node.queries.get(resource).unwrap_or_else(|| meta.clone());
                async move {
                    let limits = node.config.query_limits;
                    crate::query::execute(&node.db, &node.queries, &meta, &msg.request, &limits)
                        .await
                }
            })
    }

    /// Serves a declared table ([`crate::resource_table!`]): its resource type, its query API,
    /// its relations both ways, and its part in cascades when it has parents.
    pub fn table<T: crate::family::ResourceTable>(self) -> Self {
        for r in T::REFERENCES {
            self.node.queries.relate(
                r.target,
                crate::query::Relation::new(T::QUERY, T::QUERY, "uuid", r.field),
            );
        }
        let declared = self.resource(T::OF).query::<T>();
        if T::PARENT_COLUMNS.is_empty() {
            return declared;
        }
        declared.cascade::<T, _, _>(crate::family::handlers::parent_gone::<T>)
    }

    /// Declares a resource type this service owns (its VO name and table), so tags and other
    /// type-named checks can find its resources.
    pub fn resource(self, resource: crate::api::ResourceRef) -> Self {
        self.node.resources.add(resource);
        self.node
            .queries
            .set_resource_type(resource.table, resource.vo_name);
        self
    }

    /// Accepts system tags matching `pattern` on `resource_type` resources.
    pub fn system_tag(self, resource_type: &'static str, pattern: &'static str) -> Self {
        self.node.tag_patterns.add(resource_type, pattern);
        self
    }

    /// Lets API `T::Api` run as a long job: `handler` answers the long-job service's
    /// [`LongJobMsg`](crate::longjob::LongJobMsg) about one (resume or clean its work).
    pub fn long_job<T, F, Fut>(self, handler: F) -> Self
    where
        T: crate::longjob::LongJobFor,
        F: Fn(NodeContext, crate::longjob::LongJobWork, MsgContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<serde_json::Value>, ErrorCode>> + Send + 'static,
    {
        self.node.long_jobs.add::<T>();
        self.handle(
            move |node: NodeContext, msg: crate::longjob::LongJobMsg<T>, ctx| {
                handler(node, msg.work, ctx)
            },
        )
    }

    /// Takes part in cascades as family `T`: `handler` is asked when one of `T::PARENTS` goes.
    pub fn cascade<T, F, Fut>(self, handler: F) -> Self
    where
        T: CascadeFamily,
        F: Fn(NodeContext, CascadeRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ErrorCode>> + Send + 'static,
    {
        self.node.cascades.add::<T>();
        self.handle(move |node: NodeContext, msg: CascadeMsg<T>, _ctx| {
            let done = handler(node, msg.request);
            async move {
                done.await?;
                Ok(crate::api::EmptyReply {})
            }
        })
    }

    /// Registers GC runner `name` (a job's `runnerClass`): it takes a job's context and tries
    /// the cleanup; `Ok` makes the job Done, an error leaves it to be tried again.
    pub fn gc_runner<C, F, Fut>(self, name: &'static str, runner: F) -> Self
    where
        C: DeserializeOwned + Send + 'static,
        F: Fn(NodeContext, C, crate::gc::Run) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ErrorCode>> + Send + 'static,
    {
        let added = self.node.gc_runners.add(name, runner);
        self.note(added)
    }

    fn note(mut self, added: Result<(), ErrorCode>) -> Self {
        if let Err(e) = added {
            self.refused.get_or_insert(e);
        }
        self
    }

    /// Declares the service's messages on the bus, and runs it when this node is to run it.
    pub fn start(self) -> Result<(), ErrorCode> {
        if let Some(e) = self.refused {
            return Err(e);
        }
        self.node.bus.register(self.service)
    }
}
