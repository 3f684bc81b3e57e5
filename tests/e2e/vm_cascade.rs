//! What deleting infrastructure and host maintenance do to VMs and volumes, over REST: a
//! Permissive delete of a host, cluster, zone, L3 network or primary storage is refused while
//! VMs use it, naming them; an Enforcing one stops, removes or detaches them as ZStack does,
//! giving back capacity, addresses and volumes, and leaving no row pointing at one that went.
//! A host entering maintenance migrates its VMs where there is room and stops the rest, or
//! fails naming a VM it could neither move nor stop.

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};
use crate::vm::{Dc, GB, count, create_vm, datacenter, one, uuid_of, vm_action};
use crate::vm_nic::another_l3;
use crate::vm_ops::{add_host, host_vms, room, vm_of};
use crate::volume::{attach, available, new_volume, nfs};

/// A VM Running on `host`, its root volume on `storage` (the host's local storage if none).
async fn vm_on(
    t: &TestNode,
    sid: &str,
    dc: &Dc,
    name: &str,
    host: &str,
    storage: Option<&str>,
) -> String {
    let mut extra = json!({ "hostUuid": host });
    if let Some(ps) = storage {
        extra["primaryStorageUuidForRootVolume"] = json!(ps);
    }
    let rsp = create_vm(t, sid, dc, name, extra).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["hostUuid"], host);
    uuid_of(&rsp.body["inventory"])
}

async fn stop(t: &TestNode, sid: &str, vm: &str) {
    let rsp = vm_action(t, sid, vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
}

/// `DELETE path`, with `deleteMode` when given, waited for.
async fn delete(t: &TestNode, sid: &str, path: &str, mode: Option<&str>) -> Rsp {
    let path = match mode {
        Some(mode) => format!("{path}?deleteMode={mode}"),
        None => path.to_string(),
    };
    t.call_async(Method::DELETE, &path, sid, None).await
}

/// A Permissive refusal naming each of `vms`.
fn refused_naming(rsp: &Rsp, vms: &[&str]) {
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    for vm in vms {
        assert!(rsp.details().contains(vm), "{vm}: {}", rsp.details());
    }
}

fn done(rsp: &Rsp) {
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
}

async fn exists(t: &TestNode, sid: &str, path: &str) -> bool {
    count(t, sid, path).await == 1
}

/// The address of `vm`'s first NIC.
async fn ip_of(t: &TestNode, sid: &str, vm: &str) -> String {
    vm_of(t, sid, vm).await["vmNics"][0]["ip"]
        .as_str()
        .expect("an address")
        .to_string()
}

async fn sql_strings(t: &TestNode, sql: &str) -> Vec<String> {
    let db = Database::connect(t.db.url.as_str()).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// Every stored reference to a row that is not there: `table.column=uuid`.
async fn dangling(t: &TestNode) -> Vec<String> {
    let refs = [
        ("vm_instance", "zone_uuid", "zone", "uuid"),
        ("vm_instance", "cluster_uuid", "cluster", "uuid"),
        ("vm_instance", "host_uuid", "host", "uuid"),
        ("vm_instance", "last_host_uuid", "host", "uuid"),
        (
            "vm_instance",
            "default_l3_network_uuid",
            "l3_network",
            "uuid",
        ),
        ("vm_instance", "root_volume_uuid", "volume", "uuid"),
        ("vm_nic", "vm_instance_uuid", "vm_instance", "uuid"),
        ("vm_nic", "l3_network_uuid", "l3_network", "uuid"),
        ("used_ip", "l3_network_uuid", "l3_network", "uuid"),
        ("used_ip", "owner_uuid", "vm_nic", "uuid"),
        ("volume", "primary_storage_uuid", "primary_storage", "uuid"),
        ("volume", "vm_instance_uuid", "vm_instance", "uuid"),
        ("volume_local_host", "volume_uuid", "volume", "uuid"),
        ("volume_local_host", "host_uuid", "host", "uuid"),
    ];
    let mut selects: Vec<String> = refs
        .iter()
        .map(|(table, column, target, key)| {
            format!(
                "SELECT '{table}.{column}=' || {column} FROM {table} \
                 WHERE {column} IS NOT NULL AND {column} NOT IN (SELECT {key} FROM {target})"
            )
        })
        .collect();
    // A resource's uuid and owner record go with its row.
    for (vo, table) in [
        ("VmInstanceVO", "vm_instance"),
        ("VmNicVO", "vm_nic"),
        ("VolumeVO", "volume"),
        ("HostVO", "host"),
    ] {
        selects.push(format!(
            "SELECT 'resource.{vo}=' || uuid FROM resource \
             WHERE resource_type = '{vo}' AND uuid NOT IN (SELECT uuid FROM {table})"
        ));
        selects.push(format!(
            "SELECT 'account_resource_ref.{vo}=' || resource_uuid FROM account_resource_ref \
             WHERE resource_type = '{vo}' AND resource_uuid NOT IN (SELECT uuid FROM {table})"
        ));
    }
    sql_strings(t, &selects.join(" UNION ALL ")).await
}

async fn assert_nothing_dangles(t: &TestNode) {
    let left = dangling(t).await;
    assert!(left.is_empty(), "rows pointing at rows that went: {left:?}");
}

/// A node with the VM tests' datacenter (8 CPUs and 8 GiB on its host) and NFS primary
/// storage attached to its cluster: (node, session, datacenter, NFS storage).
async fn datacenter_with_nfs() -> (TestNode, String, Dc, String) {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let shared = nfs(&t, &sid, &dc, "shared", 100 * GB, true).await;
    (t, sid, dc, shared)
}

#[actix_web::test]
async fn deleting_a_host_is_refused_while_vms_use_it_and_enforcing_stops_or_removes_them() {
    let (t, sid, dc, shared) = datacenter_with_nfs().await;
    let h1 = dc.host.clone();
    let h2 = add_host(&t, &sid, &dc, "h2", "10.0.0.12", 8, 8 * GB).await;
    // Elsewhere first: the local storage's image cache is there before what h1 takes of it.
    let elsewhere = vm_on(&t, &sid, &dc, "elsewhere", &h2, None).await;
    let local_free = available(&t, &sid, &dc.ps).await;
    let on_nfs = vm_on(&t, &sid, &dc, "on-nfs", &h1, Some(&shared)).await;
    let on_disks = vm_on(&t, &sid, &dc, "on-disks", &h1, None).await;
    let last_ran = vm_on(&t, &sid, &dc, "last-ran", &h1, Some(&shared)).await;
    stop(&t, &sid, &last_ran).await;
    let freed_ip = ip_of(&t, &sid, &on_disks).await;

    // Permissive: refused naming the VMs on it and on its disks; one that only last ran there
    // does not use it.
    let host = format!("/hosts/{h1}");
    let rsp = delete(&t, &sid, &host, None).await;
    refused_naming(&rsp, &[&on_nfs, &on_disks]);
    assert!(!rsp.details().contains(&last_ran), "{}", rsp.details());
    assert!(exists(&t, &sid, &format!("/hosts?q=uuid={h1}")).await);
    assert_eq!(vm_of(&t, &sid, &on_nfs).await["state"], "Running");

    // Enforcing: the VM on shared storage is stopped and forgets the host; the one whose root
    // volume was on the host's disks goes with them, giving back its address and storage.
    done(&delete(&t, &sid, &host, Some("Enforcing")).await);
    assert!(!exists(&t, &sid, &format!("/hosts?q=uuid={h1}")).await);
    let vm = vm_of(&t, &sid, &on_nfs).await;
    assert_eq!(vm["state"], "Stopped", "{vm}");
    assert!(
        vm["hostUuid"].is_null() && vm["lastHostUuid"].is_null(),
        "{vm}"
    );
    let vm = vm_of(&t, &sid, &last_ran).await;
    assert_eq!(vm["state"], "Stopped", "{vm}");
    assert!(vm["lastHostUuid"].is_null(), "{vm}");
    assert_eq!(
        count(&t, &sid, &format!("/vm-instances?q=uuid={on_disks}")).await,
        0
    );
    let of_gone = format!("?q=vmInstanceUuid={on_disks}");
    assert_eq!(
        count(&t, &sid, &format!("/vm-instances/nics{of_gone}")).await,
        0
    );
    assert_eq!(count(&t, &sid, &format!("/volumes{of_gone}")).await, 0);
    assert_eq!(available(&t, &sid, &dc.ps).await, local_free);
    let vm = vm_of(&t, &sid, &elsewhere).await;
    assert_eq!(
        (vm["state"].as_str(), vm["hostUuid"].as_str()),
        (Some("Running"), Some(h2.as_str()))
    );
    assert_eq!(
        host_vms(&t, &sid, &h2).await,
        vec![(elsewhere.clone(), "Running".to_string())]
    );
    assert_nothing_dangles(&t).await;

    // The address is free again, and the stopped VM starts on the host left.
    let tag = format!("staticIp::{}::{freed_ip}", dc.l3);
    let again = create_vm(&t, &sid, &dc, "again", json!({ "systemTags": [tag] })).await;
    done(&again);
    assert_eq!(
        ip_of(&t, &sid, &uuid_of(&again.body["inventory"])).await,
        freed_ip
    );
    let started = vm_action(&t, &sid, &on_nfs, "startVmInstance").await;
    done(&started);
    assert_eq!(started.body["inventory"]["hostUuid"], h2.as_str());
    t.stop().await;
}

#[actix_web::test]
async fn deleting_a_cluster_stops_its_vms_out_of_it_and_deleting_its_zone_removes_them() {
    let (t, sid, dc, shared) = datacenter_with_nfs().await;
    let on_disks = vm_on(&t, &sid, &dc, "on-disks", &dc.host, None).await;
    let stopped = vm_on(&t, &sid, &dc, "stopped", &dc.host, Some(&shared)).await;
    stop(&t, &sid, &stopped).await;

    let cluster = format!("/clusters/{}", dc.cluster);
    let rsp = delete(&t, &sid, &cluster, None).await;
    refused_naming(&rsp, &[&on_disks, &stopped]);
    assert!(exists(&t, &sid, &format!("/clusters?q=uuid={}", dc.cluster)).await);

    done(&delete(&t, &sid, &cluster, Some("Enforcing")).await);
    assert_eq!(count(&t, &sid, "/clusters").await, 0);
    assert_eq!(count(&t, &sid, "/hosts").await, 0);
    assert_eq!(
        count(&t, &sid, &format!("/vm-instances?q=uuid={on_disks}")).await,
        0
    );
    let vm = vm_of(&t, &sid, &stopped).await;
    assert_eq!(vm["state"], "Stopped", "{vm}");
    assert_eq!(vm["zoneUuid"], dc.zone.as_str());
    for gone in ["clusterUuid", "hostUuid", "lastHostUuid"] {
        assert!(vm[gone].is_null(), "{gone}: {vm}");
    }
    assert_nothing_dangles(&t).await;

    // The zone still holds the stopped VM: refused, naming it; Enforcing takes it all.
    let zone = format!("/zones/{}", dc.zone);
    refused_naming(&delete(&t, &sid, &zone, None).await, &[&stopped]);
    done(&delete(&t, &sid, &zone, Some("Enforcing")).await);
    for path in [
        "/vm-instances",
        "/vm-instances/nics",
        "/volumes",
        "/primary-storage",
    ] {
        assert_eq!(count(&t, &sid, path).await, 0, "{path}");
    }
    assert_nothing_dangles(&t).await;
    t.stop().await;
}

#[actix_web::test]
async fn deleting_a_zone_removes_its_vms_whatever_their_state() {
    let (t, sid, dc, shared) = datacenter_with_nfs().await;
    let running = vm_on(&t, &sid, &dc, "running", &dc.host, None).await;
    let on_nfs = vm_on(&t, &sid, &dc, "on-nfs", &dc.host, Some(&shared)).await;
    let stopped = vm_on(&t, &sid, &dc, "stopped", &dc.host, Some(&shared)).await;
    stop(&t, &sid, &stopped).await;
    let destroyed = vm_on(&t, &sid, &dc, "destroyed", &dc.host, Some(&shared)).await;
    let rsp = t
        .call_async(
            Method::DELETE,
            &format!("/vm-instances/{destroyed}"),
            &sid,
            None,
        )
        .await;
    done(&rsp);
    let loose = new_volume(
        &t,
        &sid,
        json!({ "name": "loose", "diskSize": GB, "primaryStorageUuid": shared }),
        &[],
    )
    .await;

    let zone = format!("/zones/{}", dc.zone);
    let rsp = delete(&t, &sid, &zone, None).await;
    refused_naming(&rsp, &[&running, &on_nfs, &stopped, &destroyed]);
    // Named once, by the zone, not again by each host, storage and network of it.
    let named = format!("zone[uuid:{}] is in use", dc.zone);
    assert!(rsp.details().contains(&named), "{}", rsp.details());
    assert_eq!(
        rsp.details().matches(&running).count(),
        1,
        "{}",
        rsp.details()
    );
    assert_eq!(count(&t, &sid, "/vm-instances").await, 4);
    assert_eq!(
        count(&t, &sid, &format!("/volumes?q=uuid={}", uuid_of(&loose))).await,
        1
    );

    done(&delete(&t, &sid, &zone, Some("Enforcing")).await);
    for path in [
        "/zones",
        "/hosts",
        "/vm-instances",
        "/vm-instances/nics",
        "/volumes",
        "/l3-networks",
    ] {
        assert_eq!(count(&t, &sid, path).await, 0, "{path}");
    }
    assert_nothing_dangles(&t).await;
    t.stop().await;
}

#[actix_web::test]
async fn deleting_an_l3_network_detaches_the_nics_on_it_and_gives_their_addresses_back() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let l3b = another_l3(&t, &sid, &dc, "l3b", true, (10, 19)).await;
    let both = create_vm(
        &t,
        &sid,
        &dc,
        "both",
        json!({ "l3NetworkUuids": [dc.l3, l3b], "defaultL3NetworkUuid": l3b }),
    )
    .await;
    done(&both);
    let both = uuid_of(&both.body["inventory"]);
    assert_eq!(
        vm_of(&t, &sid, &both).await["defaultL3NetworkUuid"],
        l3b.as_str()
    );
    let only_b = create_vm(&t, &sid, &dc, "only-b", json!({ "l3NetworkUuids": [l3b] })).await;
    done(&only_b);
    let only_b = uuid_of(&only_b.body["inventory"]);
    stop(&t, &sid, &only_b).await;
    let untouched = create_vm(&t, &sid, &dc, "untouched", json!({})).await;
    done(&untouched);
    let untouched = uuid_of(&untouched.body["inventory"]);
    let used_on_b = format!("SELECT ip FROM used_ip WHERE l3_network_uuid = '{l3b}'");
    assert_eq!(sql_strings(&t, &used_on_b).await.len(), 2);

    // Deleting its L2 network would take it: refused alike.
    let l2 = one(&t, &sid, &format!("/l3-networks/{l3b}")).await["l2NetworkUuid"]
        .as_str()
        .expect("an L2 network")
        .to_string();
    let rsp = delete(&t, &sid, &format!("/l2-networks/{l2}"), None).await;
    refused_naming(&rsp, &[&both, &only_b]);
    let l3 = format!("/l3-networks/{l3b}");
    let rsp = delete(&t, &sid, &l3, None).await;
    refused_naming(&rsp, &[&both, &only_b]);
    assert!(!rsp.details().contains(&untouched), "{}", rsp.details());
    assert_eq!(count(&t, &sid, "/vm-instances/nics").await, 4);

    done(&delete(&t, &sid, &l3, Some("Enforcing")).await);
    assert_eq!(
        count(&t, &sid, &format!("/l3-networks?q=uuid={l3b}")).await,
        0
    );
    let vm = vm_of(&t, &sid, &both).await;
    assert_eq!(vm["state"], "Running", "{vm}");
    let nics = vm["vmNics"].as_array().expect("NICs");
    assert_eq!(nics.len(), 1, "{vm}");
    assert_eq!(nics[0]["l3NetworkUuid"], dc.l3.as_str());
    assert_eq!(vm["defaultL3NetworkUuid"], dc.l3.as_str(), "{vm}");
    let vm = vm_of(&t, &sid, &only_b).await;
    assert_eq!(vm["state"], "Stopped", "{vm}");
    assert_eq!(vm["vmNics"], json!([]), "{vm}");
    assert!(vm["defaultL3NetworkUuid"].is_null(), "{vm}");
    let vm = vm_of(&t, &sid, &untouched).await;
    assert_eq!(vm["vmNics"].as_array().map(Vec::len), Some(1), "{vm}");
    assert!(sql_strings(&t, &used_on_b).await.is_empty());
    assert_nothing_dangles(&t).await;
    t.stop().await;
}

#[actix_web::test]
async fn deleting_primary_storage_removes_the_vms_rooted_on_it_and_its_data_volumes() {
    let (t, sid, dc, shared) = datacenter_with_nfs().await;
    let local = vm_on(&t, &sid, &dc, "local", &dc.host, None).await;
    let rooted = vm_on(&t, &sid, &dc, "rooted", &dc.host, Some(&shared)).await;
    let freed_ip = ip_of(&t, &sid, &rooted).await;
    let attached = new_volume(
        &t,
        &sid,
        json!({ "name": "attached", "diskSize": GB, "primaryStorageUuid": shared }),
        &[],
    )
    .await;
    done(&attach(&t, &sid, &uuid_of(&attached), &local).await);
    let loose = new_volume(
        &t,
        &sid,
        json!({ "name": "loose", "diskSize": GB, "primaryStorageUuid": shared }),
        &[],
    )
    .await;
    let local_free = available(&t, &sid, &dc.ps).await;
    let (cpu, memory) = room(&t, &sid, &dc.host).await;

    let ps = format!("/primary-storage/{shared}");
    let rsp = delete(&t, &sid, &ps, None).await;
    refused_naming(&rsp, &[&rooted, &local]);
    assert_eq!(count(&t, &sid, "/volumes").await, 4);

    done(&delete(&t, &sid, &ps, Some("Enforcing")).await);
    assert_eq!(
        count(&t, &sid, &format!("/primary-storage?q=uuid={shared}")).await,
        0
    );
    assert_eq!(
        count(&t, &sid, &format!("/vm-instances?q=uuid={rooted}")).await,
        0
    );
    for volume in [&attached, &loose] {
        let uuid = uuid_of(volume);
        assert_eq!(count(&t, &sid, &format!("/volumes?q=uuid={uuid}")).await, 0);
    }
    // The VM on local storage keeps running with its root volume alone.
    let vm = vm_of(&t, &sid, &local).await;
    assert_eq!(vm["state"], "Running", "{vm}");
    let volumes = vm["allVolumes"].as_array().expect("volumes");
    assert_eq!(volumes.len(), 1, "{vm}");
    assert_eq!(volumes[0]["type"], "Root");
    // The removed VM gave back its host's CPU and memory, and its address.
    assert_eq!(room(&t, &sid, &dc.host).await, (cpu + 2, memory + GB));
    assert_eq!(
        host_vms(&t, &sid, &dc.host).await,
        vec![(local.clone(), "Running".to_string())]
    );
    assert_eq!(available(&t, &sid, &dc.ps).await, local_free);
    let tag = format!("staticIp::{}::{freed_ip}", dc.l3);
    let again = create_vm(&t, &sid, &dc, "again", json!({ "systemTags": [tag] })).await;
    done(&again);
    assert_nothing_dangles(&t).await;
    t.stop().await;
}

/// The host of each of `vms` (none when it has none) and its state.
async fn placed(t: &TestNode, sid: &str, vms: &[String]) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for vm in vms {
        let v = vm_of(t, sid, vm).await;
        out.push((
            v["hostUuid"].as_str().map(str::to_string),
            v["state"].as_str().unwrap_or_default().to_string(),
        ));
    }
    out.sort();
    out
}

async fn change_host_state(t: &TestNode, sid: &str, host: &str, event: &str) -> Rsp {
    t.action(
        sid,
        &format!("/hosts/{host}/actions"),
        "changeHostState",
        json!({ "stateEvent": event }),
    )
    .await
}

async fn host_state(t: &TestNode, sid: &str, host: &str) -> Value {
    one(t, sid, &format!("/hosts/{host}")).await["state"].clone()
}

#[actix_web::test]
async fn maintenance_migrates_the_vms_that_fit_elsewhere_and_stops_the_rest() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let h1 = dc.host.clone();
    // Room for two VMs of 2 CPUs.
    let h2 = add_host(&t, &sid, &dc, "h2", "10.0.0.12", 4, 8 * GB).await;
    let mut vms = Vec::new();
    for name in ["a", "b", "c"] {
        vms.push(vm_on(&t, &sid, &dc, name, &h1, None).await);
    }

    let rsp = change_host_state(&t, &sid, &h1, "maintain").await;
    done(&rsp);
    assert_eq!(rsp.body["inventory"]["state"], "Maintenance");
    let running = (Some(h2.clone()), "Running".to_string());
    assert_eq!(
        placed(&t, &sid, &vms).await,
        vec![
            (None, "Stopped".to_string()),
            running.clone(),
            running.clone()
        ]
    );
    assert_eq!(room(&t, &sid, &h1).await, (8, 8 * GB));
    assert_eq!(room(&t, &sid, &h2).await, (0, 6 * GB));
    assert!(host_vms(&t, &sid, &h1).await.is_empty());
    assert_eq!(host_vms(&t, &sid, &h2).await.len(), 2);
    // The migrated VMs' root volumes moved to h2's disks with them; the stopped one's stayed.
    let disks = sql_strings(
        &t,
        &format!(
            "SELECT l.host_uuid FROM volume_local_host l JOIN volume v ON v.uuid = l.volume_uuid \
             WHERE v.type = 'Root' ORDER BY l.host_uuid = '{h1}', l.host_uuid"
        ),
    )
    .await;
    assert_eq!(disks, vec![h2.clone(), h2.clone(), h1.clone()]);

    // Leaving maintenance brings nothing back.
    let rsp = change_host_state(&t, &sid, &h1, "enable").await;
    done(&rsp);
    assert_eq!(rsp.body["inventory"]["state"], "Enabled");
    assert_eq!(
        placed(&t, &sid, &vms).await,
        vec![(None, "Stopped".to_string()), running.clone(), running]
    );
    assert!(host_vms(&t, &sid, &h1).await.is_empty());
    assert_nothing_dangles(&t).await;
    t.stop().await;
}

#[actix_web::test]
async fn maintenance_fails_naming_a_vm_that_can_be_neither_migrated_nor_stopped() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let h1 = dc.host.clone();
    // No room on h2, and h1 fails its next stop.
    add_host(&t, &sid, &dc, "h2", "10.0.0.12", 1, 8 * GB).await;
    let vm = vm_on(&t, &sid, &dc, "stuck", &h1, None).await;
    let before = room(&t, &sid, &h1).await;
    t.simulate_ok(&sid, &h1, json!({ "failOperation": "StopVm" }))
        .await;

    let rsp = change_host_state(&t, &sid, &h1, "maintain").await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "HOST.1001", "{:?}", rsp.body);
    assert!(rsp.details().contains(&vm), "{}", rsp.details());
    assert_eq!(host_state(&t, &sid, &h1).await, "Enabled");
    let v = vm_of(&t, &sid, &vm).await;
    assert_eq!(
        (v["state"].as_str(), v["hostUuid"].as_str()),
        (Some("Running"), Some(h1.as_str()))
    );
    assert_eq!(room(&t, &sid, &h1).await, before);

    // Once the host stops it, maintenance goes through.
    done(&change_host_state(&t, &sid, &h1, "maintain").await);
    assert_eq!(host_state(&t, &sid, &h1).await, "Maintenance");
    assert_eq!(vm_of(&t, &sid, &vm).await["state"], "Stopped");
    assert_eq!(room(&t, &sid, &h1).await, (8, 8 * GB));
    assert_nothing_dangles(&t).await;
    t.stop().await;
}
