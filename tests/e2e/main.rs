//! End-to-end tests of the whole node over real HTTP. Run with `TEST_DATABASE_URL=postgres://...`
//! to run the same tests on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod basic_flow;
mod cluster;
mod datacenter;
mod injection;
mod management_node;
mod metrics;
mod openapi;
mod process;
mod query;
mod rest_rules;
mod shutdown;
mod webhook;
mod zone;
