//! A simulated data center built through REST alone: zones, clusters and simulator hosts;
//! cross-resource queries one, two and three levels deep both ways; capacity; cascade on delete.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::TestNode;

const GB: i64 = 1 << 30;

/// Two zones: z1 with clusters c1 (hosts h1, h2) and c2 (host h3), z2 with cluster c3 (h4).
struct Dc {
    t: TestNode,
    sid: String,
    uuid: std::collections::HashMap<&'static str, String>,
}

impl Dc {
    fn id(&self, name: &str) -> &str {
        &self.uuid[name]
    }

    async fn names(&self, path: &str) -> Vec<String> {
        self.t.query_names(&self.sid, path).await
    }
}

async fn build() -> Dc {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut uuid = std::collections::HashMap::new();
    for zone in ["z1", "z2"] {
        let inv = t.create_zone(&sid, json!({ "name": zone })).await;
        uuid.insert(zone, inv["uuid"].as_str().unwrap().to_string());
    }
    for (cluster, zone, hypervisor) in [
        ("c1", "z1", "Simulator"),
        ("c2", "z1", "KVM"),
        ("c3", "z2", "Simulator"),
    ] {
        let inv = t
            .create(
                &sid,
                "/clusters",
                json!({ "name": cluster, "zoneUuid": uuid[zone], "hypervisorType": hypervisor }),
            )
            .await;
        assert_eq!(inv["zoneUuid"], uuid[zone].as_str());
        assert_eq!(inv["hypervisorType"], hypervisor);
        assert_eq!(inv["state"], "Enabled");
        uuid.insert(cluster, inv["uuid"].as_str().unwrap().to_string());
    }
    for (host, cluster, ip, cpu, memory) in [
        ("h1", "c1", "10.0.0.1", 8, 16 * GB),
        ("h2", "c1", "10.0.0.2", 16, 32 * GB),
        ("h3", "c2", "10.0.0.3", 4, 8 * GB),
        ("h4", "c3", "10.0.0.4", 32, 64 * GB),
    ] {
        let inv = t
            .create(
                &sid,
                "/hosts/simulators",
                json!({
                    "name": host, "clusterUuid": uuid[cluster], "managementIp": ip,
                    "cpuCapacity": cpu, "memoryCapacity": memory,
                }),
            )
            .await;
        assert_eq!(inv["totalCpuCapacity"], cpu);
        assert_eq!(inv["availableCpuCapacity"], cpu);
        assert_eq!(inv["totalMemoryCapacity"], memory);
        assert_eq!(inv["availableMemoryCapacity"], memory);
        assert_eq!(inv["cpuNum"], cpu);
        assert_eq!(inv["state"], "Enabled");
        assert_eq!(inv["status"], "Connected");
        assert_eq!(inv["clusterUuid"], uuid[cluster].as_str());
        uuid.insert(host, inv["uuid"].as_str().unwrap().to_string());
    }
    Dc { t, sid, uuid }
}

#[actix_web::test]
async fn cross_resource_queries_work_one_two_and_three_levels_deep_both_ways() {
    let dc = build().await;
    // One level, child → parent and parent → child.
    assert_eq!(dc.names("/hosts?q=zone.name=z1").await, ["h1", "h2", "h3"]);
    assert_eq!(dc.names("/hosts?q=cluster.name=c3").await, ["h4"]);
    assert_eq!(
        dc.names("/clusters?q=host.managementIp=10.0.0.3").await,
        ["c2"]
    );
    assert_eq!(
        dc.names("/zones?q=cluster.hypervisorType=KVM").await,
        ["z1"]
    );
    // Two levels.
    assert_eq!(dc.names("/hosts?q=cluster.zone.name=z2").await, ["h4"]);
    assert_eq!(
        dc.names("/zones?q=cluster.host.managementIp=10.0.0.4")
            .await,
        ["z2"]
    );
    assert_eq!(
        dc.names("/clusters?q=zone.host.name=h3").await,
        ["c1", "c2"]
    );
    // Three levels, and every operator reaches through.
    assert_eq!(
        dc.names("/zones?q=cluster.host.cluster.name=c2").await,
        ["z1"]
    );
    assert_eq!(
        dc.names("/hosts?q=cluster.zone.cluster.name=c3").await,
        ["h4"]
    );
    assert_eq!(
        dc.names("/zones?q=cluster.host.totalCpuCapacity>=16").await,
        ["z1", "z2"]
    );
    assert_eq!(
        dc.names("/zones?q=cluster.host.managementIp?=10.0.0.1,10.0.0.4")
            .await,
        ["z1", "z2"]
    );
    assert_eq!(dc.names("/hosts?q=cluster.zone.name!=z1").await, ["h4"]);
    assert_eq!(
        dc.names("/hosts?q=cluster.name~=c%25&q=zone.name=z2").await,
        ["h4"]
    );
    // By uuid, through the /{uuid} route.
    let rsp = dc.t.get(&format!("/hosts/{}", dc.id("h2")), &dc.sid).await;
    assert_eq!(rsp.body["inventories"][0]["managementIp"], "10.0.0.2");
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.host.HostInventory"
    );

    // A wrong hop names where it went wrong and what is valid there.
    let rsp =
        dc.t.get("/hosts?q=cluster.zone.planet=earth", &dc.sid)
            .await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "SYS.1007");
    let details = rsp.details();
    assert!(details.contains("cluster.zone.planet"), "{details}");
    assert!(
        details.contains("\"cluster\"") && details.contains("\"isDefault\""),
        "{details}"
    );
    // `fields` takes a resource's own fields only.
    let rsp =
        dc.t.get("/hosts?fields=name&fields=managementIp", &dc.sid)
            .await;
    assert_eq!(rsp.status, 200);
    assert!(rsp.body["inventories"][0].get("uuid").is_none());
    let rsp = dc.t.get("/hosts?fields=cluster.name", &dc.sid).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    dc.t.stop().await;
}

async fn capacity(dc: &Dc, query: &str) -> (u16, Value) {
    let rsp =
        dc.t.get(&format!("/hosts/capacities/cpu-memory{query}"), &dc.sid)
            .await;
    (rsp.status.as_u16(), rsp.body)
}

fn cpu_memory(body: &Value) -> (i64, i64, i64, i64) {
    (
        body["totalCpu"].as_i64().unwrap(),
        body["availableCpu"].as_i64().unwrap(),
        body["totalMemory"].as_i64().unwrap(),
        body["availableMemory"].as_i64().unwrap(),
    )
}

#[actix_web::test]
async fn capacity_answers_every_parameter_combination_of_the_seed() {
    let dc = build().await;
    let all = (60, 60, 120 * GB, 120 * GB);
    let (status, body) = capacity(&dc, "?all=true").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(cpu_memory(&body), all);
    let z1 = format!("?zoneUuids={}", dc.id("z1"));
    assert_eq!(
        cpu_memory(&capacity(&dc, &z1).await.1),
        (28, 28, 56 * GB, 56 * GB)
    );
    let both_zones = format!("?zoneUuids={}&zoneUuids={}", dc.id("z1"), dc.id("z2"));
    assert_eq!(cpu_memory(&capacity(&dc, &both_zones).await.1), all);
    let c1 = format!("?clusterUuids={}", dc.id("c1"));
    assert_eq!(
        cpu_memory(&capacity(&dc, &c1).await.1),
        (24, 24, 48 * GB, 48 * GB)
    );
    let h3 = format!("?hostUuids={}", dc.id("h3"));
    assert_eq!(
        cpu_memory(&capacity(&dc, &h3).await.1),
        (4, 4, 8 * GB, 8 * GB)
    );
    // Zones, clusters and hosts together count each host once.
    let mixed = format!(
        "?zoneUuids={}&clusterUuids={}&clusterUuids={}&hostUuids={}&hostUuids={}",
        dc.id("z2"),
        dc.id("c1"),
        dc.id("c3"),
        dc.id("h1"),
        dc.id("h4")
    );
    assert_eq!(
        cpu_memory(&capacity(&dc, &mixed).await.1),
        (56, 56, 112 * GB, 112 * GB)
    );
    // all=true with uuids still counts everything.
    let all_and = format!("?all=true&hostUuids={}", dc.id("h3"));
    assert_eq!(cpu_memory(&capacity(&dc, &all_and).await.1), all);
    let by_type = "?all=true&hypervisorType=Simulator";
    assert_eq!(cpu_memory(&capacity(&dc, by_type).await.1), all);
    // Without all and without any uuid it is an error.
    for query in ["", "?all=false"] {
        let rsp =
            dc.t.get(&format!("/hosts/capacities/cpu-memory{query}"), &dc.sid)
                .await;
        assert_eq!(rsp.status, 503, "{query}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007");
        assert!(rsp.details().contains("all"), "{}", rsp.details());
    }
    // Only Enabled and Connected hosts count.
    let host = |name: &str| format!("/hosts/{}/actions", dc.id(name));
    let done =
        dc.t.action(
            &dc.sid,
            &host("h1"),
            "changeHostState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Disabled");
    let done =
        dc.t.action(
            &dc.sid,
            &host("h4"),
            "changeHostState",
            json!({"stateEvent": "maintain"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Maintenance");
    assert_eq!(
        cpu_memory(&capacity(&dc, "?all=true").await.1),
        (20, 20, 40 * GB, 40 * GB)
    );
    dc.t.stop().await;
}

#[actix_web::test]
async fn hosts_change_state_reconnect_update_and_refuse_what_they_cannot_do() {
    let dc = build().await;
    let (t, sid) = (&dc.t, dc.sid.as_str());
    let h2 = format!("/hosts/{}/actions", dc.id("h2"));
    for (event, state) in [
        ("preMaintain", "PreMaintenance"),
        ("maintain", "Maintenance"),
    ] {
        let done = t
            .action(sid, &h2, "changeHostState", json!({ "stateEvent": event }))
            .await;
        assert_eq!(done.body["inventory"]["state"], state, "{:?}", done.body);
    }
    let refused = t.action(sid, &h2, "reconnectHost", json!({})).await;
    assert_eq!(refused.status, 503);
    assert!(
        refused.details().contains("Maintenance"),
        "{}",
        refused.details()
    );
    t.action(sid, &h2, "changeHostState", json!({"stateEvent": "enable"}))
        .await;
    let done = t.action(sid, &h2, "reconnectHost", json!({})).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["status"], "Connected");
    let bad = t
        .action(
            sid,
            &h2,
            "changeHostState",
            json!({"stateEvent": "explode"}),
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");

    let done = t
        .action(
            sid,
            &h2,
            "updateHost",
            json!({"name": "h2-renamed", "managementIp": "10.0.0.20"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["name"], "h2-renamed");
    assert_eq!(done.body["inventory"]["managementIp"], "10.0.0.20");
    // A management address belongs to one host.
    let taken = t
        .action(sid, &h2, "updateHost", json!({"managementIp": "10.0.0.1"}))
        .await;
    assert_eq!(taken.code(), "SYS.1007", "{:?}", taken.body);
    let dup = t
        .call_async(
            Method::POST,
            "/hosts/simulators",
            sid,
            Some(json!({"params": {
                "name": "again", "clusterUuid": dc.id("c1"), "managementIp": "10.0.0.3",
                "cpuCapacity": 1, "memoryCapacity": GB,
            }})),
        )
        .await;
    assert_eq!(dup.status, 503);
    assert!(dup.details().contains("10.0.0.3"), "{}", dup.details());
    // A cluster that does not exist, and KVM hosts, are refused with the reason.
    let orphan = t
        .call_async(
            Method::POST,
            "/hosts/simulators",
            sid,
            Some(json!({"params": {
                "name": "orphan", "clusterUuid": "0123456789abcdef0123456789abcdef",
                "managementIp": "10.9.9.9", "cpuCapacity": 1, "memoryCapacity": GB,
            }})),
        )
        .await;
    assert_eq!(orphan.status, 503);
    assert!(
        orphan.details().contains("ClusterVO"),
        "{}",
        orphan.details()
    );
    let kvm = t
        .call_async(
            Method::POST,
            "/hosts/kvm",
            sid,
            Some(json!({"params": {
                "name": "kvm", "clusterUuid": dc.id("c2"), "managementIp": "10.1.1.1",
                "username": "root", "password": "secret",
            }})),
        )
        .await;
    assert_eq!(kvm.status, 503);
    assert_eq!(kvm.code(), "SYS.1006");
    assert!(
        kvm.details().contains("simulated hosts only"),
        "{}",
        kvm.details()
    );
    assert_eq!(
        dc.names("/hosts?q=managementIp=10.1.1.1").await,
        Vec::<String>::new()
    );

    // Clusters: a hypervisor type outside the list is refused; update and state change work.
    let bad = t
        .call_async(
            Method::POST,
            "/clusters",
            sid,
            Some(
                json!({"params": {"name": "x", "zoneUuid": dc.id("z1"), "hypervisorType": "Xen"}}),
            ),
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");
    let c1 = format!("/clusters/{}/actions", dc.id("c1"));
    let done = t
        .action(sid, &c1, "updateCluster", json!({"description": "rack 1"}))
        .await;
    assert_eq!(done.body["inventory"]["description"], "rack 1");
    let done = t
        .action(
            sid,
            &c1,
            "changeClusterState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Disabled");
    dc.t.stop().await;
}

#[actix_web::test]
async fn deleting_a_zone_removes_its_clusters_and_hosts_and_permissive_refuses_when_a_child_does() {
    let dc = build().await;
    let (t, sid) = (&dc.t, dc.sid.as_str());
    // h3 is entering maintenance: it refuses a Permissive delete, so nothing goes.
    let h3 = format!("/hosts/{}/actions", dc.id("h3"));
    t.action(
        sid,
        &h3,
        "changeHostState",
        json!({"stateEvent": "preMaintain"}),
    )
    .await;
    let z1 = format!("/zones/{}", dc.id("z1"));
    let refused = t.call_async(Method::DELETE, &z1, sid, None).await;
    assert_eq!(refused.status, 503, "{:?}", refused.body);
    assert_eq!(refused.code(), "SYS.1006");
    assert!(
        refused.details().contains(dc.id("h3")),
        "{}",
        refused.details()
    );
    assert_eq!(dc.names("/clusters").await, ["c1", "c2", "c3"]);
    assert_eq!(dc.names("/hosts").await, ["h1", "h2", "h3", "h4"]);
    assert_eq!(dc.names("/zones").await, ["z1", "z2"]);

    // Enforcing goes on: the zone, its clusters and their hosts go; z2 stays whole.
    let done = t
        .call_async(
            Method::DELETE,
            &format!("{z1}?deleteMode=Enforcing"),
            sid,
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(dc.names("/zones").await, ["z2"]);
    assert_eq!(dc.names("/clusters").await, ["c3"]);
    assert_eq!(dc.names("/hosts").await, ["h4"]);

    // Deleting a cluster takes its hosts; Permissive succeeds when nobody refuses.
    let done = t
        .call_async(
            Method::DELETE,
            &format!("/clusters/{}", dc.id("c3")),
            sid,
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(dc.names("/hosts").await, Vec::<String>::new());
    assert_eq!(dc.names("/zones").await, ["z2"]);
    let bad = t
        .call_async(
            Method::DELETE,
            &format!("/zones/{}?deleteMode=Sometimes", dc.id("z2")),
            sid,
            None,
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");
    dc.t.stop().await;
}

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

#[actix_web::test]
async fn a_whole_data_center_is_built_through_rest_queried_across_families_and_deleted_by_zone() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut made: Vec<(&str, String)> = Vec::new();
    let zone = uuid_of(&t.create_zone(&sid, json!({"name": "dc"})).await);
    let other = uuid_of(&t.create_zone(&sid, json!({"name": "other"})).await);
    let cluster = uuid_of(
        &t.create(
            &sid,
            "/clusters",
            json!({"name": "rack", "zoneUuid": zone, "hypervisorType": "Simulator"}),
        )
        .await,
    );
    let host = uuid_of(
        &t.create(
            &sid,
            "/hosts/simulators",
            json!({"name": "node-1", "clusterUuid": cluster, "managementIp": "192.168.0.11",
                   "cpuCapacity": 16, "memoryCapacity": 64 * GB}),
        )
        .await,
    );
    let ps = uuid_of(
        &t.create(
            &sid,
            "/primary-storage/nfs",
            json!({"name": "nfs", "url": "10.0.0.9:/export", "zoneUuid": zone}),
        )
        .await,
    );
    t.create(
        &sid,
        &format!("/clusters/{cluster}/primary-storage/{ps}"),
        json!({}),
    )
    .await;
    let bs = uuid_of(
        &t.create(
            &sid,
            "/backup-storage/image-store",
            json!({"name": "store", "url": "/store", "hostname": "10.0.0.10",
                   "username": "root", "password": "secret"}),
        )
        .await,
    );
    t.create(
        &sid,
        &format!("/zones/{zone}/backup-storage/{bs}"),
        json!({}),
    )
    .await;
    let image = t
        .create(
            &sid,
            "/images",
            json!({"name": "centos", "url": "http://images.example/centos.qcow2",
                   "format": "qcow2", "platform": "Linux", "backupStorageUuids": [bs]}),
        )
        .await;
    assert_eq!(image["status"], "Ready", "{image}");
    let offering = t
        .create(
            &sid,
            "/instance-offerings",
            json!({"name": "small", "cpuNum": 2, "memorySize": 2 * GB}),
        )
        .await;
    assert_eq!(offering["memorySize"], 2 * GB);
    let disk = t
        .create(
            &sid,
            "/disk-offerings",
            json!({"name": "data", "diskSize": 100 * GB}),
        )
        .await;
    assert_eq!(disk["diskSize"], 100 * GB);
    let l2 = uuid_of(
        &t.create(
            &sid,
            "/l2-networks/vlan",
            json!({"name": "vlan100", "zoneUuid": zone, "physicalInterface": "eth0", "vlan": 100}),
        )
        .await,
    );
    t.create(
        &sid,
        &format!("/l2-networks/{l2}/clusters/{cluster}"),
        json!({}),
    )
    .await;
    let l3 = uuid_of(
        &t.create(
            &sid,
            "/l3-networks",
            json!({"name": "guest", "l2NetworkUuid": l2}),
        )
        .await,
    );
    let range = t
        .create(
            &sid,
            &format!("/l3-networks/{l3}/ip-ranges/by-cidr"),
            json!({"name": "r1", "networkCidr": "172.20.0.0/24"}),
        )
        .await;
    assert_eq!(range["gateway"], "172.20.0.1", "{range}");
    made.extend([("host", host), ("l3", l3.clone())]);

    // Queries answer whole inventories, lists from other tables included.
    t.create(
        &sid,
        &format!("/l3-networks/{l3}/dns"),
        json!({"dns": "8.8.8.8"}),
    )
    .await;
    let one = |path: String| {
        let t = &t;
        let sid = sid.clone();
        async move {
            let rsp = t.get(&path, &sid).await;
            assert_eq!(rsp.status, 200, "{path}: {:?}", rsp.body);
            rsp.body["inventories"][0].clone()
        }
    };
    assert_eq!(
        one(format!("/l2-networks/{l2}")).await["attachedClusterUuids"],
        json!([cluster])
    );
    assert_eq!(
        one(format!("/primary-storage/{ps}")).await["attachedClusterUuids"],
        json!([cluster])
    );
    assert_eq!(
        one(format!("/backup-storage/{bs}")).await["attachedZoneUuids"],
        json!([zone])
    );
    let guest = one(format!("/l3-networks/{l3}")).await;
    assert_eq!(guest["dns"], json!(["8.8.8.8"]));
    assert_eq!(guest["ipRanges"][0]["name"], "r1");
    assert_eq!(guest["ipRanges"][0]["networkCidr"], "172.20.0.0/24");
    assert_eq!(guest["networkServices"], json!([]));
    let centos = one("/images?q=name=centos".to_string()).await;
    assert_eq!(
        centos["backupStorageRefs"][0]["backupStorageUuid"],
        bs.as_str()
    );
    let picked = one(format!(
        "/l2-networks/{l2}?fields=name&fields=attachedClusterUuids"
    ))
    .await;
    assert_eq!(
        picked,
        json!({"name": "vlan100", "attachedClusterUuids": [cluster]})
    );

    // Typed queries see their own type only.
    t.create(
        &sid,
        "/l2-networks/no-vlan",
        json!({"name": "flat", "zoneUuid": other, "physicalInterface": "eth1"}),
    )
    .await;
    t.create(
        &sid,
        "/backup-storage/sftp",
        json!({"name": "archive", "url": "/archive", "hostname": "10.0.0.11", "username": "root", "password": "secret"}),
    )
    .await;
    assert_eq!(
        t.query_names(&sid, "/l2-networks").await,
        ["flat", "vlan100"]
    );
    assert_eq!(t.query_names(&sid, "/l2-networks/vlan").await, ["vlan100"]);
    assert_eq!(
        t.query_names(&sid, "/l2-networks/vlan?q=name=flat").await,
        Vec::<String>::new()
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage/image-store").await,
        ["store"]
    );
    assert_eq!(
        t.query_names(&sid, "/backup-storage/sftp").await,
        ["archive"]
    );
    let rsp = t.get("/l2-networks/vlan", &sid).await;
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.network.l2.L2VlanNetworkInventory"
    );

    // Queries that cross families, several hops deep.
    let names = |path: &'static str| t.query_names(&sid, path);
    assert_eq!(
        names("/l3-networks?q=l2Network.cluster.host.managementIp=192.168.0.11").await,
        ["guest"]
    );
    assert_eq!(
        names("/hosts?q=cluster.l2Network.l3Network.name=guest").await,
        ["node-1"]
    );
    assert_eq!(
        names("/zones?q=cluster.primaryStorage.type=NFS").await,
        ["dc"]
    );
    assert_eq!(
        names("/clusters?q=zone.backupStorage.image.name=centos").await,
        ["rack"]
    );
    assert_eq!(
        names("/l3-networks/ip-ranges?q=l3Network.l2Network.zone.name=dc").await,
        ["r1"]
    );

    // Deleting the zone takes what lives in it and detaches what can serve elsewhere.
    let done = t
        .call_async(Method::DELETE, &format!("/zones/{zone}"), &sid, None)
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(names("/zones").await, ["other"]);
    assert_eq!(
        names("/l2-networks").await,
        ["flat"],
        "the other zone's L2 stays"
    );
    for path in [
        "/clusters",
        "/hosts",
        "/primary-storage",
        "/l3-networks",
        "/l3-networks/ip-ranges",
    ] {
        assert_eq!(
            t.query_names(&sid, path).await,
            Vec::<String>::new(),
            "{path}"
        );
    }
    assert_eq!(names("/backup-storage").await, ["archive", "store"]);
    assert_eq!(
        t.query_names(&sid, &format!("/backup-storage?q=zone.uuid={zone}"))
            .await,
        Vec::<String>::new()
    );
    assert_eq!(names("/images").await, ["centos"]);
    assert_eq!(names("/instance-offerings").await, ["small"]);
    let rsp = t
        .get(&format!("/system-tags?q=resourceUuid={}", made[0].1), &sid)
        .await;
    assert_eq!(
        rsp.body["inventories"].as_array().unwrap().len(),
        0,
        "the host's tags went with it"
    );
    t.create(
        &sid,
        &format!("/zones/{other}/backup-storage/{bs}"),
        json!({}),
    )
    .await;
    assert_eq!(names("/zones?q=backupStorage.name=store").await, ["other"]);
    t.stop().await;
}

#[actix_web::test]
async fn capacity_answers_each_resource_asked_for_and_refuses_unknown_ones() {
    let dc = build().await;
    let query = format!("?clusterUuids={}&clusterUuids={}", dc.id("c1"), dc.id("c3"));
    let (status, body) = capacity(&dc, &query).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resourceType"], "ClusterVO");
    let data = body["capacityData"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["resourceUuid"], dc.id("c1"));
    assert_eq!(data[0]["totalCpu"], 24);
    assert_eq!(data[0]["totalMemory"], 48 * GB);
    assert_eq!(data[1]["resourceUuid"], dc.id("c3"));
    let sum: i64 = data
        .iter()
        .map(|d| d["managedCpuNum"].as_i64().unwrap())
        .sum();
    assert_eq!(body["managedCpuNum"].as_i64().unwrap(), sum);
    assert!(sum > 0);
    let (_, all) = capacity(&dc, "?all=true").await;
    assert_eq!(all["managedCpuNum"], 60, "{all}");
    assert_eq!(all["capacityData"], serde_json::json!([]));
    let (_, host) = capacity(&dc, &format!("?hostUuids={}", dc.id("h3"))).await;
    assert_eq!(host["resourceType"], "HostVO");
    assert_eq!(host["capacityData"][0]["totalCpu"], 4);
    // A uuid that names nothing is refused, not counted as zero.
    let missing = "0123456789abcdef0123456789abcdef";
    let rsp =
        dc.t.get(
            &format!("/hosts/capacities/cpu-memory?zoneUuids={missing}"),
            &dc.sid,
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    assert!(rsp.details().contains(missing));
    dc.t.stop().await;
}
