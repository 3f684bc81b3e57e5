//! A VM's NICs after its creation: AttachL3NetworkToVm gives it a NIC with an address of the
//! network's ranges and a MAC of its own, DetachL3NetworkFromVm takes it off and gives the
//! address back, the default network follows, and NIC operations queue behind the VM's others.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};
use crate::vm::{Dc, GB, count, create_vm, datacenter, one, post, uuid_of, vm_action};

/// A second L3 network, `name`, on a new L2 network attached to the datacenter's cluster when
/// `reach_cluster`, with the addresses `first` to `last` of 10.1.0.0/24.
pub(crate) async fn another_l3(
    t: &TestNode,
    sid: &str,
    dc: &Dc,
    name: &str,
    reach_cluster: bool,
    (first, last): (u8, u8),
) -> String {
    let l2 = uuid_of(
        &t.create(
            sid,
            "/l2-networks/no-vlan",
            json!({ "name": format!("{name}-l2"), "zoneUuid": dc.zone, "physicalInterface": "eth1" }),
        )
        .await,
    );
    if reach_cluster {
        let rsp = post(
            t,
            sid,
            &format!("/l2-networks/{l2}/clusters/{}", dc.cluster),
            json!({}),
        )
        .await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    }
    let l3 = uuid_of(
        &t.create(
            sid,
            "/l3-networks",
            json!({ "name": name, "l2NetworkUuid": l2 }),
        )
        .await,
    );
    let rsp = post(
        t,
        sid,
        &format!("/l3-networks/{l3}/ip-ranges"),
        json!({ "name": "r", "startIp": format!("10.1.0.{first}"), "endIp": format!("10.1.0.{last}"),
                "netmask": "255.255.255.0", "gateway": "10.1.0.1" }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    l3
}

pub(crate) async fn attach(t: &TestNode, sid: &str, vm: &str, l3: &str, params: Value) -> Rsp {
    post(
        t,
        sid,
        &format!("/vm-instances/{vm}/l3-networks/{l3}"),
        params,
    )
    .await
}

pub(crate) async fn detach(t: &TestNode, sid: &str, nic: &str) -> Rsp {
    t.call_async(
        Method::DELETE,
        &format!("/vm-instances/nics/{nic}"),
        sid,
        None,
    )
    .await
}

async fn new_vm(t: &TestNode, sid: &str, dc: &Dc, name: &str) -> String {
    let rsp = create_vm(t, sid, dc, name, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    uuid_of(&rsp.body["inventory"])
}

/// The VM's NIC on `l3`, as QueryVmNic answers it.
async fn nic_on(t: &TestNode, sid: &str, vm: &str, l3: &str) -> Value {
    one(
        t,
        sid,
        &format!("/vm-instances/nics?q=vmInstanceUuid={vm}&q=l3NetworkUuid={l3}"),
    )
    .await
}

#[actix_web::test]
async fn an_attached_l3_network_gives_a_nic_with_a_free_address_and_its_own_mac() {
    let t = crate::vm::first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let l3b = another_l3(&t, &sid, &dc, "l3b", true, (10, 11)).await;
    let vm1 = new_vm(&t, &sid, &dc, "vm1").await;

    let rsp = attach(&t, &sid, &vm1, &l3b, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(inv["uuid"], vm1.as_str());
    assert_eq!(inv["state"], "Running");
    // The default network stays the first one.
    assert_eq!(inv["defaultL3NetworkUuid"], dc.l3.as_str());
    let nics = inv["vmNics"].as_array().expect("vmNics");
    assert_eq!(nics.len(), 2, "{inv}");
    let added = &nics[1];
    assert_eq!(added["l3NetworkUuid"], l3b.as_str());
    assert_eq!(added["ip"], "10.1.0.10");
    assert_eq!(added["gateway"], "10.1.0.1");
    assert_eq!(added["netmask"], "255.255.255.0");
    assert_eq!(added["deviceId"], 1);
    let mac = added["mac"].as_str().expect("a mac");
    assert!(mac.starts_with("fa:") && mac.len() == 17, "{mac}");
    assert_ne!(nics[0]["mac"], added["mac"]);

    // Stored, and queried both ways.
    let q = one(&t, &sid, &format!("/vm-instances/{vm1}")).await;
    assert_eq!(q["vmNics"].as_array().map(Vec::len), Some(2), "{q}");
    for (path, n) in [
        ("/vm-instances/nics?q=vmInstance.name=vm1", 2),
        ("/vm-instances/nics?q=l3Network.name=l3b", 1),
        ("/vm-instances/nics?q=ip=10.1.0.10", 1),
        ("/l3-networks?q=vmNic.ip=10.1.0.10", 1),
        ("/vm-instances?q=vmNics.l3Network.name=l3b", 1),
    ] {
        assert_eq!(count(&t, &sid, path).await, n, "{path}");
    }
    assert_eq!(
        one(&t, &sid, "/l3-networks?q=vmNic.ip=10.1.0.10").await["uuid"],
        l3b.as_str()
    );

    // One NIC per network and VM.
    let rsp = attach(&t, &sid, &vm1, &l3b, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(
        rsp.details().contains("is already attached"),
        "{}",
        rsp.details()
    );

    // A taken static IP is refused and takes nothing; a free one is honoured, on a Stopped VM
    // too.
    let vm2 = new_vm(&t, &sid, &dc, "vm2").await;
    let rsp = vm_action(&t, &sid, &vm2, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = attach(&t, &sid, &vm2, &l3b, json!({ "staticIp": "10.1.0.10" })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("10.1.0.10"), "{}", rsp.details());
    assert!(
        rsp.details().contains("already in use"),
        "{}",
        rsp.details()
    );
    let rsp = attach(&t, &sid, &vm2, &l3b, json!({ "staticIp": "10.1.0.99" })).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(
        rsp.details().contains("not in any IP range"),
        "{}",
        rsp.details()
    );
    assert_eq!(
        count(&t, &sid, "/vm-instances/nics?q=l3Network.name=l3b").await,
        1
    );
    let rsp = attach(&t, &sid, &vm2, &l3b, json!({ "staticIp": "10.1.0.11" })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["state"], "Stopped");
    assert_eq!(nic_on(&t, &sid, &vm2, &l3b).await["ip"], "10.1.0.11");

    // The range is full: a third VM gets nothing until an address comes back.
    let vm3 = new_vm(&t, &sid, &dc, "vm3").await;
    let rsp = attach(&t, &sid, &vm3, &l3b, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("no free IP"), "{}", rsp.details());
    let gone = uuid_of(&nic_on(&t, &sid, &vm1, &l3b).await);
    let rsp = detach(&t, &sid, &gone).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let nics = rsp.body["inventory"]["vmNics"].as_array().expect("vmNics");
    assert_eq!(nics.len(), 1, "{:?}", rsp.body);
    assert_eq!(nics[0]["l3NetworkUuid"], dc.l3.as_str());
    assert_eq!(
        count(&t, &sid, &format!("/vm-instances/nics?q=uuid={gone}")).await,
        0
    );
    let rsp = attach(&t, &sid, &vm3, &l3b, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(nic_on(&t, &sid, &vm3, &l3b).await["ip"], "10.1.0.10");

    // Detaching what is gone is SYS.1003.
    let rsp = detach(&t, &sid, &gone).await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn detaching_the_default_nic_moves_the_default_network() {
    let t = crate::vm::first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let l3b = another_l3(&t, &sid, &dc, "l3b", true, (10, 19)).await;
    let vm = new_vm(&t, &sid, &dc, "vm1").await;
    let rsp = attach(&t, &sid, &vm, &l3b, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    let first = uuid_of(&nic_on(&t, &sid, &vm, &dc.l3).await);
    let rsp = detach(&t, &sid, &first).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["defaultL3NetworkUuid"], l3b.as_str());
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    assert_eq!(q["defaultL3NetworkUuid"], l3b.as_str());
    // Its address is free again: a new VM gets the first one of the range.
    let other = new_vm(&t, &sid, &dc, "vm2").await;
    assert_eq!(nic_on(&t, &sid, &other, &dc.l3).await["ip"], "192.168.0.10");

    // Without NICs the VM has no default network; the next one it gets becomes it, at the
    // lowest free device id.
    let last = uuid_of(&nic_on(&t, &sid, &vm, &l3b).await);
    let rsp = detach(&t, &sid, &last).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert!(
        rsp.body["inventory"].get("defaultL3NetworkUuid").is_none(),
        "{:?}",
        rsp.body
    );
    assert_eq!(rsp.body["inventory"]["vmNics"], json!([]));
    let rsp = attach(&t, &sid, &vm, &dc.l3, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        rsp.body["inventory"]["defaultL3NetworkUuid"],
        dc.l3.as_str()
    );
    assert_eq!(rsp.body["inventory"]["vmNics"][0]["deviceId"], 0);
    t.stop().await;
}

#[actix_web::test]
async fn attach_is_refused_where_the_vm_cannot_use_the_network_or_its_state_forbids() {
    let t = crate::vm::first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let far = another_l3(&t, &sid, &dc, "far", false, (10, 19)).await;
    let vm = new_vm(&t, &sid, &dc, "vm1").await;

    let rsp = attach(&t, &sid, &vm, &far, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(
        rsp.details().contains(&dc.cluster) && rsp.details().contains("not attached"),
        "{}",
        rsp.details()
    );
    // Nothing was taken: the first address of the range is still free.
    let l2 = one(&t, &sid, &format!("/l3-networks/{far}")).await["l2NetworkUuid"]
        .as_str()
        .expect("l2")
        .to_string();
    let rsp = post(
        &t,
        &sid,
        &format!("/l2-networks/{l2}/clusters/{}", dc.cluster),
        json!({}),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = attach(&t, &sid, &vm, &far, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(nic_on(&t, &sid, &vm, &far).await["ip"], "10.1.0.10");

    // A disabled network is refused.
    let rsp = t
        .action(
            &sid,
            &format!("/l3-networks/{far}/actions"),
            "changeL3NetworkState",
            json!({ "stateEvent": "disable" }),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm2 = new_vm(&t, &sid, &dc, "vm2").await;
    let rsp = attach(&t, &sid, &vm2, &far, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("disabled"), "{}", rsp.details());

    // A Destroyed VM neither gets nor loses NICs, and says why.
    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = attach(&t, &sid, &vm, &dc.l3, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("Destroyed"), "{}", rsp.details());
    let nic = uuid_of(&nic_on(&t, &sid, &vm, &far).await);
    let rsp = detach(&t, &sid, &nic).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(rsp.details().contains("Destroyed"), "{}", rsp.details());

    // Expunged, its attached NIC's address goes back too.
    let rsp = vm_action(&t, &sid, &vm, "expungeVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        count(&t, &sid, "/vm-instances/nics?q=l3Network.name=far").await,
        0
    );
    let rsp = t
        .action(
            &sid,
            &format!("/l3-networks/{far}/actions"),
            "changeL3NetworkState",
            json!({ "stateEvent": "enable" }),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = attach(&t, &sid, &vm2, &far, json!({ "staticIp": "10.1.0.10" })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn nic_operations_queue_behind_the_vms_other_operations() {
    let t = crate::vm::first_available_node().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let l3b = another_l3(&t, &sid, &dc, "l3b", true, (10, 19)).await;
    let vm = new_vm(&t, &sid, &dc, "vm1").await;
    let first = uuid_of(&nic_on(&t, &sid, &vm, &dc.l3).await);
    // The host takes a while to destroy the VM: a NIC operation running beside the destroy
    // would still find the VM Running and go ahead.
    let rsp = t
        .simulate(&sid, &dc.host, json!({ "operationDelayMs": 300 }))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let requests = [
        (Method::DELETE, format!("/vm-instances/{vm}"), None),
        (Method::DELETE, format!("/vm-instances/nics/{first}"), None),
        (
            Method::POST,
            format!("/vm-instances/{vm}/l3-networks/{l3b}"),
            Some(json!({ "params": {} })),
        ),
    ];
    let mut accepted = Vec::new();
    for (method, path, body) in requests {
        let rsp = t.send(method, &path, Some(&sid), body, &[]).await;
        assert_eq!(rsp.status, 202, "{:?}", rsp.body);
        accepted.push(
            rsp.body["location"]
                .as_str()
                .expect("a location")
                .to_string(),
        );
    }
    let destroyed = t.wait_job_as(&accepted[0], &sid).await;
    assert_eq!(destroyed.status, 200, "{:?}", destroyed.body);
    for location in &accepted[1..] {
        let done = t.wait_job_as(location, &sid).await;
        assert_eq!(done.status, 503, "{:?}", done.body);
        assert!(done.details().contains("Destroyed"), "{}", done.details());
    }
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    assert_eq!(q["state"], "Destroyed");
    let nics: Vec<&str> = q["vmNics"]
        .as_array()
        .expect("vmNics")
        .iter()
        .filter_map(|n| n["uuid"].as_str())
        .collect();
    assert_eq!(nics, [first.as_str()]);
    t.stop().await;
}
