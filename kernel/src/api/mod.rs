//! The API message framework. One declaration per API (the [`api_message!`] macro) gives its
//! name, REST route, parameters with their checks, and reply type; the gateway, the validator and
//! the service registry all read that declaration.

mod params;
mod reply;
pub mod validate;

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use params::{Access, Checks, ParamKind, ParamSpec, ParamType, ResourceRef, checks};
pub use reply::{ApiReply, EmptyReply, Inventory, InventoryReply, Schema};

use crate::error::{ApiError, ErrorCode};
use crate::message::{Envelope, Message, Payload};
use crate::query::{QueryMsg, QueryRequest, Queryable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Delete,
}

/// Where an API's parameters sit in a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKey {
    /// GET and DELETE: parameters come from the query string.
    None,
    /// Creates: `{"params": {...}}`.
    Params,
    /// Actions: `{"<actionName>": {...}}`, the action name derived from the message name.
    Action,
}

/// An API's REST route: method, path (with `{var}` segments), body key, sync or async, and
/// whether it needs a session.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: HttpMethod,
    pub paths: Vec<&'static str>,
    pub body: BodyKey,
    pub sync: bool,
    pub needs_session: bool,
}

impl Route {
    fn new(method: HttpMethod, path: &'static str, body: BodyKey, sync: bool) -> Self {
        Route {
            method,
            paths: vec![path],
            body,
            sync,
            needs_session: true,
        }
    }

    /// A read: GET, sync, parameters in the query string.
    pub fn get(path: &'static str) -> Self {
        Self::new(HttpMethod::Get, path, BodyKey::None, true)
    }

    /// A create: POST with `{"params": {...}}`, async.
    pub fn post(path: &'static str) -> Self {
        Self::new(HttpMethod::Post, path, BodyKey::Params, false)
    }

    /// An action: PUT with `{"<actionName>": {...}}`, async.
    pub fn action(path: &'static str) -> Self {
        Self::new(HttpMethod::Put, path, BodyKey::Action, false)
    }

    /// A delete: DELETE, async, parameters in the query string.
    pub fn delete(path: &'static str) -> Self {
        Self::new(HttpMethod::Delete, path, BodyKey::None, false)
    }

    /// Another path answering the same API (e.g. `/zones/{uuid}` beside `/zones`).
    pub fn or(mut self, path: &'static str) -> Self {
        self.paths.push(path);
        self
    }

    /// Answered directly (200) instead of through a job (202).
    pub fn sync(mut self) -> Self {
        self.sync = true;
        self
    }

    /// Callable without `Authorization` (login, logout, getVersion, ...).
    pub fn without_session(mut self) -> Self {
        self.needs_session = false;
        self
    }
}

/// An API message: a bus message the gateway can build from an HTTP request. It and its reply
/// cross nodes as JSON.
pub trait ApiMessage:
    Message<Reply: ApiReply + DeserializeOwned> + Serialize + DeserializeOwned
{
    fn route() -> Route;
    fn params() -> Vec<ParamSpec>;
}

/// `APIChangeZoneStateMsg` → `changeZoneState`: ZStack's action body key for a message.
pub fn action_name(message_name: &str) -> String {
    let core = message_name.strip_prefix("API").unwrap_or(message_name);
    let core = core.strip_suffix("Msg").unwrap_or(core);
    let mut chars = core.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub type Decode = Box<dyn Fn(Value) -> Result<Envelope, ErrorCode> + Send + Sync>;
pub type DecodeQuery = Box<dyn Fn(QueryRequest) -> Envelope + Send + Sync>;
pub type Encode = Box<dyn Fn(Payload) -> Result<(Value, Schema), ErrorCode> + Send + Sync>;

/// How the gateway turns a request into the API's message.
pub enum ApiInput {
    /// Parameters → the message's fields.
    Params(Decode),
    /// Query string → a [`QueryRequest`].
    Query(DecodeQuery),
}

/// The type-erased form of an API declaration, as the gateway uses it.
pub struct ApiDescriptor {
    pub name: &'static str,
    pub route: Route,
    pub action: Option<String>,
    pub params: Vec<ParamSpec>,
    pub input: ApiInput,
    pub encode: Encode,
    /// For creates: the VO name of the resource created, which its creator owns and the
    /// request's `systemTags`/`userTags` attach to.
    pub creates: Option<&'static str>,
    /// The JSON schema of a successful reply's body (the OpenAPI document's 200).
    pub reply_schema: Value,
    /// For query APIs: the resource queried (its name in the query registry).
    pub queries: Option<&'static str>,
}

fn encoder<R: ApiReply>() -> Encode {
    Box::new(|payload: Payload| {
        let reply = payload.downcast::<R>().map_err(|_| {
            ErrorCode::from(ApiError::Internal("an API reply has the wrong type".into()))
        })?;
        let schema = reply.schema();
        let body = (*reply)
            .into_body()
            .map_err(|e| ErrorCode::from(ApiError::Internal(e.to_string())))?;
        Ok((body, schema))
    })
}

impl ApiDescriptor {
    pub fn of<M: ApiMessage>() -> Self {
        let route = M::route();
        let action = (route.body == BodyKey::Action).then(|| action_name(M::NAME));
        ApiDescriptor {
            name: M::NAME,
            route,
            action,
            params: M::params(),
            input: ApiInput::Params(Box::new(|params: Value| {
                let msg: M = serde_path_to_error::deserialize(params).map_err(|e| {
                    ErrorCode::from(ApiError::InvalidArgument(format!(
                        "field[{}] of message[{}]: {}",
                        e.path(),
                        M::NAME,
                        e.inner()
                    )))
                })?;
                Ok(Envelope::new(msg))
            })),
            encode: encoder::<M::Reply>(),
            creates: (M::route().method == HttpMethod::Post)
                .then_some(<M::Reply as ApiReply>::RESOURCE_TYPE)
                .flatten(),
            reply_schema: <M::Reply as ApiReply>::json_schema(),
            queries: None,
        }
    }

    pub fn query<T: Queryable>() -> Self {
        let mut route = Route::get(T::PATH);
        if let Some(by_uuid) = T::PATH_BY_UUID {
            route = route.or(by_uuid);
        }
        ApiDescriptor {
            name: T::QUERY_API,
            route,
            action: None,
            params: Vec::new(),
            input: ApiInput::Query(Box::new(|request| {
                Envelope::new(QueryMsg::<T>::new(request))
            })),
            encode: encoder::<crate::query::QueryReply>(),
            creates: None,
            reply_schema: T::meta().reply_schema(),
            queries: Some(T::meta().resource),
        }
    }
}

/// Every API the node answers, as its services declared them at start-up.
#[derive(Default)]
pub struct ApiRegistry {
    apis: crate::frozen::Frozen<Vec<Arc<ApiDescriptor>>>,
}

impl ApiRegistry {
    /// Adds an API; refuses a second API with the same name, or on the same method, path and
    /// body key as an existing one (the gateway could not tell them apart).
    pub fn add(&self, api: ApiDescriptor) -> Result<(), ErrorCode> {
        self.apis.write(|apis| Self::add_to(apis, api))
    }

    fn add_to(apis: &mut Vec<Arc<ApiDescriptor>>, api: ApiDescriptor) -> Result<(), ErrorCode> {
        let clash = apis.iter().find(|known| {
            known.name == api.name
                || (known.route.method == api.route.method
                    && known.action == api.action
                    && known
                        .route
                        .paths
                        .iter()
                        .any(|p| api.route.paths.contains(p)))
        });
        if let Some(known) = clash {
            return Err(ApiError::Internal(format!(
                "API {} clashes with {}: same name, or same method, path and body key",
                api.name, known.name
            ))
            .into());
        }
        apis.push(Arc::new(api));
        Ok(())
    }

    /// The API named `name` (`APICreateZoneMsg`).
    pub fn by_name(&self, name: &str) -> Option<Arc<ApiDescriptor>> {
        self.apis
            .read(|apis| apis.iter().find(|api| api.name == name).cloned())
    }

    pub fn freeze(&self) {
        self.apis.freeze();
    }

    pub fn all(&self) -> Vec<Arc<ApiDescriptor>> {
        self.apis.read(|apis| apis.clone())
    }
}

/// Declares an API message: the struct, its bus name, route, parameters and reply.
///
/// ```ignore
/// api_message! {
///     /// Creates a zone.
///     pub struct APICreateZoneMsg {
///         name: String => checks().max_len(255),
///         description: Option<String> => checks().max_len(2048),
///         is_default: Option<bool>,
///     }
///     route = Route::post("/zones");
///     reply = InventoryReply<ZoneInventory>;
/// }
/// ```
/// Fields are camelCase on the wire; a non-`Option` field is required. `resource = field;`
/// names the field holding the uuid the message acts on (for per-resource ordering); or
/// `sync_key = |msg| ...;` computes the key, for messages that must queue behind others.
#[macro_export]
macro_rules! api_message {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fmeta:meta])* $field:ident : $fty:ty $(=> $checks:expr)? ),* $(,)?
        }
        route = $route:expr;
        reply = $reply:ty;
        $( resource = $res:ident; )?
        $( sync_key = $sync_key:expr; )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        $vis struct $name {
            $( $(#[$fmeta])* pub $field: $fty ),*
        }

        impl $crate::message::Message for $name {
            const NAME: &'static str = stringify!($name);
            type Reply = $reply;
            $(
                fn queue_key(&self) -> Option<String> {
                    Some(self.$res.clone())
                }
            )?
            $(
                fn queue_key(&self) -> Option<String> {
                    let key: fn(&Self) -> Option<String> = $sync_key;
                    key(self)
                }
            )?
        }

        impl $crate::api::ApiMessage for $name {
            fn route() -> $crate::api::Route {
                $route
            }
            fn params() -> Vec<$crate::api::ParamSpec> {
                vec![ $( $crate::api::ParamSpec::of::<$fty>(stringify!($field)) $( .with($checks) )? ),* ]
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::api_message! {
        pub struct APIStartThingMsg { uuid: String }
        route = Route::action("/things/{uuid}/actions");
        reply = EmptyReply;
    }

    crate::api_message! {
        pub struct APIStopThingMsg { uuid: String }
        route = Route::action("/things/{uuid}/actions");
        reply = EmptyReply;
    }

    crate::api_message! {
        pub struct APICreateThingMsg { name: String }
        route = Route::post("/things");
        reply = EmptyReply;
    }

    crate::api_message! {
        pub struct APIAddThingMsg { name: String }
        route = Route::post("/things");
        reply = EmptyReply;
    }

    #[test]
    fn actions_share_a_path_but_two_creates_on_one_path_are_refused() {
        let registry = ApiRegistry::default();
        registry
            .add(ApiDescriptor::of::<APIStartThingMsg>())
            .unwrap();
        registry
            .add(ApiDescriptor::of::<APIStopThingMsg>())
            .unwrap();
        registry
            .add(ApiDescriptor::of::<APICreateThingMsg>())
            .unwrap();
        let err = registry
            .add(ApiDescriptor::of::<APIAddThingMsg>())
            .unwrap_err();
        assert!(err.details.unwrap().contains("APICreateThingMsg"));
        let err = registry
            .add(ApiDescriptor::of::<APIStopThingMsg>())
            .unwrap_err();
        assert!(err.details.unwrap().contains("APIStopThingMsg"));
        assert_eq!(action_name("APIStartThingMsg"), "startThing");
    }
}
