//! End-to-end tests of the whole node over real HTTP. Run with `TEST_DATABASE_URL=postgres://...`
//! to run the same tests on PostgreSQL.

// A test fails by panicking, and reports by printing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "../common/mod.rs"]
mod common;

mod accounts;
mod basic_flow;
mod cli;
mod cluster;
mod credentials;
mod datacenter;
mod gc;
mod hostile_jobs;
mod hostile_ownership;
mod hostile_query;
mod http_edges;
mod image;
mod injection;
mod license;
mod longjob;
mod management_node;
mod metrics;
mod network;
mod notification;
mod offerings;
mod openapi;
mod pipeline;
mod process;
mod query;
mod rest_rules;
mod seed_compat;
mod sharing;
mod shutdown;
mod simulator;
mod storage;
mod tags;
mod vm;
mod vm_cascade;
mod vm_nic;
mod vm_ops;
mod volume;
mod webhook;
mod zone;
