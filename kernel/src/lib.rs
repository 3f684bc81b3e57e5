//! The zstack-rs kernel: the message bus, the API message framework, the REST gateway, the query
//! engine, persistence and the node context. It names no resource family; services register
//! their messages, routes, query metadata and migrations with it at start-up.

pub mod api;
pub mod bus;
pub mod cancel;
pub mod cascade;
pub mod db;
pub mod error;
pub mod events;
pub mod family;
pub mod frozen;
pub mod gateway;
pub mod gc;
pub mod hostname;
pub mod identity;
pub mod jobs;
pub mod longjob;
pub mod message;
pub mod node;
pub mod node_ring;
pub mod pipeline;
pub mod progress;
pub mod query;
pub mod resource;
pub mod schema;
pub mod simulator;
pub mod tags;
pub mod time;
pub mod workflow;

pub use error::{ApiError, ApiResult, ErrorCode};
pub use message::{Message, MsgContext, SessionInfo};
pub use node::{NodeConfig, NodeContext};

/// Re-exported for the [`api_message!`] macro and for services.
pub use serde;

// The declaration macros name the kernel by its crate name (serde attributes take paths as text).
extern crate self as zstack_kernel;
