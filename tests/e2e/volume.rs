//! Volumes over REST: data volumes created (NotInstantiated, or on primary storage), attached
//! to VMs and detached by ZStack's rules, deleted, recovered, expunged, grown, their state and
//! name changed, queried both ways; CreateVm's disks (data disk offerings, root disk size, ISO,
//! CPU and memory without an offering, the root volume's storage, the image cache); what a VM's
//! going does to its volumes; and PrimaryStorageMigrateVolume as a long job, done or canceled.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};
use crate::longjob::{bandwidth, long_job, progress, result_of, submit, wait_state};
use crate::vm::{Dc, GB, count, create_vm, datacenter, one, post, uuid_of, vm_action};

async fn disk_offering(t: &TestNode, sid: &str, name: &str, size: i64) -> String {
    uuid_of(
        &t.create(
            sid,
            "/disk-offerings",
            json!({ "name": name, "diskSize": size }),
        )
        .await,
    )
}

/// NFS primary storage of `size` bytes in the datacenter's zone; attached to its cluster when
/// `attached`.
pub(crate) async fn nfs(
    t: &TestNode,
    sid: &str,
    dc: &Dc,
    name: &str,
    size: i64,
    attached: bool,
) -> String {
    let ps = uuid_of(
        &t.create(
            sid,
            "/primary-storage/nfs",
            json!({ "name": name, "url": format!("10.0.0.2:/nfs/{name}"), "zoneUuid": dc.zone,
                    "totalCapacity": size }),
        )
        .await,
    );
    if attached {
        let rsp = post(
            t,
            sid,
            &format!("/clusters/{}/primary-storage/{ps}", dc.cluster),
            json!({}),
        )
        .await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    }
    ps
}

/// CreateDataVolume with `params` and `systemTags`, waited for.
async fn create_volume(t: &TestNode, sid: &str, params: Value, tags: &[String]) -> Rsp {
    t.call_async(
        Method::POST,
        "/volumes/data",
        sid,
        Some(json!({ "params": params, "systemTags": tags })),
    )
    .await
}

/// A data volume that must be created; its inventory.
pub(crate) async fn new_volume(t: &TestNode, sid: &str, params: Value, tags: &[String]) -> Value {
    let rsp = create_volume(t, sid, params, tags).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"].clone()
}

async fn volume(t: &TestNode, sid: &str, uuid: &str) -> Value {
    one(t, sid, &format!("/volumes/{uuid}")).await
}

pub(crate) async fn available(t: &TestNode, sid: &str, ps: &str) -> i64 {
    one(t, sid, &format!("/primary-storage/{ps}")).await["availableCapacity"]
        .as_i64()
        .expect("a capacity")
}

pub(crate) async fn attach(t: &TestNode, sid: &str, volume: &str, vm: &str) -> Rsp {
    post(
        t,
        sid,
        &format!("/volumes/{volume}/vm-instances/{vm}"),
        json!({}),
    )
    .await
}

async fn detach(t: &TestNode, sid: &str, volume: &str) -> Rsp {
    t.call_async(
        Method::DELETE,
        &format!("/volumes/{volume}/vm-instances"),
        sid,
        None,
    )
    .await
}

async fn volume_action(t: &TestNode, sid: &str, volume: &str, action: &str, params: Value) -> Rsp {
    t.action(sid, &format!("/volumes/{volume}/actions"), action, params)
        .await
}

async fn resize_root(t: &TestNode, sid: &str, root: &str, vm: &str, size: i64) -> Rsp {
    let params = json!({ "size": size, "vmInstanceUuid": vm });
    let path = format!("/volumes/resize/{root}/actions");
    t.action(sid, &path, "resizeRootVolume", params).await
}

async fn resize_data(t: &TestNode, sid: &str, volume: &str, size: i64) -> Rsp {
    let path = format!("/volumes/data/resize/{volume}/actions");
    t.action(sid, &path, "resizeDataVolume", json!({ "size": size }))
        .await
}

/// PrimaryStorageMigrateVolume called directly (not as a long job), waited for.
async fn migrate(t: &TestNode, sid: &str, volume: &str, to: &str) -> Rsp {
    let path = format!("/primary-storage/volumes/{volume}/actions");
    let params = json!({ "dstPrimaryStorageUuid": to });
    t.action(sid, &path, "primaryStorageMigrateVolume", params)
        .await
}

async fn delete(t: &TestNode, sid: &str, volume: &str) -> Rsp {
    t.call_async(Method::DELETE, &format!("/volumes/{volume}"), sid, None)
        .await
}

/// The uuid of VM `vm`'s root volume.
async fn root_of(t: &TestNode, sid: &str, vm: &str) -> String {
    let q = one(t, sid, &format!("/vm-instances/{vm}")).await;
    q["rootVolumeUuid"]
        .as_str()
        .expect("a root volume")
        .to_string()
}

/// The root volume of the VM a CreateVm made (it must have succeeded).
async fn root_volume(t: &TestNode, sid: &str, created: &Rsp) -> Value {
    assert_eq!(created.status, 200, "{:?}", created.body);
    let inv = &created.body["inventory"];
    volume(
        t,
        sid,
        inv["rootVolumeUuid"].as_str().expect("a root volume"),
    )
    .await
}

/// A running VM of the datacenter; its uuid.
async fn running_vm(t: &TestNode, sid: &str, dc: &Dc, name: &str, extra: Value) -> String {
    let rsp = create_vm(t, sid, dc, name, extra).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    uuid_of(&rsp.body["inventory"])
}

fn refused(rsp: &Rsp, code: &str, says: &str) {
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), code, "{:?}", rsp.body);
    assert!(rsp.details().contains(says), "{says}: {}", rsp.details());
}

#[actix_web::test]
async fn a_data_volume_lives_from_create_to_expunge_and_its_storage_follows() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let offering = disk_offering(&t, &sid, "two", 2 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", json!({})).await;
    let start = available(&t, &sid, &dc.ps).await;

    // Without primary storage it waits, NotInstantiated and taking nothing.
    let data1 = new_volume(
        &t,
        &sid,
        json!({ "name": "data1", "description": "first", "diskOfferingUuid": offering }),
        &[],
    )
    .await;
    assert_eq!(data1["type"], "Data");
    assert_eq!(data1["status"], "NotInstantiated");
    assert_eq!(data1["state"], "Enabled");
    assert_eq!(data1["size"], 2 * GB);
    assert_eq!(data1["diskOfferingUuid"], offering.as_str());
    assert!(data1.get("primaryStorageUuid").is_none(), "{data1}");
    assert!(data1.get("vmInstanceUuid").is_none(), "{data1}");
    assert_eq!(available(&t, &sid, &dc.ps).await, start);
    let data1 = uuid_of(&data1);

    // On local storage it needs its host, then takes its size there.
    let rsp = create_volume(
        &t,
        &sid,
        json!({ "name": "data2", "diskSize": 3 * GB, "primaryStorageUuid": dc.ps }),
        &[],
    )
    .await;
    refused(&rsp, "SYS.1007", "localStorage::hostUuid::");
    let host_tag = format!("localStorage::hostUuid::{}", dc.host);
    let data2 = new_volume(
        &t,
        &sid,
        json!({ "name": "data2", "diskSize": 3 * GB, "primaryStorageUuid": dc.ps }),
        std::slice::from_ref(&host_tag),
    )
    .await;
    assert_eq!(data2["status"], "Ready");
    assert_eq!(data2["primaryStorageUuid"], dc.ps.as_str());
    assert_eq!(data2["size"], 3 * GB);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 3 * GB);
    let data2 = uuid_of(&data2);
    // Neither an offering nor a size: refused.
    let rsp = create_volume(&t, &sid, json!({ "name": "nothing" }), &[]).await;
    refused(&rsp, "SYS.1007", "diskSize");

    // Attached: the NotInstantiated one is made on the VM's storage; device ids follow the root.
    let rsp = attach(&t, &sid, &data1, &vm).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(inv["status"], "Ready");
    assert_eq!(inv["vmInstanceUuid"], vm.as_str());
    assert_eq!(inv["deviceId"], 1);
    assert_eq!(inv["primaryStorageUuid"], dc.ps.as_str());
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 5 * GB);
    let rsp = attach(&t, &sid, &data2, &vm).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["deviceId"], 2);

    // Queried both ways.
    for (path, n) in [
        ("/volumes?q=vmInstance.name=vm1", 3),
        ("/volumes?q=primaryStorage.name=ps&q=type=Data", 2),
        ("/volumes?q=diskOffering.name=two", 1),
        ("/disk-offerings?q=volume.name=data1", 1),
        ("/primary-storage?q=volume.name=data2", 1),
        ("/vm-instances?q=allVolumes.name=data2", 1),
        ("/vm-instances?q=allVolumes.primaryStorage.name=ps", 1),
        ("/volumes?q=vmInstance.name=nobody", 0),
    ] {
        assert_eq!(count(&t, &sid, path).await, n, "{path}");
    }
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    assert_eq!(q["allVolumes"].as_array().map(Vec::len), Some(3), "{q}");

    // Detached: it keeps its storage; the next attach takes the first free device id.
    let rsp = detach(&t, &sid, &data1).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert!(rsp.body["inventory"].get("vmInstanceUuid").is_none());
    assert!(rsp.body["inventory"].get("deviceId").is_none());
    assert_eq!(rsp.body["inventory"]["status"], "Ready");
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 5 * GB);
    let data3 =
        uuid_of(&new_volume(&t, &sid, json!({ "name": "data3", "diskSize": GB }), &[]).await);
    let rsp = attach(&t, &sid, &data3, &vm).await;
    assert_eq!(rsp.body["inventory"]["deviceId"], 1, "{:?}", rsp.body);

    // Renamed, disabled (and so not attachable), enabled.
    let rsp = volume_action(
        &t,
        &sid,
        &data1,
        "updateVolume",
        json!({ "name": "renamed", "description": "d" }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["name"], "renamed");
    assert_eq!(rsp.body["inventory"]["description"], "d");
    let rsp = volume_action(
        &t,
        &sid,
        &data1,
        "changeVolumeState",
        json!({ "stateEvent": "disable" }),
    )
    .await;
    assert_eq!(rsp.body["inventory"]["state"], "Disabled", "{:?}", rsp.body);
    refused(
        &attach(&t, &sid, &data1, &vm).await,
        "SYS.1006",
        "is Disabled",
    );
    let rsp = volume_action(
        &t,
        &sid,
        &data1,
        "changeVolumeState",
        json!({ "stateEvent": "enable" }),
    )
    .await;
    assert_eq!(rsp.body["inventory"]["state"], "Enabled", "{:?}", rsp.body);

    // Deleted while attached: detached first, Deleted, still holding its storage; recoverable.
    let rsp = delete(&t, &sid, &data2).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let v = volume(&t, &sid, &data2).await;
    assert_eq!(v["status"], "Deleted");
    assert!(v.get("vmInstanceUuid").is_none(), "{v}");
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 6 * GB);
    refused(&attach(&t, &sid, &data2, &vm).await, "SYS.1006", "deleted");
    refused(
        &delete(&t, &sid, &data2).await,
        "SYS.1006",
        "already in status of deleted",
    );
    let rsp = volume_action(&t, &sid, &data2, "recoverDataVolume", json!({})).await;
    assert_eq!(rsp.body["inventory"]["status"], "Ready", "{:?}", rsp.body);
    refused(
        &volume_action(&t, &sid, &data2, "recoverDataVolume", json!({})).await,
        "SYS.1006",
        "not in status of deleted",
    );
    // Only a Deleted volume is expunged; then its storage gets the bytes back.
    refused(
        &volume_action(&t, &sid, &data2, "expungeDataVolume", json!({})).await,
        "SYS.1006",
        "only a Deleted data volume",
    );
    assert_eq!(delete(&t, &sid, &data2).await.status, 200);
    let rsp = volume_action(&t, &sid, &data2, "expungeDataVolume", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(count(&t, &sid, &format!("/volumes/{data2}")).await, 0);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 3 * GB);
    // A NotInstantiated volume goes without touching any storage; deleting what is gone is done.
    let idle = uuid_of(&new_volume(&t, &sid, json!({ "name": "idle", "diskSize": GB }), &[]).await);
    assert_eq!(delete(&t, &sid, &idle).await.status, 200);
    let rsp = volume_action(&t, &sid, &idle, "expungeDataVolume", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(delete(&t, &sid, &idle).await.status, 200);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 3 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn attaching_is_refused_as_zstack_refuses_it() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", json!({})).await;
    let root = root_of(&t, &sid, &vm).await;

    // A root volume is neither attached nor detached nor deleted as a data volume.
    refused(
        &attach(&t, &sid, &root, &vm).await,
        "SYS.1006",
        "is Root Volume",
    );
    refused(&detach(&t, &sid, &root).await, "SYS.1006", "can't detach");
    refused(
        &delete(&t, &sid, &root).await,
        "SYS.1007",
        "can't be deleted",
    );
    refused(
        &volume_action(
            &t,
            &sid,
            &root,
            "changeVolumeState",
            json!({ "stateEvent": "disable" }),
        )
        .await,
        "SYS.1006",
        "root volume",
    );

    // Attached once only; a detached volume cannot be detached.
    let data = uuid_of(&new_volume(&t, &sid, json!({ "name": "d", "diskSize": GB }), &[]).await);
    refused(
        &detach(&t, &sid, &data).await,
        "SYS.1006",
        "not attached to any vm",
    );
    assert_eq!(attach(&t, &sid, &data, &vm).await.status, 200);
    let vm2 = running_vm(&t, &sid, &dc, "vm2", json!({})).await;
    refused(
        &attach(&t, &sid, &data, &vm2).await,
        "SYS.1006",
        "has been attached",
    );
    assert_eq!(detach(&t, &sid, &data).await.status, 200);

    // On storage the VM's cluster does not reach.
    let elsewhere = nfs(&t, &sid, &dc, "elsewhere", 100 * GB, false).await;
    let far = uuid_of(
        &new_volume(
            &t,
            &sid,
            json!({ "name": "far", "diskSize": GB, "primaryStorageUuid": elsewhere }),
            &[],
        )
        .await,
    );
    refused(
        &attach(&t, &sid, &far, &vm).await,
        "SYS.1006",
        "no qualified cluster",
    );

    // On the local storage of another host.
    let h2 = uuid_of(
        &t.create(
            &sid,
            "/hosts/simulators",
            json!({ "name": "h2", "managementIp": "10.0.0.12", "clusterUuid": dc.cluster,
                    "cpuCapacity": 8, "memoryCapacity": 8 * GB }),
        )
        .await,
    );
    let local = uuid_of(
        &new_volume(
            &t,
            &sid,
            json!({ "name": "local", "diskSize": GB, "primaryStorageUuid": dc.ps }),
            &[format!("localStorage::hostUuid::{h2}")],
        )
        .await,
    );
    refused(
        &attach(&t, &sid, &local, &vm).await,
        "SYS.1006",
        &format!("host[uuid:{h2}]"),
    );
    let on_h2 = running_vm(&t, &sid, &dc, "vm3", json!({ "hostUuid": h2 })).await;
    assert_eq!(attach(&t, &sid, &local, &on_h2).await.status, 200);

    // A VM whose state does not allow it is refused, naming the state.
    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm2}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    refused(
        &attach(&t, &sid, &data, &vm2).await,
        "SYS.1006",
        "state[Destroyed]",
    );
    // A stopped VM takes volumes (its host holds them when it starts again).
    assert_eq!(vm_action(&t, &sid, &vm, "stopVmInstance").await.status, 200);
    let rsp = attach(&t, &sid, &data, &vm).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["vmInstanceUuid"], vm.as_str());
    t.stop().await;
}

#[actix_web::test]
async fn an_attach_waits_behind_the_operation_running_on_its_vm() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", json!({})).await;
    let data = uuid_of(&new_volume(&t, &sid, json!({ "name": "d", "diskSize": GB }), &[]).await);
    // Destroying takes a second on the host; an attach sent meanwhile runs after it, so it
    // finds the VM Destroyed.
    let rsp = t
        .simulate(&sid, &dc.host, json!({ "operationDelayMs": 1000 }))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let destroying = t
        .send(
            Method::DELETE,
            &format!("/vm-instances/{vm}"),
            Some(&sid),
            None,
            &[],
        )
        .await;
    assert_eq!(destroying.status, 202, "{:?}", destroying.body);
    let attaching = t
        .send(
            Method::POST,
            &format!("/volumes/{data}/vm-instances/{vm}"),
            Some(&sid),
            Some(json!({ "params": {} })),
            &[],
        )
        .await;
    assert_eq!(attaching.status, 202, "{:?}", attaching.body);
    let destroyed = t
        .wait_job_as(
            destroying.body["location"].as_str().expect("a location"),
            &sid,
        )
        .await;
    assert_eq!(destroyed.status, 200, "{:?}", destroyed.body);
    let attached = t
        .wait_job_as(
            attaching.body["location"].as_str().expect("a location"),
            &sid,
        )
        .await;
    refused(&attached, "SYS.1006", "state[Destroyed]");
    assert!(
        volume(&t, &sid, &data)
            .await
            .get("vmInstanceUuid")
            .is_none()
    );
    t.stop().await;
}

#[actix_web::test]
async fn volumes_only_grow_and_growing_takes_storage() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let vm = running_vm(&t, &sid, &dc, "vm1", json!({})).await;
    let root = root_of(&t, &sid, &vm).await;
    let start = available(&t, &sid, &dc.ps).await;

    refused(
        &resize_root(&t, &sid, &root, &vm, GB / 2).await,
        "SYS.1006",
        "only grows",
    );
    refused(
        &resize_root(&t, &sid, &root, &vm, GB).await,
        "SYS.1006",
        "only grows",
    );
    let rsp = resize_root(&t, &sid, &root, &vm, 3 * GB).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["size"], 3 * GB);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 2 * GB);
    // The data-volume API does not resize a root volume.
    let rsp = resize_data(&t, &sid, &root, 5 * GB).await;
    refused(&rsp, "SYS.1006", "type:Root");

    let data = new_volume(
        &t,
        &sid,
        json!({ "name": "d", "diskSize": GB, "primaryStorageUuid": dc.ps }),
        &[format!("localStorage::hostUuid::{}", dc.host)],
    )
    .await;
    let data = uuid_of(&data);
    refused(
        &resize_data(&t, &sid, &data, GB - 1).await,
        "SYS.1006",
        "only grows",
    );
    let rsp = resize_data(&t, &sid, &data, 4 * GB).await;
    assert_eq!(rsp.body["inventory"]["size"], 4 * GB, "{:?}", rsp.body);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 2 * GB - 4 * GB);
    // More than the storage has: refused, nothing taken.
    refused(
        &resize_data(&t, &sid, &data, 1000 * GB).await,
        "SYS.1006",
        "has not",
    );
    assert_eq!(volume(&t, &sid, &data).await["size"], 4 * GB);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 6 * GB);
    // A NotInstantiated volume grows without storage.
    let idle = uuid_of(&new_volume(&t, &sid, json!({ "name": "idle", "diskSize": GB }), &[]).await);
    let rsp = resize_data(&t, &sid, &idle, 2 * GB).await;
    assert_eq!(rsp.body["inventory"]["size"], 2 * GB, "{:?}", rsp.body);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 6 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn create_vm_makes_its_disks_from_offerings_sizes_and_the_storage_asked() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 16, 16 * GB).await;
    let start = available(&t, &sid, &dc.ps).await;

    // CPU and memory without an instance offering; a root volume larger than the image.
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "custom",
        json!({ "instanceOfferingUuid": null, "cpuNum": 3, "memorySize": 2 * GB,
                "rootDiskSize": 5 * GB }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(inv["cpuNum"], 3);
    assert_eq!(inv["memorySize"], 2 * GB);
    assert!(inv.get("instanceOfferingUuid").is_none(), "{inv}");
    let root = root_volume(&t, &sid, &rsp).await;
    assert_eq!(root["size"], 5 * GB);
    assert_eq!(root["deviceId"], 0);
    // The first VM from the image downloaded it to the storage: its copy and the root volume.
    assert_eq!(available(&t, &sid, &dc.ps).await, start - GB - 5 * GB);
    // A smaller root disk than the image is the image's size; the copy is there already.
    let rsp = create_vm(&t, &sid, &dc, "small", json!({ "rootDiskSize": GB / 4 })).await;
    let root = root_volume(&t, &sid, &rsp).await;
    assert_eq!(root["size"], GB);
    assert_eq!(available(&t, &sid, &dc.ps).await, start - GB - 5 * GB - GB);
    // Neither an offering nor CPU and memory: refused.
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "none",
        json!({ "instanceOfferingUuid": null }),
    )
    .await;
    refused(&rsp, "SYS.1006", "Missing CPU/memory settings");

    // Data disks of offerings: one volume each, attached in order.
    let two = disk_offering(&t, &sid, "two", 2 * GB).await;
    let three = disk_offering(&t, &sid, "three", 3 * GB).await;
    let before = available(&t, &sid, &dc.ps).await;
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "disks",
        json!({ "dataDiskOfferingUuids": [two, three] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    let volumes: Vec<(Value, Value, Value, Value)> = q["allVolumes"]
        .as_array()
        .expect("allVolumes")
        .iter()
        .map(|v| {
            (
                v["type"].clone(),
                v["deviceId"].clone(),
                v["size"].clone(),
                v["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        volumes,
        [
            (json!("Root"), json!(0), json!(GB), json!("Ready")),
            (json!("Data"), json!(1), json!(2 * GB), json!("Ready")),
            (json!("Data"), json!(2), json!(3 * GB), json!("Ready")),
        ]
    );
    assert_eq!(available(&t, &sid, &dc.ps).await, before - GB - 5 * GB);
    assert_eq!(
        count(&t, &sid, &format!("/volumes?q=diskOffering.uuid={three}")).await,
        1
    );
    // A data disk the storage cannot hold: the VM is not made, and what it took comes back.
    let huge = disk_offering(&t, &sid, "huge", 1000 * GB).await;
    let before = available(&t, &sid, &dc.ps).await;
    let volumes_before = count(&t, &sid, "/volumes").await;
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "too-big",
        json!({ "dataDiskOfferingUuids": [two, huge] }),
    )
    .await;
    refused(&rsp, "SYS.1006", "CreateDataVolume-2");
    assert_eq!(available(&t, &sid, &dc.ps).await, before);
    assert_eq!(count(&t, &sid, "/volumes").await, volumes_before);
    assert_eq!(count(&t, &sid, "/vm-instances?q=name=too-big").await, 0);

    // The root volume on the storage asked for; the image is downloaded there too.
    let shared = nfs(&t, &sid, &dc, "shared", 50 * GB, true).await;
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "on-nfs",
        json!({ "primaryStorageUuidForRootVolume": shared }),
    )
    .await;
    let root = root_volume(&t, &sid, &rsp).await;
    assert_eq!(root["primaryStorageUuid"], shared.as_str());
    assert_eq!(available(&t, &sid, &shared).await, 50 * GB - 2 * GB);

    // An ISO needs a root disk: a blank one of the size asked.
    let bs = one(&t, &sid, "/backup-storage").await["uuid"]
        .as_str()
        .expect("bs")
        .to_string();
    let iso = uuid_of(
        &t.create(
            &sid,
            "/images",
            json!({ "name": "iso", "url": format!("http://images.example/i.iso#size={}", GB / 2),
                    "backupStorageUuids": [bs], "mediaType": "ISO", "format": "iso" }),
        )
        .await,
    );
    let rsp = create_vm(&t, &sid, &dc, "from-iso", json!({ "imageUuid": iso })).await;
    refused(&rsp, "SYS.1007", "ISO");
    let rsp = create_vm(
        &t,
        &sid,
        &dc,
        "from-iso",
        json!({ "imageUuid": iso, "rootDiskOfferingUuid": three }),
    )
    .await;
    let root = root_volume(&t, &sid, &rsp).await;
    assert_eq!(root["size"], 3 * GB);
    assert_eq!(root["rootImageUuid"], iso.as_str());
    assert_eq!(root["format"], "qcow2");
    t.stop().await;
}

#[actix_web::test]
async fn a_destroyed_vm_keeps_its_data_volumes_detached_and_an_expunged_one_loses_its_root() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let dc = datacenter(&t, &sid, 8, 8 * GB).await;
    let two = disk_offering(&t, &sid, "two", 2 * GB).await;
    let start = available(&t, &sid, &dc.ps).await;
    let vm = running_vm(
        &t,
        &sid,
        &dc,
        "vm1",
        json!({ "dataDiskOfferingUuids": [two] }),
    )
    .await;
    let q = one(&t, &sid, &format!("/vm-instances/{vm}")).await;
    let root = q["rootVolumeUuid"].as_str().expect("root").to_string();
    let data = q["allVolumes"][1]["uuid"]
        .as_str()
        .expect("data")
        .to_string();
    // Image copy, root volume, data volume.
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 4 * GB);

    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let v = volume(&t, &sid, &data).await;
    assert!(v.get("vmInstanceUuid").is_none(), "{v}");
    assert!(v.get("deviceId").is_none(), "{v}");
    assert_eq!(v["status"], "Ready");
    assert_eq!(volume(&t, &sid, &root).await["vmInstanceUuid"], vm.as_str());

    let rsp = vm_action(&t, &sid, &vm, "expungeVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(count(&t, &sid, &format!("/volumes/{root}")).await, 0);
    assert_eq!(volume(&t, &sid, &data).await["status"], "Ready");
    // The root volume's bytes came back; the data volume and the image copy keep theirs.
    assert_eq!(available(&t, &sid, &dc.ps).await, start - 3 * GB);
    // The data volume goes to another VM.
    let vm2 = running_vm(&t, &sid, &dc, "vm2", json!({})).await;
    let rsp = attach(&t, &sid, &data, &vm2).await;
    assert_eq!(rsp.body["inventory"]["deviceId"], 1, "{:?}", rsp.body);
    t.stop().await;
}

/// A datacenter with two NFS primary storage of 100 GiB and a detached data volume of `size`
/// bytes on the first; (first, second, volume).
async fn two_nfs_and_a_volume(t: &TestNode, sid: &str, size: i64) -> (Dc, String, String, String) {
    let dc = datacenter(t, sid, 8, 8 * GB).await;
    let src = nfs(t, sid, &dc, "src", 100 * GB, true).await;
    let dst = nfs(t, sid, &dc, "dst", 100 * GB, true).await;
    let data = new_volume(
        t,
        sid,
        json!({ "name": "big", "diskSize": size, "primaryStorageUuid": src }),
        &[],
    )
    .await;
    (dc, src, dst, uuid_of(&data))
}

/// Submits the migration of `volume` from `src` (copying at `bytes_per_s`) to `dst` as a long
/// job, as the seed's example does; (the job's uuid, its API id) once it runs.
async fn submit_migration(
    t: &TestNode,
    sid: &str,
    volume: &str,
    src: &str,
    dst: &str,
    bytes_per_s: i64,
) -> (String, String) {
    bandwidth(t, sid, src, bytes_per_s).await;
    let data = json!({ "volumeUuid": volume, "dstPrimaryStorageUuid": dst }).to_string();
    let done = submit(t, sid, "APIPrimaryStorageMigrateVolumeMsg", &data).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let job = &done.body["inventory"];
    assert_eq!(job["state"], "Running", "{job}");
    assert_eq!(job["jobName"], "APIPrimaryStorageMigrateVolumeMsg");
    let api_id = job["apiId"].as_str().expect("apiId").to_string();
    (uuid_of(job), api_id)
}

#[actix_web::test]
async fn a_migration_long_job_reports_progress_and_moves_the_volume_and_its_capacity() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (_, src, dst, data) = two_nfs_and_a_volume(&t, &sid, 8 * GB).await;
    assert_eq!(available(&t, &sid, &src).await, 92 * GB);
    // 8 GiB at 2 GiB/s: about four seconds.
    let (uuid, api_id) = submit_migration(&t, &sid, &data, &src, &dst, 2 * GB).await;

    // Midway: Migrating, the destination holding its size, progress under the API id.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while seen.len() < 2 {
        assert!(Instant::now() < deadline, "no progress seen: {seen:?}");
        let p = progress(&t, &sid, &api_id).await;
        if !p.is_empty() && p != "100" && seen.last() != Some(&p) {
            let v = volume(&t, &sid, &data).await;
            assert_eq!(v["status"], "Migrating", "{v}");
            assert_eq!(v["primaryStorageUuid"], src.as_str());
            assert_eq!(available(&t, &sid, &dst).await, 92 * GB);
            assert_eq!(available(&t, &sid, &src).await, 92 * GB);
            seen.push(p);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let finished = wait_state(&t, &sid, &uuid, "Succeeded", Duration::from_secs(30)).await;
    let result = result_of(&finished);
    assert_eq!(result["inventory"]["uuid"], data.as_str());
    assert_eq!(result["inventory"]["primaryStorageUuid"], dst.as_str());
    let v = volume(&t, &sid, &data).await;
    assert_eq!(v["status"], "Ready");
    assert_eq!(v["primaryStorageUuid"], dst.as_str());
    assert!(
        v["installPath"].as_str().is_some_and(|p| p.contains(&dst)),
        "{v}"
    );
    assert_eq!(available(&t, &sid, &src).await, 100 * GB);
    assert_eq!(available(&t, &sid, &dst).await, 92 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn a_canceled_migration_leaves_the_volume_and_the_capacity_where_they_were() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (_, src, dst, data) = two_nfs_and_a_volume(&t, &sid, 20 * GB).await;
    // 20 GiB at 1 GiB/s: twenty seconds unless it stops.
    let (uuid, api_id) = submit_migration(&t, &sid, &data, &src, &dst, GB).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while progress(&t, &sid, &api_id).await.is_empty() {
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(volume(&t, &sid, &data).await["status"], "Migrating");
    assert_eq!(available(&t, &sid, &dst).await, 80 * GB);

    let asked = Instant::now();
    let rsp = t
        .action(
            &sid,
            &format!("/longjobs/{uuid}/actions"),
            "cancelLongJob",
            json!({}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let job = long_job(&t, &sid, &uuid).await;
    assert_eq!(job["state"], "Canceled", "{job}");
    assert_eq!(result_of(&job)["error"]["code"], "SYS.1017", "{job}");
    let v = volume(&t, &sid, &data).await;
    assert_eq!(v["status"], "Ready");
    assert_eq!(v["primaryStorageUuid"], src.as_str());
    assert_eq!(available(&t, &sid, &src).await, 80 * GB);
    assert_eq!(available(&t, &sid, &dst).await, 100 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn a_migration_is_refused_for_what_cannot_move() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (dc, src, dst, data) = two_nfs_and_a_volume(&t, &sid, GB).await;
    refused(&migrate(&t, &sid, &data, &src).await, "SYS.1007", "already");
    refused(
        &migrate(&t, &sid, &data, &dc.ps).await,
        "SYS.1006",
        "local storage",
    );
    let vm = running_vm(&t, &sid, &dc, "vm1", json!({})).await;
    assert_eq!(attach(&t, &sid, &data, &vm).await.status, 200);
    refused(
        &migrate(&t, &sid, &data, &dst).await,
        "SYS.1006",
        "detach it",
    );
    let idle = uuid_of(&new_volume(&t, &sid, json!({ "name": "idle", "diskSize": GB }), &[]).await);
    refused(
        &migrate(&t, &sid, &idle, &dst).await,
        "SYS.1006",
        "NotInstantiated",
    );
    // Called directly, a migration answers once the volume has moved.
    assert_eq!(detach(&t, &sid, &data).await.status, 200);
    let rsp = migrate(&t, &sid, &data, &dst).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["primaryStorageUuid"], dst.as_str());
    assert_eq!(available(&t, &sid, &src).await, 100 * GB);
    assert_eq!(available(&t, &sid, &dst).await, 99 * GB);
    t.stop().await;
}
