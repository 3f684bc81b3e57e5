//! VM operations beyond the basic life cycle, over REST: reboot, pause and resume, the Created
//! state, migration and its capacity, offering and CPU/memory changes, the state table's
//! refusals, and the simulated hypervisor: operations it is told to fail, VMs changing state
//! behind the node's back, hosts lost and back (Unknown VMs, reconciliation, a GC job for a VM
//! destroyed meanwhile).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};
use crate::gc::{only_job, wait_job_status, wait_status};
use crate::vm::{Dc, GB, capacity, count, create_vm, datacenter, one, uuid_of, vm_action};

const MIB: i64 = 1 << 20;

async fn fast_pings() -> TestNode {
    TestNode::start_with(|s| s.ping_interval = 1).await
}

/// Another simulator host of `cpu` CPUs and `mem` bytes in the datacenter's cluster.
pub(crate) async fn add_host(
    t: &TestNode,
    sid: &str,
    dc: &Dc,
    name: &str,
    ip: &str,
    cpu: i64,
    mem: i64,
) -> String {
    uuid_of(
        &t.create(
            sid,
            "/hosts/simulators",
            json!({ "name": name, "managementIp": ip, "clusterUuid": dc.cluster,
                    "cpuCapacity": cpu, "memoryCapacity": mem }),
        )
        .await,
    )
}

/// (available CPU, available memory) of `host`.
pub(crate) async fn room(t: &TestNode, sid: &str, host: &str) -> (i64, i64) {
    let h = one(t, sid, &format!("/hosts/{host}")).await;
    (
        h["availableCpuCapacity"].as_i64().expect("cpu"),
        h["availableMemoryCapacity"].as_i64().expect("memory"),
    )
}

pub(crate) async fn vm_of(t: &TestNode, sid: &str, vm: &str) -> Value {
    one(t, sid, &format!("/vm-instances/{vm}")).await
}

async fn wait_vm_state(t: &TestNode, sid: &str, uuid: &str, want: &str) -> Value {
    // Generous: the tests run many nodes at once on two cores.
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let now = vm_of(t, sid, uuid).await;
        if now["state"] == want {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "VM {uuid} never became {want}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn act(t: &TestNode, sid: &str, vm: &str, action: &str, params: Value) -> Rsp {
    t.action(sid, &format!("/vm-instances/{vm}/actions"), action, params)
        .await
}

/// A VM Running on `host`.
async fn running_vm(t: &TestNode, sid: &str, dc: &Dc, name: &str, host: &str) -> String {
    let rsp = create_vm(t, sid, dc, name, json!({ "hostUuid": host })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["hostUuid"], host);
    uuid_of(&rsp.body["inventory"])
}

/// The datacenter with a second host of `cpu` CPUs and 8 GiB in its cluster, and a VM Running
/// on its first: (datacenter, first host, second host, VM).
async fn two_hosts_and_a_vm(t: &TestNode, sid: &str, cpu: i64) -> (Dc, String, String, String) {
    let dc = datacenter(t, sid, 8, 8 * GB).await;
    let h2 = add_host(t, sid, &dc, "h2", "10.0.0.12", cpu, 8 * GB).await;
    let vm = running_vm(t, sid, &dc, "vm1", &dc.host).await;
    let h1 = dc.host.clone();
    (dc, h1, h2, vm)
}

/// The VMs simulated host `host` runs, as (uuid, state).
pub(crate) async fn host_vms(t: &TestNode, sid: &str, host: &str) -> Vec<(String, String)> {
    let rsp = t.get(&format!("/simulators/{host}"), sid).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"]["vms"]
        .as_array()
        .expect("vms")
        .iter()
        .map(|v| {
            (
                v["uuid"].as_str().expect("uuid").to_string(),
                v["state"].as_str().expect("state").to_string(),
            )
        })
        .collect()
}

fn refused(rsp: &Rsp, state: &str, what: &str) {
    assert_eq!(rsp.status, 503, "{what}: {:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1006", "{what}: {:?}", rsp.body);
    assert!(
        rsp.details().contains(&format!("state[{state}]")),
        "{what}: {}",
        rsp.details()
    );
}

fn on(vm: &str, state: &str) -> Vec<(String, String)> {
    vec![(vm.to_string(), state.to_string())]
}

#[actix_web::test]
async fn reboot_pause_and_resume_keep_the_vm_on_its_host() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", &dc.host).await;
    let running = capacity(&t, &sid, &dc).await;
    assert_eq!(host_vms(&t, &sid, &dc.host).await, on(&vm, "Running"));

    let rsp = vm_action(&t, &sid, &vm, "rebootVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Running");
    assert_eq!(rsp.body["inventory"]["hostUuid"], dc.host.as_str());

    // Paused: still on its host, holding its CPU and memory.
    let rsp = vm_action(&t, &sid, &vm, "pauseVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Paused");
    assert_eq!(rsp.body["inventory"]["hostUuid"], dc.host.as_str());
    assert_eq!(capacity(&t, &sid, &dc).await, running);
    assert_eq!(host_vms(&t, &sid, &dc.host).await, on(&vm, "Paused"));
    for action in ["pauseVmInstance", "rebootVmInstance", "startVmInstance"] {
        refused(&vm_action(&t, &sid, &vm, action).await, "Paused", action);
    }

    let rsp = vm_action(&t, &sid, &vm, "resumeVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Running");
    assert_eq!(host_vms(&t, &sid, &dc.host).await, on(&vm, "Running"));
    let rsp = vm_action(&t, &sid, &vm, "resumeVmInstance").await;
    refused(&rsp, "Running", "resume");
    assert!(
        rsp.details().contains("allowed states are [Paused]"),
        "{}",
        rsp.details()
    );

    // A paused VM stops: its host gives its capacity back and no longer runs it.
    let rsp = vm_action(&t, &sid, &vm, "pauseVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    assert_eq!(capacity(&t, &sid, &dc).await.0, running.0 + 2);
    assert!(host_vms(&t, &sid, &dc.host).await.is_empty());
    t.stop().await;
}

#[actix_web::test]
async fn a_just_created_vm_allows_only_start_and_destroy_and_starts_on_a_host() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let before = capacity(&t, &sid, &dc).await;
    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({ "strategy": "JustCreate" })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    assert_eq!(rsp.body["inventory"]["state"], "Created");
    for action in [
        "stopVmInstance",
        "rebootVmInstance",
        "pauseVmInstance",
        "resumeVmInstance",
        "recoverVmInstance",
        "expungeVmInstance",
    ] {
        refused(&vm_action(&t, &sid, &vm, action).await, "Created", action);
    }
    let rsp = act(&t, &sid, &vm, "migrateVm", json!({})).await;
    refused(&rsp, "Created", "migrateVm");
    let rsp = act(
        &t,
        &sid,
        &vm,
        "changeInstanceOffering",
        json!({ "instanceOfferingUuid": dc.offering }),
    )
    .await;
    refused(&rsp, "Created", "changeInstanceOffering");
    assert!(host_vms(&t, &sid, &dc.host).await.is_empty());

    // Started: a host is allocated and its capacity taken.
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Running");
    assert_eq!(rsp.body["inventory"]["hostUuid"], dc.host.as_str());
    // Storage: its root volume and the image's cache on that storage.
    assert_eq!(
        capacity(&t, &sid, &dc).await,
        (before.0 - 2, before.1 - GB, before.2 - 2 * GB)
    );
    assert_eq!(host_vms(&t, &sid, &dc.host).await, on(&vm, "Running"));
    t.stop().await;
}

#[actix_web::test]
async fn migration_moves_the_vm_and_its_capacity_between_hosts() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (_, h1, h2, vm) = two_hosts_and_a_vm(&t, &sid, 8).await;
    assert_eq!(room(&t, &sid, &h1).await, (6, 7 * GB));
    assert_eq!(room(&t, &sid, &h2).await, (8, 8 * GB));

    let rsp = t
        .get(&format!("/vm-instances/{vm}/migration-target-hosts"), &sid)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let hosts = rsp.body["inventories"].as_array().expect("inventories");
    assert_eq!(hosts.len(), 1, "{:?}", rsp.body);
    assert_eq!(hosts[0]["uuid"], h2.as_str());
    assert_eq!(hosts[0]["managementIp"], "10.0.0.12");

    // Not to the host it is on.
    let rsp = act(&t, &sid, &vm, "migrateVm", json!({ "hostUuid": h1 })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(
        rsp.details().contains("already on host"),
        "{}",
        rsp.details()
    );

    let rsp = act(&t, &sid, &vm, "migrateVm", json!({ "hostUuid": h2 })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let moved = &rsp.body["inventory"];
    assert_eq!(moved["state"], "Running");
    assert_eq!(moved["hostUuid"], h2.as_str());
    assert_eq!(moved["lastHostUuid"], h1.as_str());
    assert_eq!(room(&t, &sid, &h1).await, (8, 8 * GB));
    assert_eq!(room(&t, &sid, &h2).await, (6, 7 * GB));
    assert!(host_vms(&t, &sid, &h1).await.is_empty());
    assert_eq!(host_vms(&t, &sid, &h2).await, on(&vm, "Running"));

    // A paused VM migrates (to the only other host) and stays paused; while its host works the
    // VM shows Migrating.
    let rsp = vm_action(&t, &sid, &vm, "pauseVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    t.simulate_ok(&sid, &h2, json!({ "operationDelayMs": 1500 }))
        .await;
    let accepted = t
        .send(
            Method::PUT,
            &format!("/vm-instances/{vm}/actions"),
            Some(&sid),
            Some(json!({ "migrateVm": {} })),
            &[],
        )
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    wait_vm_state(&t, &sid, &vm, "Migrating").await;
    let done = t
        .wait_job_as(
            accepted.body["location"].as_str().expect("a location"),
            &sid,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["state"], "Paused");
    assert_eq!(done.body["inventory"]["hostUuid"], h1.as_str());
    assert_eq!(room(&t, &sid, &h1).await, (6, 7 * GB));
    assert_eq!(room(&t, &sid, &h2).await, (8, 8 * GB));
    assert_eq!(host_vms(&t, &sid, &h1).await, on(&vm, "Paused"));

    // A stopped VM does not migrate.
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = act(&t, &sid, &vm, "migrateVm", json!({ "hostUuid": h2 })).await;
    refused(&rsp, "Stopped", "migrateVm");
    let rsp = t
        .get(&format!("/vm-instances/{vm}/migration-target-hosts"), &sid)
        .await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(
        rsp.details().contains("state[Stopped]"),
        "{}",
        rsp.details()
    );
    t.stop().await;
}

#[actix_web::test]
async fn migration_is_refused_when_no_other_host_has_room() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (dc, _, h2, vm) = two_hosts_and_a_vm(&t, &sid, 1).await;
    let before = (room(&t, &sid, &dc.host).await, room(&t, &sid, &h2).await);

    let rsp = t
        .get(&format!("/vm-instances/{vm}/migration-target-hosts"), &sid)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventories"], json!([]));
    for params in [json!({}), json!({ "hostUuid": h2 })] {
        let rsp = act(&t, &sid, &vm, "migrateVm", params.clone()).await;
        assert_eq!(rsp.status, 503, "{params}: {:?}", rsp.body);
        assert!(rsp.details().contains("no host"), "{}", rsp.details());
        let now = vm_of(&t, &sid, &vm).await;
        assert_eq!(now["state"], "Running");
        assert_eq!(now["hostUuid"], dc.host.as_str());
        assert_eq!(
            (room(&t, &sid, &dc.host).await, room(&t, &sid, &h2).await),
            before
        );
    }
    t.stop().await;
}

#[actix_web::test]
async fn an_operation_the_host_fails_leaves_the_vm_as_it_was() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (dc, h1, h2, vm) = two_hosts_and_a_vm(&t, &sid, 8).await;

    // Only VM operations of hosts can be failed.
    let rsp = t
        .simulate(&sid, &h1, json!({ "failOperation": "Teleport" }))
        .await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // MigrateVm fails once: the VM stays Running on its host, both hosts' capacity as it was.
    let rsp = t
        .simulate_ok(&sid, &h1, json!({ "failOperation": "MigrateVm" }))
        .await;
    assert_eq!(rsp.body["inventory"]["failOperation"], "MigrateVm");
    let before = (room(&t, &sid, &h1).await, room(&t, &sid, &h2).await);
    let rsp = act(&t, &sid, &vm, "migrateVm", json!({ "hostUuid": h2 })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("MigrateVm"), "{}", rsp.details());
    let now = vm_of(&t, &sid, &vm).await;
    assert_eq!(now["state"], "Running");
    assert_eq!(now["hostUuid"], h1.as_str());
    assert_eq!(
        (room(&t, &sid, &h1).await, room(&t, &sid, &h2).await),
        before
    );
    assert_eq!(host_vms(&t, &sid, &h1).await, on(&vm, "Running"));
    let rsp = t.get(&format!("/simulators/{h1}"), &sid).await;
    assert!(
        rsp.body["inventory"]["failOperation"].is_null(),
        "{:?}",
        rsp.body
    );
    let rsp = act(&t, &sid, &vm, "migrateVm", json!({ "hostUuid": h2 })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // StartVm fails once: the VM stays Stopped, holding no host.
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let stopped = (room(&t, &sid, &h1).await, room(&t, &sid, &h2).await);
    assert_eq!(stopped, ((8, 8 * GB), (8, 8 * GB)));
    t.simulate_ok(&sid, &h2, json!({ "failOperation": "StartVm" }))
        .await;
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("StartVm"), "{}", rsp.details());
    let now = vm_of(&t, &sid, &vm).await;
    assert_eq!(now["state"], "Stopped");
    assert!(now["hostUuid"].is_null());
    assert_eq!(now["lastHostUuid"], h2.as_str());
    assert_eq!(
        (room(&t, &sid, &h1).await, room(&t, &sid, &h2).await),
        stopped
    );
    assert!(host_vms(&t, &sid, &h2).await.is_empty());
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Running");

    // A create whose start fails leaves nothing behind.
    t.simulate_ok(&sid, &h1, json!({ "failOperation": "StartVm" }))
        .await;
    let rsp = create_vm(&t, &sid, &dc, "doomed", json!({ "hostUuid": h1 })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("StartOnHost"), "{}", rsp.details());
    assert_eq!(count(&t, &sid, "/vm-instances").await, 1);
    assert_eq!(room(&t, &sid, &h1).await, (8, 8 * GB));
    assert!(host_vms(&t, &sid, &h1).await.is_empty());
    t.stop().await;
}

async fn offering(t: &TestNode, sid: &str, name: &str, cpu: i64, memory: i64) -> String {
    uuid_of(
        &t.create(
            sid,
            "/instance-offerings",
            json!({ "name": name, "cpuNum": cpu, "memorySize": memory }),
        )
        .await,
    )
}

#[actix_web::test]
async fn cpu_and_memory_change_at_once_when_stopped_and_within_the_host_when_running() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 4, 4 * GB).await;
    let big = offering(&t, &sid, "big", 4, 2 * GB).await;
    let huge = offering(&t, &sid, "huge", 8, 2 * GB).await;
    let small = offering(&t, &sid, "small", 1, 512 * MIB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", &dc.host).await;
    assert_eq!(room(&t, &sid, &dc.host).await, (2, 3 * GB));
    let change = |offering: &str| json!({ "instanceOfferingUuid": offering });

    // Running: it grows by what the host still has.
    let rsp = act(&t, &sid, &vm, "changeInstanceOffering", change(&big)).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(
        (inv["cpuNum"].as_i64(), inv["memorySize"].as_i64()),
        (Some(4), Some(2 * GB))
    );
    assert_eq!(inv["instanceOfferingUuid"], big.as_str());
    assert_eq!(room(&t, &sid, &dc.host).await, (0, 2 * GB));
    let rsp = act(&t, &sid, &vm, "changeInstanceOffering", change(&huge)).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("not enough"), "{}", rsp.details());
    let rsp = act(&t, &sid, &vm, "changeInstanceOffering", change(&small)).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let now = vm_of(&t, &sid, &vm).await;
    assert_eq!(
        (now["cpuNum"].as_i64(), now["instanceOfferingUuid"].as_str()),
        (Some(4), Some(big.as_str()))
    );
    assert_eq!(room(&t, &sid, &dc.host).await, (0, 2 * GB));

    // Stopped: at once, whatever the host has.
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = act(&t, &sid, &vm, "changeInstanceOffering", change(&small)).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["cpuNum"], 1);
    assert_eq!(rsp.body["inventory"]["memorySize"], 512 * MIB);
    assert_eq!(room(&t, &sid, &dc.host).await, (4, 4 * GB));

    // UpdateVmInstance: name, description, CPU and memory.
    let rsp = act(
        &t,
        &sid,
        &vm,
        "updateVmInstance",
        json!({ "name": "renamed", "description": "d", "cpuNum": 2, "memorySize": GB }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(
        (inv["name"].as_str(), inv["description"].as_str()),
        (Some("renamed"), Some("d"))
    );
    assert_eq!(
        (inv["cpuNum"].as_i64(), inv["memorySize"].as_i64()),
        (Some(2), Some(GB))
    );
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(room(&t, &sid, &dc.host).await, (2, 3 * GB));
    // Running memory grows in steps of 128 MiB.
    let rsp = act(
        &t,
        &sid,
        &vm,
        "updateVmInstance",
        json!({ "memorySize": GB + 100 * MIB }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["memorySize"], GB + 128 * MIB);
    assert_eq!(room(&t, &sid, &dc.host).await, (2, 3 * GB - 128 * MIB));
    let rsp = act(&t, &sid, &vm, "updateVmInstance", json!({ "cpuNum": 0 })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);

    // Paused: no CPU or memory change, and the refusal names the state.
    let rsp = vm_action(&t, &sid, &vm, "pauseVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = act(&t, &sid, &vm, "changeInstanceOffering", change(&big)).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("is Paused"), "{}", rsp.details());
    t.stop().await;
}

async fn notifications_of(t: &TestNode, sid: &str, uuid: &str) -> Vec<Value> {
    let rsp = t
        .get(&format!("/notifications?q=resourceUuid={uuid}"), sid)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"]
        .as_array()
        .expect("inventories")
        .clone()
}

/// Waits for a notification about `uuid` of `kind` saying `state`.
async fn wait_notification(t: &TestNode, sid: &str, uuid: &str, kind: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let found = notifications_of(t, sid, uuid).await.into_iter().find(|n| {
            n["type"] == kind && n["arguments"].as_str().is_some_and(|a| a.contains(state))
        });
        if let Some(n) = found {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} notification of {uuid} saying {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_vm_changed_behind_the_nodes_back_is_brought_in_step() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm1 = running_vm(&t, &sid, &dc, "vm1", &dc.host).await;
    let vm2 = running_vm(&t, &sid, &dc, "vm2", &dc.host).await;
    assert_eq!(room(&t, &sid, &dc.host).await, (4, 6 * GB));

    for bad in [
        json!({ vm1.clone(): "Exploded" }),
        json!({ "not-a-uuid": "Stopped" }),
        json!(["x"]),
    ] {
        let rsp = t.simulate(&sid, &dc.host, json!({ "vmStates": bad })).await;
        assert_eq!(rsp.status, 503, "{bad}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007", "{bad}: {:?}", rsp.body);
    }

    // Stopped on the host (it crashed, or someone shut it down there): the VM is Stopped and
    // its capacity given back.
    t.simulate_ok(
        &sid,
        &dc.host,
        json!({ "vmStates": { vm1.clone(): "Stopped" } }),
    )
    .await;
    let now = wait_vm_state(&t, &sid, &vm1, "Stopped").await;
    assert!(now["hostUuid"].is_null());
    assert_eq!(now["lastHostUuid"], dc.host.as_str());
    assert_eq!(room(&t, &sid, &dc.host).await, (6, 7 * GB));
    let notice = wait_notification(&t, &sid, &vm1, "Warning", "Stopped").await;
    assert!(
        notice["arguments"]
            .as_str()
            .is_some_and(|a| a.contains("vm1")),
        "{notice}"
    );

    // Paused there: the VM is Paused, still holding its capacity.
    t.simulate_ok(
        &sid,
        &dc.host,
        json!({ "vmStates": { vm2.clone(): "Paused" } }),
    )
    .await;
    wait_vm_state(&t, &sid, &vm2, "Paused").await;
    assert_eq!(room(&t, &sid, &dc.host).await, (6, 7 * GB));

    // Started there: the VM is Running there and takes its capacity.
    t.simulate_ok(
        &sid,
        &dc.host,
        json!({ "vmStates": { vm1.clone(): "Running" } }),
    )
    .await;
    let now = wait_vm_state(&t, &sid, &vm1, "Running").await;
    assert_eq!(now["hostUuid"], dc.host.as_str());
    assert_eq!(room(&t, &sid, &dc.host).await, (4, 6 * GB));
    t.stop().await;
}

#[actix_web::test]
async fn a_lost_host_makes_its_vms_unknown_and_its_return_brings_them_in_step() {
    let t = fast_pings().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vms = [
        running_vm(&t, &sid, &dc, "vm1", &dc.host).await,
        running_vm(&t, &sid, &dc, "vm2", &dc.host).await,
        running_vm(&t, &sid, &dc, "vm3", &dc.host).await,
    ];
    let stopped = running_vm(&t, &sid, &dc, "vm4", &dc.host).await;
    let rsp = vm_action(&t, &sid, &stopped, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(room(&t, &sid, &dc.host).await, (2, 5 * GB));

    t.simulate_ok(&sid, &dc.host, json!({ "connected": false }))
        .await;
    for vm in &vms {
        let now = wait_vm_state(&t, &sid, vm, "Unknown").await;
        // It still holds its host: nothing says it stopped.
        assert_eq!(now["hostUuid"], dc.host.as_str());
    }
    assert_eq!(vm_of(&t, &sid, &stopped).await["state"], "Stopped");
    let notice = wait_notification(&t, &sid, &vms[0], "Warning", "Unknown").await;
    assert_eq!(notice["resourceType"], "VmInstanceVO");
    assert!(
        notice["arguments"]
            .as_str()
            .is_some_and(|a| a.contains("vm1")),
        "{notice}"
    );
    assert_eq!(room(&t, &sid, &dc.host).await, (2, 5 * GB));

    // Unknown allows stop and destroy only; a stop cannot reach the host.
    refused(
        &vm_action(&t, &sid, &vms[0], "rebootVmInstance").await,
        "Unknown",
        "reboot",
    );
    let rsp = vm_action(&t, &sid, &vms[0], "stopVmInstance").await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("unreachable"), "{}", rsp.details());
    assert_eq!(vm_of(&t, &sid, &vms[0]).await["state"], "Unknown");

    // Meanwhile on the host: vm2 stopped, vm3 paused. Back, the host reports what it runs.
    t.simulate_ok(
        &sid,
        &dc.host,
        json!({ "vmStates": { vms[1].clone(): "Stopped", vms[2].clone(): "Paused" } }),
    )
    .await;
    t.simulate_ok(&sid, &dc.host, json!({ "connected": true }))
        .await;
    wait_status(&t, &sid, &format!("/hosts/{}", dc.host), "Connected").await;
    wait_vm_state(&t, &sid, &vms[0], "Running").await;
    let now = wait_vm_state(&t, &sid, &vms[1], "Stopped").await;
    assert!(now["hostUuid"].is_null());
    wait_vm_state(&t, &sid, &vms[2], "Paused").await;
    assert_eq!(vm_of(&t, &sid, &stopped).await["state"], "Stopped");
    assert_eq!(room(&t, &sid, &dc.host).await, (4, 6 * GB));
    wait_notification(&t, &sid, &vms[0], "Info", "Running").await;
    t.stop().await;
}

#[actix_web::test]
async fn destroying_a_vm_on_a_lost_host_leaves_a_gc_job_that_destroys_it_there_on_return() {
    let t = fast_pings().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", &dc.host).await;
    t.simulate_ok(&sid, &dc.host, json!({ "connected": false }))
        .await;
    wait_status(&t, &sid, &format!("/hosts/{}", dc.host), "Disconnected").await;

    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let now = vm_of(&t, &sid, &vm).await;
    assert_eq!(now["state"], "Destroyed");
    assert!(now["hostUuid"].is_null());
    assert_eq!(room(&t, &sid, &dc.host).await, (8, 8 * GB));
    // The host still runs it; a job waits to destroy it there.
    assert_eq!(host_vms(&t, &sid, &dc.host).await, on(&vm, "Running"));
    let job = only_job(&t, &sid, "DestroyVmOnHypervisorGC").await;
    assert_eq!(job["status"], "Idle");
    assert_eq!(job["type"], "EventBased");
    let context: Value =
        serde_json::from_str(job["context"].as_str().expect("context")).expect("JSON");
    assert_eq!(context["vmUuid"], vm.as_str());
    assert_eq!(context["hostUuid"], dc.host.as_str());

    t.simulate_ok(&sid, &dc.host, json!({ "connected": true }))
        .await;
    let job = uuid_of(&job);
    wait_job_status(&t, &sid, &job, "Done").await;
    assert!(host_vms(&t, &sid, &dc.host).await.is_empty());
    // The host's report does not bring a destroyed VM back.
    wait_status(&t, &sid, &format!("/hosts/{}", dc.host), "Connected").await;
    assert_eq!(vm_of(&t, &sid, &vm).await["state"], "Destroyed");
    assert_eq!(room(&t, &sid, &dc.host).await, (8, 8 * GB));
    t.stop().await;
}

#[actix_web::test]
async fn a_host_reconnected_by_api_brings_its_vms_back_without_waiting_for_the_ping() {
    // The default ping interval: only the reconnects change the host's status here.
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", &dc.host).await;
    let actions = format!("/hosts/{}/actions", dc.host);
    let reconnect = || t.action(&sid, &actions, "reconnectHost", json!({}));

    t.simulate_ok(&sid, &dc.host, json!({ "connected": false }))
        .await;
    let rsp = reconnect().await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    wait_vm_state(&t, &sid, &vm, "Unknown").await;

    t.simulate_ok(&sid, &dc.host, json!({ "connected": true }))
        .await;
    let rsp = reconnect().await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["status"], "Connected");
    let now = wait_vm_state(&t, &sid, &vm, "Running").await;
    assert_eq!(now["hostUuid"], dc.host.as_str());
    assert_eq!(room(&t, &sid, &dc.host).await, (6, 7 * GB));
    t.stop().await;
}
