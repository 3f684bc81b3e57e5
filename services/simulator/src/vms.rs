//! What simulated hosts run: a VM on one host at most, Running or Paused, changed by the VM
//! operations the VM family sends (as to a host's agent) or behind the node's back through the
//! control surface (`vmStates`).

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm_migration::prelude::{Index, Table};
use sea_orm_migration::schema::{string_len, timestamp_with_time_zone};
use zstack_header::host::HOST;
use zstack_header::simulator::{
    ForgetHostVmMsg, GetHostVmsMsg, HostMigrateVmMsg, HostVmOperationMsg, HostVms, VmOnHost,
};
use zstack_kernel::api::EmptyReply;
use zstack_kernel::error::{ApiError, operr};
use zstack_kernel::schema::CreateTables;
use zstack_kernel::simulator::{self, operate, take_failure};
use zstack_kernel::{ApiResult, ErrorCode, MsgContext, NodeContext};

const VM_TABLE: &str = "simulator_vm";

/// The VM operations a simulated host answers, each of which can be made to fail once.
pub const HOST_VM_OPERATIONS: &[&str] = &[
    "StartVm",
    "StopVm",
    "RebootVm",
    "PauseVm",
    "ResumeVm",
    "MigrateVm",
    "DestroyVm",
];

/// The states a VM can have on a simulated host (one it does not run is stopped).
pub const VM_STATES_ON_HOST: &[&str] = &["Running", "Paused", "Stopped"];

/// The VMs on simulated hosts: a VM runs on one host at most.
pub fn migration() -> CreateTables {
    CreateTables::new("m0042_simulator_vm")
        .table(
            Table::create()
                .table(VM_TABLE)
                .col(string_len("vm_uuid", 32).primary_key())
                .col(string_len("host_uuid", 32))
                .col(string_len("state", 32))
                .col(timestamp_with_time_zone("last_op_date")),
        )
        .index(
            Index::create()
                .name("idx_simulator_vm_host_uuid")
                .table(VM_TABLE)
                .col("host_uuid"),
        )
}

fn told_to_fail(host: &str, operation: &str, vm: &str) -> ErrorCode {
    operr(format!(
        "{operation} of VM[uuid:{vm}] failed on {}[uuid:{host}]: its simulator was told to fail it",
        HOST.vo_name
    ))
}

fn not_on_host(host: &str, vm: &str) -> ErrorCode {
    operr(format!(
        "VM[uuid:{vm}] is not running on {}[uuid:{host}]",
        HOST.vo_name
    ))
}

pub async fn vm_operation(
    node: NodeContext,
    msg: HostVmOperationMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let (db, host, vm, operation) = (&node.db, &msg.host_uuid, &msg.vm_uuid, &msg.operation);
    let needs_vm = matches!(operation.as_str(), "RebootVm" | "PauseVm" | "ResumeVm");
    let after = match operation.as_str() {
        "StartVm" | "RebootVm" | "ResumeVm" => Some("Running"),
        "PauseVm" => Some("Paused"),
        "StopVm" | "DestroyVm" => None,
        _ => {
            return Err(ApiError::Internal(format!(
                "a simulated host has no VM operation {operation}"
            ))
            .into());
        }
    };
    operate(db, HOST, host).await?;
    if take_failure(db, host, operation).await? {
        return Err(told_to_fail(host, operation, vm));
    }
    if needs_vm && !host_vms(db, host).await?.iter().any(|v| v.uuid == *vm) {
        return Err(not_on_host(host, vm));
    }
    set_host_vm(db, host, vm, after).await?;
    Ok(EmptyReply {})
}

pub async fn migrate_vm(
    node: NodeContext,
    msg: HostMigrateVmMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    let (db, from, to, vm) = (
        &node.db,
        &msg.from_host_uuid,
        &msg.to_host_uuid,
        &msg.vm_uuid,
    );
    operate(db, HOST, from).await?;
    if !simulator::state(db, to).await?.connected {
        return Err(simulator::unreachable(HOST, to));
    }
    if take_failure(db, from, "MigrateVm").await? {
        return Err(told_to_fail(from, "MigrateVm", vm));
    }
    let update = Query::update()
        .table(Alias::new(VM_TABLE))
        .value(Alias::new("host_uuid"), to.as_str())
        .value(Alias::new("last_op_date"), zstack_kernel::time::now())
        .and_where(Expr::col(Alias::new("vm_uuid")).eq(vm.as_str()))
        .and_where(Expr::col(Alias::new("host_uuid")).eq(from.as_str()))
        .to_owned();
    if db.execute(&update).await?.rows_affected() != 1 {
        return Err(not_on_host(from, vm));
    }
    Ok(EmptyReply {})
}

pub async fn get_host_vms(
    node: NodeContext,
    msg: GetHostVmsMsg,
    _ctx: MsgContext,
) -> ApiResult<HostVms> {
    Ok(HostVms {
        vms: host_vms(&node.db, &msg.host_uuid).await?,
    })
}

pub async fn forget_host_vm(
    node: NodeContext,
    msg: ForgetHostVmMsg,
    _ctx: MsgContext,
) -> ApiResult<EmptyReply> {
    set_host_vm(&node.db, &msg.host_uuid, &msg.vm_uuid, None).await?;
    Ok(EmptyReply {})
}

/// The VMs simulated host `host` runs, by uuid.
pub async fn host_vms<C: ConnectionTrait>(db: &C, host: &str) -> ApiResult<Vec<VmOnHost>> {
    let select = Query::select()
        .columns([Alias::new("vm_uuid"), Alias::new("state")])
        .from(Alias::new(VM_TABLE))
        .and_where(Expr::col(Alias::new("host_uuid")).eq(host))
        .order_by(Alias::new("vm_uuid"), sea_orm::Order::Asc)
        .to_owned();
    let mut out = Vec::new();
    for row in db.query_all(&select).await? {
        out.push(VmOnHost {
            uuid: row.try_get("", "vm_uuid")?,
            state: row.try_get("", "state")?,
        });
    }
    Ok(out)
}

/// Makes simulated host `host` run VM `vm` in `state` (Running or Paused; a VM runs on one
/// host, so it leaves any other), or, with `None`, no longer run it. No delay, no failure: what
/// an operation does once it succeeded, or what happens on the host behind the node's back.
pub async fn set_host_vm<C: ConnectionTrait>(
    db: &C,
    host: &str,
    vm: &str,
    state: Option<&str>,
) -> ApiResult<()> {
    let Some(state) = state else {
        let delete = Query::delete()
            .from_table(Alias::new(VM_TABLE))
            .and_where(Expr::col(Alias::new("vm_uuid")).eq(vm))
            .and_where(Expr::col(Alias::new("host_uuid")).eq(host))
            .to_owned();
        db.execute(&delete).await?;
        return Ok(());
    };
    let mut upsert = Query::insert();
    upsert
        .into_table(Alias::new(VM_TABLE))
        .columns([
            Alias::new("vm_uuid"),
            Alias::new("host_uuid"),
            Alias::new("state"),
            Alias::new("last_op_date"),
        ])
        .values([
            vm.into(),
            host.into(),
            state.into(),
            zstack_kernel::time::now().into(),
        ])
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::column(Alias::new("vm_uuid"))
                .update_columns([
                    Alias::new("host_uuid"),
                    Alias::new("state"),
                    Alias::new("last_op_date"),
                ])
                .to_owned(),
        );
    db.execute(&upsert).await?;
    Ok(())
}
