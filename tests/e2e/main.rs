//! End-to-end tests of the whole node over real HTTP. Run with `TEST_DATABASE_URL=postgres://...`
//! to run the same tests on PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod basic_flow;
mod cluster;
mod credentials;
mod datacenter;
mod image;
mod injection;
mod management_node;
mod metrics;
mod network;
mod offerings;
mod openapi;
mod process;
mod query;
mod rest_rules;
mod shutdown;
mod storage;
mod tags;
mod webhook;
mod zone;
