//! VM instances over REST: creation as a chain of steps on a small simulated datacenter, the
//! rollback of each step, queries across VMs, NICs, volumes and hosts, and the life cycle
//! (start, stop, destroy, recover, expunge) with what each gives back.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};

pub(crate) const GB: i64 = 1 << 30;

/// A node whose L3 networks hand out their lowest free address (ZStack's
/// FirstAvailableIpAllocatorStrategy), so that tests can name the addresses they expect; the
/// default, random strategy has its own test.
pub(crate) async fn first_available_node() -> TestNode {
    TestNode::start_with(|s| {
        s.ip_allocator_strategy = "FirstAvailableIpAllocatorStrategy".into();
    })
    .await
}

pub(crate) fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

/// A zone with one cluster and one simulator host (`cpu` CPUs, `mem` bytes), local primary
/// storage and an image store with a 1 GiB image, an L2 network and an L3 network with ten
/// addresses, and an instance offering of 2 CPUs and 1 GiB.
pub(crate) struct Dc {
    pub(crate) zone: String,
    pub(crate) cluster: String,
    pub(crate) host: String,
    pub(crate) ps: String,
    pub(crate) image: String,
    pub(crate) l3: String,
    pub(crate) offering: String,
}

pub(crate) async fn post(t: &TestNode, sid: &str, path: &str, params: Value) -> Rsp {
    t.call_async(Method::POST, path, sid, Some(json!({ "params": params })))
        .await
}

pub(crate) async fn datacenter(t: &TestNode, sid: &str, cpu: i64, mem: i64) -> Dc {
    let zone = uuid_of(&t.create_zone(sid, json!({ "name": "z" })).await);
    let cluster = uuid_of(
        &t.create(
            sid,
            "/clusters",
            json!({ "name": "c", "zoneUuid": zone, "hypervisorType": "Simulator" }),
        )
        .await,
    );
    let host = uuid_of(
        &t.create(
            sid,
            "/hosts/simulators",
            json!({ "name": "h1", "managementIp": "10.0.0.11", "clusterUuid": cluster,
                    "cpuCapacity": cpu, "memoryCapacity": mem }),
        )
        .await,
    );
    let ps = uuid_of(
        &t.create(
            sid,
            "/primary-storage/local-storage",
            json!({ "name": "ps", "url": "/zstack_ps", "zoneUuid": zone, "totalCapacity": 100 * GB }),
        )
        .await,
    );
    let rsp = post(
        t,
        sid,
        &format!("/clusters/{cluster}/primary-storage/{ps}"),
        json!({}),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let bs = uuid_of(
        &t.create(
            sid,
            "/backup-storage/image-store",
            json!({ "name": "bs", "url": "/bs", "hostname": "10.1.0.1", "username": "root",
                    "password": "secret", "totalCapacity": 100 * GB }),
        )
        .await,
    );
    let rsp = post(
        t,
        sid,
        &format!("/zones/{zone}/backup-storage/{bs}"),
        json!({}),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let image = uuid_of(
        &t.create(
            sid,
            "/images",
            json!({ "name": "centos", "url": format!("http://images.example/c.qcow2#size={GB}"),
                    "backupStorageUuids": [bs], "format": "qcow2", "mediaType": "RootVolumeTemplate" }),
        )
        .await,
    );
    let l2 = uuid_of(
        &t.create(
            sid,
            "/l2-networks/no-vlan",
            json!({ "name": "l2", "zoneUuid": zone, "physicalInterface": "eth0" }),
        )
        .await,
    );
    let rsp = post(
        t,
        sid,
        &format!("/l2-networks/{l2}/clusters/{cluster}"),
        json!({}),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let l3 = uuid_of(
        &t.create(
            sid,
            "/l3-networks",
            json!({ "name": "l3", "l2NetworkUuid": l2 }),
        )
        .await,
    );
    let rsp = post(
        t,
        sid,
        &format!("/l3-networks/{l3}/ip-ranges"),
        json!({ "name": "r", "startIp": "192.168.0.10", "endIp": "192.168.0.19",
                "netmask": "255.255.255.0", "gateway": "192.168.0.1" }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let offering = uuid_of(
        &t.create(
            sid,
            "/instance-offerings",
            json!({ "name": "small", "cpuNum": 2, "memorySize": GB }),
        )
        .await,
    );
    Dc {
        zone,
        cluster,
        host,
        ps,
        image,
        l3,
        offering,
    }
}

pub(crate) async fn create_vm(t: &TestNode, sid: &str, dc: &Dc, name: &str, extra: Value) -> Rsp {
    let mut params = json!({
        "name": name, "instanceOfferingUuid": dc.offering, "imageUuid": dc.image,
        "l3NetworkUuids": [dc.l3],
    });
    let mut body = json!({});
    if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if k == "systemTags" {
                body["systemTags"] = v.clone();
            } else {
                p.insert(k.clone(), v.clone());
            }
        }
    }
    body["params"] = params;
    t.call_async(Method::POST, "/vm-instances", sid, Some(body))
        .await
}

/// How many addresses of the data center's L3 network are used (GetIpAddressCapacity).
pub(crate) async fn used_ips(t: &TestNode, sid: &str, dc: &Dc) -> i64 {
    let rsp = t
        .get(&format!("/ip-capacity?l3NetworkUuids={}", dc.l3), sid)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["usedIpAddressNumber"].as_i64().expect("a count")
}

pub(crate) async fn one(t: &TestNode, sid: &str, path: &str) -> Value {
    let rsp = t.get(path, sid).await;
    assert_eq!(rsp.status, 200, "GET {path}: {:?}", rsp.body);
    rsp.body["inventories"][0].clone()
}

pub(crate) async fn count(t: &TestNode, sid: &str, path: &str) -> usize {
    let rsp = t.get(path, sid).await;
    assert_eq!(rsp.status, 200, "GET {path}: {:?}", rsp.body);
    rsp.body["inventories"].as_array().map_or(0, Vec::len)
}

/// (available CPU, available memory) of the host; available capacity of the storage.
pub(crate) async fn capacity(t: &TestNode, sid: &str, dc: &Dc) -> (i64, i64, i64) {
    let host = one(t, sid, &format!("/hosts/{}", dc.host)).await;
    let ps = one(t, sid, &format!("/primary-storage?q=uuid={}", dc.ps)).await;
    (
        host["availableCpuCapacity"].as_i64().expect("cpu"),
        host["availableMemoryCapacity"].as_i64().expect("memory"),
        ps["availableCapacity"].as_i64().expect("capacity"),
    )
}

pub(crate) async fn vm_action(t: &TestNode, sid: &str, vm: &str, action: &str) -> Rsp {
    t.action(
        sid,
        &format!("/vm-instances/{vm}/actions"),
        action,
        json!({}),
    )
    .await
}

#[actix_web::test]
async fn a_vm_is_created_running_and_queried_both_ways() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let before = capacity(&t, &sid, &dc).await;

    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = rsp.body["inventory"].clone();
    let uuid = uuid_of(&vm);
    assert_eq!(vm["state"], "Running");
    assert_eq!(vm["hostUuid"], dc.host.as_str());
    assert_eq!(vm["clusterUuid"], dc.cluster.as_str());
    assert_eq!(vm["zoneUuid"], dc.zone.as_str());
    assert_eq!(vm["cpuNum"], 2);
    assert_eq!(vm["memorySize"], GB);
    assert_eq!(vm["defaultL3NetworkUuid"], dc.l3.as_str());
    // The storage holds the root volume and the image's cached copy.
    assert_eq!(
        capacity(&t, &sid, &dc).await,
        (before.0 - 2, before.1 - GB, before.2 - 2 * GB)
    );

    // The query answers the VM with its NIC and root volume.
    let q = one(&t, &sid, &format!("/vm-instances/{uuid}")).await;
    let nics = q["vmNics"].as_array().expect("vmNics");
    assert_eq!(nics.len(), 1, "{q}");
    assert_eq!(nics[0]["ip"], "192.168.0.10");
    assert_eq!(nics[0]["l3NetworkUuid"], dc.l3.as_str());
    assert_eq!(nics[0]["gateway"], "192.168.0.1");
    assert!(
        nics[0]["mac"]
            .as_str()
            .is_some_and(|m| m.starts_with("fa:") && m.len() == 17)
    );
    let volumes = q["allVolumes"].as_array().expect("allVolumes");
    assert_eq!(volumes.len(), 1, "{q}");
    assert_eq!(volumes[0]["type"], "Root");
    assert_eq!(volumes[0]["uuid"], q["rootVolumeUuid"]);
    assert_eq!(volumes[0]["primaryStorageUuid"], dc.ps.as_str());
    assert_eq!(volumes[0]["size"], GB);

    // Relations both ways.
    for path in [
        "/vm-instances?q=vmNics.ip=192.168.0.10",
        "/vm-instances?q=host.managementIp=10.0.0.11",
        "/vm-instances?q=vmNics.l3Network.name=l3",
        "/vm-instances?q=allVolumes.primaryStorage.name=ps",
        "/hosts?q=vmInstance.name=vm1",
        "/volumes?q=vmInstance.name=vm1",
        "/vm-instances/nics?q=vmInstance.name=vm1",
    ] {
        assert_eq!(count(&t, &sid, path).await, 1, "{path}");
    }
    for path in [
        "/vm-instances?q=vmNics.ip=192.168.0.11",
        "/vm-instances?q=host.managementIp=10.0.0.99",
        "/hosts?q=vmInstance.name=nobody",
    ] {
        assert_eq!(count(&t, &sid, path).await, 0, "{path}");
    }

    // A second VM gets the next address and its own MAC.
    let rsp = create_vm(&t, &sid, &dc, "vm2", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let nics = t.get("/vm-instances/nics", &sid).await.body["inventories"].clone();
    let nics = nics.as_array().expect("nics");
    assert_eq!(nics.len(), 2);
    assert_ne!(nics[0]["mac"], nics[1]["mac"]);
    let mut ips: Vec<&str> = nics.iter().filter_map(|n| n["ip"].as_str()).collect();
    ips.sort_unstable();
    assert_eq!(ips, ["192.168.0.10", "192.168.0.11"]);
    t.stop().await;
}

#[actix_web::test]
async fn a_static_ip_is_honoured_and_a_taken_one_refused() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let tag = format!("staticIp::{}::192.168.0.15", dc.l3);
    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({ "systemTags": [tag] })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let uuid = uuid_of(&rsp.body["inventory"]);
    let q = one(&t, &sid, &format!("/vm-instances/{uuid}")).await;
    assert_eq!(q["vmNics"][0]["ip"], "192.168.0.15");

    let before = capacity(&t, &sid, &dc).await;
    let rsp = create_vm(&t, &sid, &dc, "vm2", json!({ "systemTags": [tag] })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("AllocateIps"), "{}", rsp.details());
    assert!(
        format!("{}", rsp.body).contains("already in use"),
        "{:?}",
        rsp.body
    );
    assert_eq!(capacity(&t, &sid, &dc).await, before);
    assert_eq!(count(&t, &sid, "/vm-instances").await, 1);
    assert_eq!(count(&t, &sid, "/volumes").await, 1);
    t.stop().await;
}

#[actix_web::test]
async fn each_failing_step_of_create_vm_leaves_nothing_behind() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let disk = uuid_of(
        &t.create(
            &sid,
            "/disk-offerings",
            json!({ "name": "d", "diskSize": 2 * GB }),
        )
        .await,
    );
    let with_disks = json!({ "dataDiskOfferingUuids": [disk, disk] });
    let before = capacity(&t, &sid, &dc).await;
    let faults = t.node.as_ref().expect("running").node.flow_faults.clone();
    let steps = zstack_vm_instance::create_vm_steps(2);
    for step in [
        "AllocateHost",
        "DownloadImageToCache",
        "CreateDataVolumes",
        "CreateDataVolume-2",
        "StartOnHost",
    ] {
        assert!(steps.iter().any(|s| s == step), "{step}: {steps:?}");
    }
    for step in &steps {
        faults.fail(step);
        let rsp = create_vm(&t, &sid, &dc, "doomed", with_disks.clone()).await;
        faults.clear();
        assert_eq!(rsp.status, 503, "{step}: {:?}", rsp.body);
        assert!(
            rsp.details().contains(step.as_str()),
            "{step}: {}",
            rsp.details()
        );
        // The image's copy goes too: the failed VM downloaded it.
        assert_eq!(capacity(&t, &sid, &dc).await, before, "{step}");
        for path in ["/vm-instances", "/volumes", "/vm-instances/nics"] {
            assert_eq!(count(&t, &sid, path).await, 0, "{step}: {path}");
        }
        assert_eq!(used_ips(&t, &sid, &dc).await, 0, "{step}");
    }
    // Nothing was kept: the first address is still free.
    let rsp = create_vm(&t, &sid, &dc, "vm", with_disks).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let uuid = uuid_of(&rsp.body["inventory"]);
    let q = one(&t, &sid, &format!("/vm-instances/{uuid}")).await;
    assert_eq!(q["vmNics"][0]["ip"], "192.168.0.10");
    let devices: Vec<(Value, Value)> = q["allVolumes"]
        .as_array()
        .expect("allVolumes")
        .iter()
        .map(|v| (v["type"].clone(), v["deviceId"].clone()))
        .collect();
    assert_eq!(
        devices,
        [
            (json!("Root"), json!(0)),
            (json!("Data"), json!(1)),
            (json!("Data"), json!(2))
        ]
    );
    assert_eq!(
        capacity(&t, &sid, &dc).await.2,
        before.2 - 2 * GB - 2 * 2 * GB
    );
    t.stop().await;
}

#[actix_web::test]
async fn a_host_without_room_is_not_over_committed() {
    let t = first_available_node().await;
    let sid = t.login().await;
    // Room for two VMs of 2 CPUs and 1 GiB.
    let dc = datacenter(&t, &sid, 4, 8 * GB).await;
    for name in ["a", "b"] {
        let rsp = create_vm(&t, &sid, &dc, name, json!({})).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    }
    let rsp = create_vm(&t, &sid, &dc, "c", json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("AllocateHost"), "{}", rsp.details());
    let (cpu, _, _) = capacity(&t, &sid, &dc).await;
    assert_eq!(cpu, 0);
    assert_eq!(count(&t, &sid, "/vm-instances").await, 2);
    t.stop().await;
}

#[actix_web::test]
async fn stop_start_destroy_recover_and_expunge_give_back_what_they_should() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let before = capacity(&t, &sid, &dc).await;
    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    // The storage holds the root volume and the image's cached copy.
    let running = (before.0 - 2, before.1 - GB, before.2 - 2 * GB);
    let stopped = (before.0, before.1, before.2 - 2 * GB);

    // A running VM cannot be started, recovered or expunged; the refusal names the state.
    for action in ["startVmInstance", "recoverVmInstance", "expungeVmInstance"] {
        let rsp = vm_action(&t, &sid, &vm, action).await;
        assert_eq!(rsp.status, 503, "{action}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1006", "{action}");
        assert!(
            rsp.details().contains("state[Running]"),
            "{action}: {}",
            rsp.details()
        );
    }

    // Stopped: the host's CPU and memory come back, the IP and the volume stay.
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    assert!(rsp.body["inventory"]["hostUuid"].is_null());
    assert_eq!(rsp.body["inventory"]["lastHostUuid"], dc.host.as_str());
    assert_eq!(capacity(&t, &sid, &dc).await, stopped);
    // Stopping it again is done already (ZStack allows Stop in Stopped).
    let rsp = vm_action(&t, &sid, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    assert_eq!(capacity(&t, &sid, &dc).await, stopped);

    // Started again (on its last host).
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Running");
    assert_eq!(rsp.body["inventory"]["hostUuid"], dc.host.as_str());
    assert_eq!(capacity(&t, &sid, &dc).await, running);

    // Destroyed: host capacity back, IPs and volumes kept.
    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    assert_eq!(q["state"], "Destroyed");
    assert_eq!(q["vmNics"][0]["ip"], "192.168.0.10");
    assert_eq!(q["allVolumes"].as_array().map(Vec::len), Some(1));
    assert_eq!(capacity(&t, &sid, &dc).await, stopped);
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert!(
        rsp.details().contains("state[Destroyed]"),
        "{}",
        rsp.details()
    );

    // Recovered: Stopped, as it was; it starts again.
    let rsp = vm_action(&t, &sid, &vm, "recoverVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    let rsp = vm_action(&t, &sid, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // Destroyed and expunged: everything given back but the image's cached copy, which the
    // storage keeps for the next VM.
    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = vm_action(&t, &sid, &vm, "expungeVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        capacity(&t, &sid, &dc).await,
        (before.0, before.1, before.2 - GB)
    );
    for path in ["/vm-instances", "/volumes", "/vm-instances/nics"] {
        assert_eq!(count(&t, &sid, path).await, 0, "{path}");
    }
    let rsp = t.get(&format!("/vm-instances/{vm}"), &sid).await;
    assert_eq!(rsp.body["inventories"].as_array().map(Vec::len), Some(0));
    // The address is free again.
    let rsp = create_vm(&t, &sid, &dc, "vm2", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let q = one(
        &t,
        &sid,
        &format!("/vm-instances/{}", uuid_of(&rsp.body["inventory"])),
    )
    .await;
    assert_eq!(q["vmNics"][0]["ip"], "192.168.0.10");
    t.stop().await;
}

#[actix_web::test]
async fn a_vm_created_stopped_holds_no_host_capacity() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let before = capacity(&t, &sid, &dc).await;
    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({ "strategy": "CreateStopped" })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    assert_eq!(
        capacity(&t, &sid, &dc).await,
        (before.0, before.1, before.2 - 2 * GB)
    );
    // JustCreate: Created, never run anywhere.
    let rsp = create_vm(&t, &sid, &dc, "vm2", json!({ "strategy": "JustCreate" })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Created");
    assert!(rsp.body["inventory"]["hostUuid"].is_null());
    assert!(rsp.body["inventory"]["lastHostUuid"].is_null());
    // Its root volume took storage (the image cache was made by the first VM).
    assert_eq!(
        capacity(&t, &sid, &dc).await,
        (before.0, before.1, before.2 - 3 * GB)
    );
    t.stop().await;
}

/// Submits `n` CreateVm at once and waits for them all: the finished jobs' responses.
async fn create_many(t: &TestNode, sid: &str, dc: &Dc, n: usize) -> Vec<Rsp> {
    let submits = (0..n).map(|i| {
        let body = json!({ "params": {
            "name": format!("vm{i}"), "instanceOfferingUuid": dc.offering,
            "imageUuid": dc.image, "l3NetworkUuids": [dc.l3],
        }});
        t.send(Method::POST, "/vm-instances", Some(sid), Some(body), &[])
    });
    let accepted = futures_util::future::join_all(submits).await;
    let waits = accepted.iter().map(|a| {
        assert_eq!(a.status, 202, "{:?}", a.body);
        t.wait_job_as(a.body["location"].as_str().expect("a location"), sid)
    });
    futures_util::future::join_all(waits).await
}

#[actix_web::test]
async fn racing_creates_never_over_commit_the_last_host_capacity() {
    let t = first_available_node().await;
    let sid = t.login().await;
    // Room for five VMs of 2 CPUs and 1 GiB; a thousand race for it.
    let dc = datacenter(&t, &sid, 10, 64 * GB).await;
    let done = create_many(&t, &sid, &dc, 1000).await;
    let ok = done.iter().filter(|r| r.status == 200).count();
    for r in done.iter().filter(|r| r.status != 200) {
        assert_eq!(r.status, 503, "{:?}", r.body);
        assert_eq!(r.code(), "SYS.1006", "{:?}", r.body);
    }
    assert_eq!(ok, 5);
    let (cpu, memory, _) = capacity(&t, &sid, &dc).await;
    assert_eq!((cpu, memory), (0, 59 * GB));
    assert_eq!(count(&t, &sid, "/vm-instances").await, 5);
    assert_eq!(count(&t, &sid, "/volumes").await, 5);
    assert_eq!(count(&t, &sid, "/vm-instances/nics").await, 5);
    t.stop().await;
}

#[actix_web::test]
async fn racing_creates_share_out_the_last_addresses_once() {
    let t = first_available_node().await;
    let sid = t.login().await;
    // Room on the host for all; ten addresses for fifteen VMs.
    let dc = datacenter(&t, &sid, 100, 100 * GB).await;
    let done = create_many(&t, &sid, &dc, 15).await;
    let ok = done.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        10,
        "{:?}",
        done.iter().map(|r| r.details()).collect::<Vec<_>>()
    );
    for r in done.iter().filter(|r| r.status != 200) {
        assert!(r.details().contains("AllocateIps"), "{}", r.details());
    }
    let nics = t.get("/vm-instances/nics", &sid).await.body["inventories"].clone();
    let mut ips: Vec<String> = nics
        .as_array()
        .expect("nics")
        .iter()
        .map(|n| n["ip"].as_str().unwrap_or_default().to_string())
        .collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 10);
    // The failed ones gave their CPUs back.
    let (cpu, _, _) = capacity(&t, &sid, &dc).await;
    assert_eq!(cpu, 100 - 20);
    t.stop().await;
}

#[actix_web::test]
async fn operations_on_one_vm_run_one_at_a_time_in_arrival_order() {
    let t = first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let rsp = create_vm(&t, &sid, &dc, "vm1", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    // Each host operation takes a while, so unordered operations would overlap and see each
    // other's intermediate states.
    let rsp = t
        .simulate(&sid, &dc.host, json!({ "operationDelayMs": 200 }))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let mut accepted = Vec::new();
    for action in [
        "stopVmInstance",
        "startVmInstance",
        "stopVmInstance",
        "startVmInstance",
    ] {
        let rsp = t
            .send(
                Method::PUT,
                &format!("/vm-instances/{vm}/actions"),
                Some(&sid),
                Some(json!({ action: {} })),
                &[],
            )
            .await;
        assert_eq!(rsp.status, 202, "{:?}", rsp.body);
        accepted.push(
            rsp.body["location"]
                .as_str()
                .expect("a location")
                .to_string(),
        );
    }
    let mut states = Vec::new();
    for location in &accepted {
        let done = t.wait_job_as(location, &sid).await;
        assert_eq!(done.status, 200, "{:?}", done.body);
        states.push(
            done.body["inventory"]["state"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
    }
    assert_eq!(states, ["Stopped", "Running", "Stopped", "Running"]);
    t.stop().await;
}

#[actix_web::test]
async fn the_default_random_allocator_hands_out_every_address_once_under_a_race() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 64, 64 * GB).await;
    let results = create_many(&t, &sid, &dc, 12).await;
    let ok: Vec<&Rsp> = results.iter().filter(|r| r.status == 200).collect();
    // Ten addresses: ten VMs, the other two refused at AllocateIps with nothing kept.
    assert_eq!(ok.len(), 10, "{results:?}");
    for failed in results.iter().filter(|r| r.status != 200) {
        assert!(
            failed.details().contains("AllocateIps"),
            "{:?}",
            failed.body
        );
    }
    let mut ips: Vec<String> = Vec::new();
    for r in &ok {
        let q = one(
            &t,
            &sid,
            &format!("/vm-instances/{}", uuid_of(&r.body["inventory"])),
        )
        .await;
        ips.push(
            q["vmNics"][0]["ip"]
                .as_str()
                .expect("an address")
                .to_string(),
        );
    }
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 10, "{ips:?}");
    assert_eq!(used_ips(&t, &sid, &dc).await, 10);
    let capacity = t
        .get(
            &format!(
                "/ip-capacity?zoneUuids={}&l3NetworkUuids={}",
                dc.zone, dc.l3
            ),
            &sid,
        )
        .await;
    assert_eq!(capacity.body["totalCapacity"], 10, "{:?}", capacity.body);
    assert_eq!(capacity.body["availableCapacity"], 0);
    assert_eq!(capacity.body["ipv4UsedIpAddressNumber"], 10);
    assert_eq!(capacity.body["resourceType"], "L3NetworkVO");
    assert_eq!(
        capacity.body["capacityData"][1]["resourceUuid"],
        dc.l3.as_str()
    );
    assert_eq!(capacity.body["capacityData"][1]["usedIpAddressNumber"], 10);
    t.stop().await;
}
