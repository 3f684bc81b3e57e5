//! L2 and L3 networks over REST: creation, cluster attachment and its conflicts, IP ranges and
//! their validation, DNS, network services, cross-resource queries both ways, and cascades.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Rsp, TestNode};

/// Zones z1 (clusters c1, c2) and z2 (cluster c3); L2 networks l2a (no VLAN, eth0, z1, on c1),
/// l2v (VLAN 10 on eth1, z1, on c1 and c2) and l2z (no VLAN, z2, on c3); L3 networks l3a on
/// l2a, l3v on l2v, l3z on l2z, each with one range.
struct Net {
    t: TestNode,
    sid: String,
    uuid: HashMap<&'static str, String>,
}

impl Net {
    fn id(&self, name: &str) -> &str {
        &self.uuid[name]
    }

    async fn names(&self, path: &str) -> Vec<String> {
        self.t.query_names(&self.sid, path).await
    }

    async fn post(&self, path: &str, params: Value) -> Rsp {
        self.t
            .call_async(
                Method::POST,
                path,
                &self.sid,
                Some(json!({ "params": params })),
            )
            .await
    }

    async fn delete(&self, path: &str) -> Rsp {
        self.t
            .call_async(Method::DELETE, path, &self.sid, None)
            .await
    }

    async fn attach(&self, l2: &str, cluster: &str) -> Rsp {
        self.t
            .call_async(
                Method::POST,
                &format!("/l2-networks/{}/clusters/{}", self.id(l2), self.id(cluster)),
                &self.sid,
                Some(json!({})),
            )
            .await
    }

    async fn add_range(&self, l3: &str, params: Value) -> Rsp {
        self.post(&format!("/l3-networks/{}/ip-ranges", self.id(l3)), params)
            .await
    }
}

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

async fn build() -> Net {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let mut net = Net {
        t,
        sid,
        uuid: HashMap::new(),
    };
    for zone in ["z1", "z2"] {
        let inv = net.t.create_zone(&net.sid, json!({ "name": zone })).await;
        net.uuid.insert(zone, uuid_of(&inv));
    }
    for (cluster, zone) in [("c1", "z1"), ("c2", "z1"), ("c3", "z2")] {
        let inv = net
            .t
            .create(
                &net.sid,
                "/clusters",
                json!({"name": cluster, "zoneUuid": net.id(zone), "hypervisorType": "Simulator"}),
            )
            .await;
        net.uuid.insert(cluster, uuid_of(&inv));
    }
    let l2a = net
        .t
        .create(
            &net.sid,
            "/l2-networks/no-vlan",
            json!({"name": "l2a", "zoneUuid": net.id("z1"), "physicalInterface": "eth0"}),
        )
        .await;
    assert_eq!(l2a["type"], "L2NoVlanNetwork");
    assert_eq!(l2a["physicalInterface"], "eth0");
    assert!(l2a.get("vlan").is_none(), "{l2a}");
    net.uuid.insert("l2a", uuid_of(&l2a));
    let l2v = net
        .t
        .create(
            &net.sid,
            "/l2-networks/vlan",
            json!({"name": "l2v", "zoneUuid": net.id("z1"), "physicalInterface": "eth1", "vlan": 10}),
        )
        .await;
    assert_eq!(l2v["type"], "L2VlanNetwork");
    assert_eq!(l2v["vlan"], 10);
    net.uuid.insert("l2v", uuid_of(&l2v));
    let l2z = net
        .t
        .create(
            &net.sid,
            "/l2-networks/no-vlan",
            json!({"name": "l2z", "zoneUuid": net.id("z2"), "physicalInterface": "eth0"}),
        )
        .await;
    net.uuid.insert("l2z", uuid_of(&l2z));
    for (l2, cluster) in [("l2a", "c1"), ("l2v", "c1"), ("l2v", "c2"), ("l2z", "c3")] {
        let done = net.attach(l2, cluster).await;
        assert_eq!(done.status, 200, "{l2} → {cluster}: {:?}", done.body);
        let attached = done.body["inventory"]["attachedClusterUuids"].clone();
        assert!(
            attached
                .as_array()
                .is_some_and(|a| a.iter().any(|u| u == net.id(cluster))),
            "{attached}"
        );
    }
    for (l3, l2, third) in [("l3a", "l2a", 10), ("l3v", "l2v", 20), ("l3z", "l2z", 30)] {
        let inv = net
            .t
            .create(
                &net.sid,
                "/l3-networks",
                json!({"name": l3, "l2NetworkUuid": net.id(l2)}),
            )
            .await;
        assert_eq!(inv["l2NetworkUuid"], net.id(l2));
        net.uuid.insert(l3, uuid_of(&inv));
        let range = net
            .add_range(
                l3,
                json!({
                    "name": format!("r-{l3}"),
                    "startIp": format!("10.0.{third}.10"), "endIp": format!("10.0.{third}.100"),
                    "netmask": "255.255.255.0", "gateway": format!("10.0.{third}.1"),
                }),
            )
            .await;
        assert_eq!(range.status, 200, "{:?}", range.body);
        let key: &'static str = match l3 {
            "l3a" => "r-l3a",
            "l3v" => "r-l3v",
            _ => "r-l3z",
        };
        net.uuid.insert(key, uuid_of(&range.body["inventory"]));
    }
    net
}

#[actix_web::test]
async fn l2_networks_are_created_queried_updated_and_refuse_bad_input() {
    let net = build().await;
    assert_eq!(net.names("/l2-networks").await, ["l2a", "l2v", "l2z"]);
    assert_eq!(
        net.names("/l2-networks?q=type=L2VlanNetwork").await,
        ["l2v"]
    );
    assert_eq!(net.names("/l2-networks?q=vlan=10").await, ["l2v"]);
    assert_eq!(
        net.names("/l2-networks?q=vlan is null").await,
        ["l2a", "l2z"]
    );
    let rsp = net
        .t
        .get(&format!("/l2-networks/{}", net.id("l2v")), &net.sid)
        .await;
    assert_eq!(rsp.status, 200);
    let inv = &rsp.body["inventories"][0];
    assert_eq!(inv["zoneUuid"], net.id("z1"));
    assert_eq!(inv["vlan"], 10);
    // A VLAN network is typed by its concrete class, as ZStack's schema builder does.
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.network.l2.L2VlanNetworkInventory"
    );

    let done = net
        .t
        .action(
            &net.sid,
            &format!("/l2-networks/{}/actions", net.id("l2a")),
            "updateL2Network",
            json!({"name": "l2a-new", "description": "flat"}),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["name"], "l2a-new");
    assert_eq!(done.body["inventory"]["description"], "flat");
    assert_eq!(
        done.body["inventory"]["attachedClusterUuids"],
        json!([net.id("c1")])
    );

    // Refusals: VLAN out of range, missing interface, unknown zone, reused uuid.
    for vlan in [0, 4095] {
        let rsp = net
            .post(
                "/l2-networks/vlan",
                json!({"name": "x", "zoneUuid": net.id("z1"), "physicalInterface": "eth1", "vlan": vlan}),
            )
            .await;
        assert_eq!(rsp.code(), "SYS.1007", "vlan {vlan}: {:?}", rsp.body);
    }
    let rsp = net
        .post(
            "/l2-networks/no-vlan",
            json!({"name": "x", "zoneUuid": net.id("z1")}),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(
        rsp.details().contains("physicalInterface"),
        "{}",
        rsp.details()
    );
    let rsp = net
        .post(
            "/l2-networks/no-vlan",
            json!({"name": "x", "zoneUuid": "0123456789abcdef0123456789abcdef", "physicalInterface": "eth0"}),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    let rsp = net
        .post(
            "/l2-networks/no-vlan",
            json!({"name": "x", "zoneUuid": net.id("z1"), "physicalInterface": "eth9", "resourceUuid": net.id("l2a")}),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert_eq!(net.names("/l2-networks").await, ["l2a-new", "l2v", "l2z"]);
    net.t.stop().await;
}

#[actix_web::test]
async fn attaching_l2_networks_to_clusters_checks_zone_and_wire_conflicts() {
    let net = build().await;
    // A cluster of another zone.
    let rsp = net.attach("l2a", "c3").await;
    assert_eq!(rsp.status, 503);
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains(net.id("c3")), "{}", rsp.details());
    // Attached twice.
    let rsp = net.attach("l2a", "c1").await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // Another no-VLAN network on eth0 cannot share c1 with l2a, but may go on c2.
    let other = net
        .t
        .create(
            &net.sid,
            "/l2-networks/no-vlan",
            json!({"name": "l2b", "zoneUuid": net.id("z1"), "physicalInterface": "eth0"}),
        )
        .await;
    let l2b = uuid_of(&other);
    let path = |cluster: &str| format!("/l2-networks/{l2b}/clusters/{}", net.id(cluster));
    // The body may also be `{"params": {}}`, or absent.
    let rsp = net
        .t
        .call_async(
            Method::POST,
            &path("c1"),
            &net.sid,
            Some(json!({"params": {}})),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains("eth0"), "{}", rsp.details());
    let rsp = net
        .t
        .call_async(Method::POST, &path("c2"), &net.sid, None)
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // VLAN: the same VLAN and interface clash; another VLAN on that interface does not.
    let same = net
        .t
        .create(
            &net.sid,
            "/l2-networks/vlan",
            json!({"name": "l2v-same", "zoneUuid": net.id("z1"), "physicalInterface": "eth1", "vlan": 10}),
        )
        .await;
    let rsp = net
        .t
        .call_async(
            Method::POST,
            &format!("/l2-networks/{}/clusters/{}", uuid_of(&same), net.id("c1")),
            &net.sid,
            Some(json!({})),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    assert!(rsp.details().contains("vlan[10]"), "{}", rsp.details());
    let vlan11 = net
        .t
        .create(
            &net.sid,
            "/l2-networks/vlan",
            json!({"name": "l2v-11", "zoneUuid": net.id("z1"), "physicalInterface": "eth1", "vlan": 11}),
        )
        .await;
    let rsp = net
        .t
        .call_async(
            Method::POST,
            &format!(
                "/l2-networks/{}/clusters/{}",
                uuid_of(&vlan11),
                net.id("c1")
            ),
            &net.sid,
            Some(json!({})),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        net.names(&format!("/l2-networks?q=cluster.uuid={}", net.id("c1")))
            .await,
        ["l2a", "l2v", "l2v-11"]
    );

    // Detach, then detaching again is refused; the query shows it at once.
    let detach = format!("/l2-networks/{}/clusters/{}", net.id("l2v"), net.id("c1"));
    let rsp = net.delete(&detach).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        rsp.body["inventory"]["attachedClusterUuids"],
        json!([net.id("c2")])
    );
    assert_eq!(
        net.names("/l2-networks?q=cluster.name=c1").await,
        ["l2a", "l2v-11"]
    );
    let rsp = net.delete(&detach).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    // Unknown cluster.
    let rsp = net
        .t
        .call_async(
            Method::POST,
            &format!(
                "/l2-networks/{}/clusters/0123456789abcdef0123456789abcdef",
                net.id("l2a")
            ),
            &net.sid,
            Some(json!({})),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1003", "{:?}", rsp.body);
    net.t.stop().await;
}

#[actix_web::test]
async fn network_queries_cross_resources_one_two_and_three_levels_both_ways() {
    let net = build().await;
    // One level.
    assert_eq!(
        net.names("/l2-networks?q=zone.name=z1").await,
        ["l2a", "l2v"]
    );
    assert_eq!(net.names("/zones?q=l2Network.name=l2z").await, ["z2"]);
    assert_eq!(net.names("/l2-networks?q=cluster.name=c2").await, ["l2v"]);
    assert_eq!(
        net.names("/clusters?q=l2Network.name=l2v").await,
        ["c1", "c2"]
    );
    assert_eq!(net.names("/l3-networks?q=l2Network.vlan=10").await, ["l3v"]);
    assert_eq!(
        net.names("/l2-networks?q=l3Network.name=l3a").await,
        ["l2a"]
    );
    assert_eq!(net.names("/l3-networks?q=zone.name=z2").await, ["l3z"]);
    assert_eq!(net.names("/zones?q=l3Network.name=l3v").await, ["z1"]);
    assert_eq!(
        net.names("/l3-networks?q=ipRanges.startIp=10.0.20.10")
            .await,
        ["l3v"]
    );
    assert_eq!(
        net.names("/l3-networks/ip-ranges?q=l3Network.name=l3z")
            .await,
        ["r-l3z"]
    );
    // Two levels.
    assert_eq!(
        net.names("/l3-networks?q=l2Network.cluster.name=c1").await,
        ["l3a", "l3v"]
    );
    assert_eq!(
        net.names("/l3-networks?q=l2Network.cluster.name=c2").await,
        ["l3v"]
    );
    assert_eq!(
        net.names("/zones?q=l2Network.l3Network.name=l3a").await,
        ["z1"]
    );
    assert_eq!(
        net.names("/l3-networks/ip-ranges?q=l3Network.l2Network.name=l2v")
            .await,
        ["r-l3v"]
    );
    assert_eq!(
        net.names("/clusters?q=l2Network.l3Network.name=l3z").await,
        ["c3"]
    );
    assert_eq!(
        net.names("/l2-networks?q=l3Network.ipRanges.gateway=10.0.30.1")
            .await,
        ["l2z"]
    );
    // Three levels.
    assert_eq!(
        net.names("/l3-networks/ip-ranges?q=l3Network.l2Network.cluster.name=c1")
            .await,
        ["r-l3a", "r-l3v"]
    );
    assert_eq!(
        net.names("/clusters?q=l2Network.l3Network.ipRanges.name=r-l3v")
            .await,
        ["c1", "c2"]
    );
    assert_eq!(
        net.names("/zones?q=l2Network.l3Network.ipRanges.startIp=10.0.30.10")
            .await,
        ["z2"]
    );
    assert_eq!(
        net.names("/l3-networks?q=l2Network.zone.cluster.name=c3")
            .await,
        ["l3z"]
    );
    // By uuid, with the schema classes.
    let rsp = net
        .t
        .get(
            &format!("/l3-networks/ip-ranges/{}", net.id("r-l3a")),
            &net.sid,
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventories"][0]["networkCidr"], "10.0.10.0/24");
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.network.l3.IpRangeInventory"
    );
    let rsp = net
        .t
        .get(&format!("/l3-networks/{}", net.id("l3a")), &net.sid)
        .await;
    let inv = &rsp.body["inventories"][0];
    assert_eq!(inv["zoneUuid"], net.id("z1"));
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.network.l3.L3NetworkInventory"
    );
    net.t.stop().await;
}

#[actix_web::test]
async fn l3_networks_are_created_updated_and_changed_with_dns_and_network_services() {
    let net = build().await;
    let inv = net
        .t
        .create(
            &net.sid,
            "/l3-networks",
            json!({
                "name": "pub", "l2NetworkUuid": net.id("l2v"), "category": "Public",
                "system": true, "dnsDomain": "example.org", "description": "outside",
            }),
        )
        .await;
    assert_eq!(inv["type"], "L3BasicNetwork");
    assert_eq!(inv["category"], "Public");
    assert_eq!(inv["system"], true);
    assert_eq!(inv["ipVersion"], 4);
    assert_eq!(inv["state"], "Enabled");
    assert_eq!(inv["zoneUuid"], net.id("z1"));
    assert_eq!(inv["dnsDomain"], "example.org");
    assert_eq!(inv["dns"], json!([]));
    let pub_uuid = uuid_of(&inv);
    let defaults = &net
        .t
        .get(&format!("/l3-networks/{}", net.id("l3a")), &net.sid)
        .await
        .body["inventories"][0];
    assert_eq!(defaults["category"], "Private");
    assert_eq!(defaults["system"], false);

    let actions = format!("/l3-networks/{pub_uuid}/actions");
    let done = net
        .t
        .action(
            &net.sid,
            &actions,
            "updateL3Network",
            json!({"name": "public", "category": "Private", "system": false, "dnsDomain": "x.org"}),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["name"], "public");
    assert_eq!(done.body["inventory"]["category"], "Private");
    assert_eq!(done.body["inventory"]["system"], false);
    assert_eq!(done.body["inventory"]["dnsDomain"], "x.org");
    let done = net
        .t
        .action(
            &net.sid,
            &actions,
            "changeL3NetworkState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Disabled");
    assert_eq!(net.names("/l3-networks?q=state=Disabled").await, ["public"]);

    // Refusals on create.
    for (params, code) in [
        (
            json!({"name": "x", "l2NetworkUuid": "0123456789abcdef0123456789abcdef"}),
            "SYS.1003",
        ),
        (
            json!({"name": "x", "l2NetworkUuid": net.id("l2a"), "category": "Secret"}),
            "SYS.1007",
        ),
        (
            json!({"name": "x", "l2NetworkUuid": net.id("l2a"), "ipVersion": 6}),
            "SYS.1007",
        ),
        (
            json!({"name": "x", "l2NetworkUuid": net.id("l2a"), "type": "Flat"}),
            "SYS.1007",
        ),
    ] {
        let rsp = net.post("/l3-networks", params.clone()).await;
        assert_eq!(rsp.code(), code, "{params}: {:?}", rsp.body);
    }

    // DNS: added in order, bad and duplicate refused, removed.
    let dns = format!("/l3-networks/{pub_uuid}/dns");
    for server in ["8.8.8.8", "1.1.1.1"] {
        let rsp = net.post(&dns, json!({ "dns": server })).await;
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    }
    let rsp = net.post(&dns, json!({"dns": "8.8.8.8"})).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = net.post(&dns, json!({"dns": "dns.example.org"})).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(
        rsp.details().contains("dns.example.org"),
        "{}",
        rsp.details()
    );
    let rsp = net.delete(&format!("{dns}/8.8.8.8")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["dns"], json!(["1.1.1.1"]));

    // Network services.
    let services = format!("/l3-networks/{pub_uuid}/network-services");
    let provider = "1d1d5ff248b24906a32b9c3b9b1d5ab2";
    let rsp = net
        .post(
            &services,
            json!({"networkServices": {provider: ["DHCP", "DNS", "SNAT"]}}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let types: Vec<&str> = rsp.body["inventory"]["networkServices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["networkServiceType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["DHCP", "DNS", "SNAT"]);
    assert_eq!(
        rsp.body["inventory"]["networkServices"][0]["networkServiceProviderUuid"],
        provider
    );
    let rsp = net
        .post(
            &services,
            json!({"networkServices": {provider: ["Teleport"]}}),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(rsp.details().contains("Teleport"), "{}", rsp.details());
    let rsp = net
        .post(&services, json!({"networkServices": ["DHCP"]}))
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = net
        .post(
            &services,
            json!({"networkServices": {"other-provider": ["DHCP"]}}),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1006", "{:?}", rsp.body);
    // Detach by map (as JSON text in the query string) and by one type.
    let map = serde_json::to_string(&json!({ provider: ["DNS"] })).unwrap();
    let query: String = url_encode(&map);
    let rsp = net
        .delete(&format!("{services}?networkServices={query}"))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        rsp.body["inventory"]["networkServices"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let rsp = net.delete(&format!("{services}?service=SNAT")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        rsp.body["inventory"]["networkServices"],
        json!([{"l3NetworkUuid": pub_uuid, "networkServiceProviderUuid": provider, "networkServiceType": "DHCP"}])
    );
    let rsp = net.delete(&services).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    // Deleting the L3 takes its range, DNS and services.
    let rsp = net
        .post(
            &format!("/l3-networks/{pub_uuid}/ip-ranges/by-cidr"),
            json!({"name": "pr", "networkCidr": "172.16.0.0/24"}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = net.delete(&format!("/l3-networks/{pub_uuid}")).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(net.names("/l3-networks").await, ["l3a", "l3v", "l3z"]);
    assert_eq!(
        net.names("/l3-networks/ip-ranges").await,
        ["r-l3a", "r-l3v", "r-l3z"]
    );
    net.t.stop().await;
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[actix_web::test]
async fn ip_ranges_are_validated_added_by_cidr_and_deleted() {
    let net = build().await;
    let ok = |start: &str, end: &str, mask: &str, gw: Option<&str>| {
        let mut p = json!({"name": "r", "startIp": start, "endIp": end, "netmask": mask});
        if let Some(gw) = gw {
            p["gateway"] = json!(gw);
        }
        p
    };
    let refusals = [
        (
            ok("10.0.10.300", "10.0.10.310", "255.255.255.0", None),
            "startIp[10.0.10.300]",
        ),
        (
            ok("10.0.10.150", "abc", "255.255.255.0", None),
            "endIp[abc]",
        ),
        (
            ok("10.0.10.150", "10.0.10.160", "255.0.255.0", None),
            "netmask",
        ),
        (
            ok("10.0.10.160", "10.0.10.150", "255.255.255.0", None),
            "after",
        ),
        (
            ok("10.0.10.150", "10.0.11.10", "255.255.255.0", None),
            "same network",
        ),
        (
            ok(
                "10.0.10.150",
                "10.0.10.160",
                "255.255.255.0",
                Some("10.0.11.1"),
            ),
            "not in the network",
        ),
        (
            ok(
                "10.0.10.150",
                "10.0.10.160",
                "255.255.255.0",
                Some("10.0.10.155"),
            ),
            "inside the range",
        ),
        (
            ok(
                "10.0.10.50",
                "10.0.10.120",
                "255.255.255.0",
                Some("10.0.10.1"),
            ),
            "overlaps",
        ),
        (
            ok(
                "10.0.10.100",
                "10.0.10.100",
                "255.255.255.0",
                Some("10.0.10.1"),
            ),
            "overlaps",
        ),
        (
            ok(
                "10.0.10.0",
                "10.0.10.5",
                "255.255.255.0",
                Some("10.0.10.254"),
            ),
            "network address",
        ),
        (
            ok("10.0.10.200", "10.0.10.255", "255.255.255.0", None),
            "broadcast",
        ),
    ];
    for (params, reason) in refusals {
        let rsp = net.add_range("l3a", params.clone()).await;
        assert_eq!(rsp.status, 503, "{params}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007", "{params}: {:?}", rsp.body);
        assert!(
            rsp.details().contains(reason),
            "{params}: {}",
            rsp.details()
        );
    }
    // A second, adjacent range is fine; the same addresses on another L3 are fine too.
    let rsp = net
        .add_range(
            "l3a",
            ok(
                "10.0.10.101",
                "10.0.10.200",
                "255.255.255.0",
                Some("10.0.10.1"),
            ),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let second = rsp.body["inventory"].clone();
    assert_eq!(second["l3NetworkUuid"], net.id("l3a"));
    assert_eq!(second["networkCidr"], "10.0.10.0/24");
    assert_eq!(second["ipVersion"], 4);
    let rsp = net
        .add_range(
            "l3v",
            ok("10.0.10.10", "10.0.10.100", "255.255.255.0", None),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["gateway"], "10.0.10.1");

    // By CIDR: the gateway is the first address, the range the rest.
    let by_cidr = format!("/l3-networks/{}/ip-ranges/by-cidr", net.id("l3z"));
    let rsp = net
        .post(
            &by_cidr,
            json!({"name": "c", "networkCidr": "192.168.10.0/24"}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let inv = &rsp.body["inventory"];
    assert_eq!(inv["startIp"], "192.168.10.2");
    assert_eq!(inv["endIp"], "192.168.10.254");
    assert_eq!(inv["gateway"], "192.168.10.1");
    assert_eq!(inv["netmask"], "255.255.255.0");
    assert_eq!(inv["networkCidr"], "192.168.10.0/24");
    let rsp = net
        .post(
            &by_cidr,
            json!({"name": "c2", "networkCidr": "192.168.20.0/28", "gateway": "192.168.20.14"}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(rsp.body["inventory"]["startIp"], "192.168.20.1");
    assert_eq!(rsp.body["inventory"]["endIp"], "192.168.20.13");
    for (params, reason) in [
        (
            json!({"name": "c", "networkCidr": "192.168.10.0/25"}),
            "overlaps",
        ),
        (json!({"name": "c", "networkCidr": "192.168.30.0"}), "CIDR"),
        (
            json!({"name": "c", "networkCidr": "192.168.30.0/31"}),
            "prefix",
        ),
        (
            json!({"name": "c", "networkCidr": "192.168.30.0/24", "gateway": "192.168.30.9"}),
            "first or the last",
        ),
    ] {
        let rsp = net.post(&by_cidr, params.clone()).await;
        assert_eq!(rsp.code(), "SYS.1007", "{params}: {:?}", rsp.body);
        assert!(
            rsp.details().contains(reason),
            "{params}: {}",
            rsp.details()
        );
    }
    assert_eq!(
        net.names(&format!(
            "/l3-networks/ip-ranges?q=l3NetworkUuid={}",
            net.id("l3z")
        ))
        .await,
        ["c", "c2", "r-l3z"]
    );

    // Delete a range: gone from queries, and its addresses are free again.
    let rsp = net
        .delete(&format!("/l3-networks/ip-ranges/{}", net.id("r-l3a")))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = net
        .add_range(
            "l3a",
            ok(
                "10.0.10.50",
                "10.0.10.60",
                "255.255.255.0",
                Some("10.0.10.1"),
            ),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    // L3 mutations list the ranges.
    let done = net
        .t
        .action(
            &net.sid,
            &format!("/l3-networks/{}/actions", net.id("l3a")),
            "updateL3Network",
            json!({"description": "d"}),
        )
        .await;
    let starts: Vec<&str> = done.body["inventory"]["ipRanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["startIp"].as_str().unwrap())
        .collect();
    assert_eq!(starts, ["10.0.10.101", "10.0.10.50"]);
    net.t.stop().await;
}

#[actix_web::test]
async fn deleting_zones_l2_networks_and_clusters_cascades_to_what_depends_on_them() {
    let net = build().await;
    // A cluster going takes its attachments only.
    let rsp = net.delete(&format!("/clusters/{}", net.id("c2"))).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(net.names("/l2-networks").await, ["l2a", "l2v", "l2z"]);
    assert_eq!(net.names("/clusters?q=l2Network.name=l2v").await, ["c1"]);

    // An L2 network going takes its L3 networks and their ranges.
    let extra = net
        .t
        .create(
            &net.sid,
            "/l2-networks/no-vlan",
            json!({"name": "l2x", "zoneUuid": net.id("z2"), "physicalInterface": "eth5"}),
        )
        .await;
    let l3x = net
        .t
        .create(
            &net.sid,
            "/l3-networks",
            json!({"name": "l3x", "l2NetworkUuid": uuid_of(&extra)}),
        )
        .await;
    let rsp = net
        .post(
            &format!("/l3-networks/{}/ip-ranges/by-cidr", uuid_of(&l3x)),
            json!({"name": "r-l3x", "networkCidr": "10.9.0.0/24"}),
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = net
        .delete(&format!("/l2-networks/{}", uuid_of(&extra)))
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(net.names("/l3-networks").await, ["l3a", "l3v", "l3z"]);
    assert_eq!(
        net.names("/l3-networks/ip-ranges").await,
        ["r-l3a", "r-l3v", "r-l3z"]
    );

    // The zone going takes its clusters, L2 and L3 networks and ranges; z2's stay.
    let rsp = net.delete(&format!("/zones/{}", net.id("z1"))).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(net.names("/zones").await, ["z2"]);
    assert_eq!(net.names("/clusters").await, ["c3"]);
    assert_eq!(net.names("/l2-networks").await, ["l2z"]);
    assert_eq!(net.names("/l3-networks").await, ["l3z"]);
    assert_eq!(net.names("/l3-networks/ip-ranges").await, ["r-l3z"]);
    assert_eq!(net.names("/clusters?q=l2Network.name=l2z").await, ["c3"]);
    // Nothing of z1 is reachable any more, through any relation.
    assert!(net.names("/l2-networks?q=cluster.name=c1").await.is_empty());
    assert!(
        net.names("/l3-networks/ip-ranges?q=l3Network.name=l3a")
            .await
            .is_empty()
    );
    net.t.stop().await;
}
