//! The seed's tag APIs: system tags that must match a declared pattern, user tags, inherent
//! tags, tags in create bodies, tag conditions in queries, and tags going with their resource.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::TestNode;

const GB: i64 = 1 << 30;

/// A zone, a cluster and two hosts (8 GiB each); returns the uuids.
async fn small_dc(t: &TestNode, sid: &str) -> (String, String, String, String) {
    let zone = t.create_zone(sid, json!({"name": "z"})).await["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster = t
        .create(
            sid,
            "/clusters",
            json!({"name": "c", "zoneUuid": zone, "hypervisorType": "Simulator"}),
        )
        .await["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let mut hosts = Vec::new();
    for (name, ip) in [("h1", "10.0.1.1"), ("h2", "10.0.1.2")] {
        let host = t
            .create(
                sid,
                "/hosts/simulators",
                json!({"name": name, "clusterUuid": cluster, "managementIp": ip,
                       "cpuCapacity": 4, "memoryCapacity": 8 * GB}),
            )
            .await;
        hosts.push(host["uuid"].as_str().unwrap().to_string());
    }
    (zone, cluster, hosts[0].clone(), hosts[1].clone())
}

async fn available_memory(t: &TestNode, sid: &str) -> i64 {
    let rsp = t.get("/hosts/capacities/cpu-memory?all=true", sid).await;
    rsp.body["availableMemory"].as_i64().unwrap()
}

async fn system_tag(
    t: &TestNode,
    sid: &str,
    resource_type: &str,
    uuid: &str,
    tag: &str,
) -> crate::common::Rsp {
    t.call_async(
        Method::POST,
        "/system-tags",
        sid,
        Some(json!({"params": {"resourceType": resource_type, "resourceUuid": uuid, "tag": tag}})),
    )
    .await
}

fn uuids(body: &Value) -> Vec<String> {
    body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uuid"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn system_tags_must_match_a_declared_pattern_and_reserved_memory_counts_in_capacity() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (zone, _cluster, h1, _h2) = small_dc(&t, &sid).await;
    assert_eq!(available_memory(&t, &sid).await, 16 * GB);

    let done = system_tag(&t, &sid, "HostVO", &h1, "reservedMemory::2G").await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let tag = &done.body["inventory"];
    assert_eq!(tag["resourceType"], "HostVO");
    assert_eq!(tag["resourceUuid"], h1.as_str());
    assert_eq!(tag["tag"], "reservedMemory::2G");
    assert_eq!(tag["inherent"], false);
    assert_eq!(tag["type"], "System");
    assert!(crate::common::is_zstack_date(
        tag["createDate"].as_str().unwrap()
    ));
    let reserved_tag = tag["uuid"].as_str().unwrap().to_string();
    assert_eq!(available_memory(&t, &sid).await, 14 * GB);

    // Unknown tags, unknown types and missing resources are refused, with the reason.
    let bad = system_tag(&t, &sid, "HostVO", &h1, "turbo::on").await;
    assert_eq!(bad.code(), "SYS.1007");
    assert!(
        bad.details().contains("reservedMemory::{size}"),
        "{}",
        bad.details()
    );
    let bad = system_tag(&t, &sid, "ZoneVO", &zone, "reservedMemory::1G").await;
    assert_eq!(
        bad.code(),
        "SYS.1007",
        "a pattern belongs to one resource type"
    );
    let bad = system_tag(&t, &sid, "StarshipVO", &h1, "reservedMemory::1G").await;
    assert_eq!(bad.code(), "SYS.1007");
    assert!(bad.details().contains("HostVO"), "{}", bad.details());
    let bad = system_tag(
        &t,
        &sid,
        "HostVO",
        "0123456789abcdef0123456789abcdef",
        "reservedMemory::1G",
    )
    .await;
    assert_eq!(bad.code(), "SYS.1003");

    // Update: still matching the pattern; capacity follows.
    let path = format!("/system-tags/{reserved_tag}/actions");
    let done = t
        .action(
            &sid,
            &path,
            "updateSystemTag",
            json!({"tag": "reservedMemory::1G"}),
        )
        .await;
    assert_eq!(
        done.body["inventory"]["tag"], "reservedMemory::1G",
        "{:?}",
        done.body
    );
    assert_eq!(available_memory(&t, &sid).await, 15 * GB);
    let bad = t
        .action(&sid, &path, "updateSystemTag", json!({"tag": "nonsense"}))
        .await;
    assert_eq!(bad.code(), "SYS.1007");

    // Hosts carry an inherent capability tag; it cannot be deleted, the reserved one can.
    let rsp = t
        .get(
            &format!("/system-tags?q=resourceUuid={h1}&q=inherent=true"),
            &sid,
        )
        .await;
    assert_eq!(
        rsp.body["inventories"][0]["tag"], "capability::liveSnapshot",
        "{:?}",
        rsp.body
    );
    let inherent = rsp.body["inventories"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = t
        .call_async(Method::DELETE, &format!("/tags/{inherent}"), &sid, None)
        .await;
    assert_eq!(refused.code(), "SYS.1006");
    assert!(
        refused.details().contains("inherent"),
        "{}",
        refused.details()
    );
    let done = t
        .call_async(Method::DELETE, &format!("/tags/{reserved_tag}"), &sid, None)
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(available_memory(&t, &sid).await, 16 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn tags_in_a_create_body_attach_to_the_new_resource_and_a_bad_one_creates_nothing() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (_zone, cluster, _h1, _h2) = small_dc(&t, &sid).await;
    let accepted = t
        .send(
            Method::POST,
            "/hosts/simulators",
            Some(&sid),
            Some(json!({
                "params": {"name": "h3", "clusterUuid": cluster, "managementIp": "10.0.1.3",
                           "cpuCapacity": 2, "memoryCapacity": 4 * GB},
                "systemTags": ["reservedMemory::512M"],
                "userTags": ["rack-7", "gpu"],
            })),
            &[],
        )
        .await;
    let done = t
        .wait_job(accepted.body["location"].as_str().unwrap())
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let h3 = done.body["inventory"]["uuid"].as_str().unwrap().to_string();
    let rsp = t
        .get(&format!("/user-tags?q=resourceUuid={h3}"), &sid)
        .await;
    let mut tags: Vec<&str> = rsp.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["tag"].as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["gpu", "rack-7"]);
    assert_eq!(rsp.body["inventories"][0]["type"], "User");
    let rsp = t
        .get(
            &format!("/system-tags?q=resourceUuid={h3}&q=tag=reservedMemory::512M"),
            &sid,
        )
        .await;
    assert_eq!(rsp.body["inventories"].as_array().unwrap().len(), 1);

    let accepted = t
        .send(
            Method::POST,
            "/hosts/simulators",
            Some(&sid),
            Some(json!({
                "params": {"name": "h4", "clusterUuid": cluster, "managementIp": "10.0.1.4",
                           "cpuCapacity": 2, "memoryCapacity": 4 * GB},
                "systemTags": ["overclock::yes"],
            })),
            &[],
        )
        .await;
    let failed = t
        .wait_job(accepted.body["location"].as_str().unwrap())
        .await;
    assert_eq!(failed.status, 503);
    assert_eq!(failed.code(), "SYS.1007");
    assert_eq!(
        t.query_names(&sid, "/hosts?q=name=h4").await,
        Vec::<String>::new()
    );
    t.stop().await;
}

#[actix_web::test]
async fn tag_conditions_work_in_queries_with_every_operator_and_tags_go_with_their_resource() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let (_zone, cluster, h1, h2) = small_dc(&t, &sid).await;
    for (host, tag) in [(&h1, "rack-1"), (&h1, "ssd"), (&h2, "rack-2")] {
        let done = t
            .call_async(
                Method::POST,
                "/user-tags",
                &sid,
                Some(
                    json!({"params": {"resourceType": "HostVO", "resourceUuid": host, "tag": tag}}),
                ),
            )
            .await;
        assert_eq!(done.status, 200, "{:?}", done.body);
    }
    system_tag(&t, &sid, "HostVO", &h2, "reservedMemory::1G").await;
    let names = |q: &'static str| {
        let t = &t;
        let sid = sid.clone();
        async move { t.query_names(&sid, &format!("/hosts?q={q}")).await }
    };
    assert_eq!(names("__userTag__=ssd").await, ["h1"]);
    assert_eq!(names("__userTag__!=ssd").await, ["h2"]);
    assert_eq!(names("__userTag__?=rack-2,ssd").await, ["h1", "h2"]);
    assert_eq!(names("__userTag__!?=rack-1,ssd").await, ["h2"]);
    assert_eq!(names("__userTag__~=rack-%25").await, ["h1", "h2"]);
    assert_eq!(names("__userTag__!~=rack-1%25").await, ["h2"]);
    assert_eq!(names("__systemTag__=reservedMemory::1G").await, ["h2"]);
    assert_eq!(names("__systemTag__~=reservedMemory%25").await, ["h2"]);
    assert_eq!(names("__systemTag__ not null").await, ["h1", "h2"]);
    assert_eq!(names("__systemTag__>reservedMemory").await, ["h2"]);
    // Through relations too, and a resource without tags.
    assert_eq!(
        t.query_names(&sid, "/clusters?q=host.__userTag__=rack-2")
            .await,
        ["c"]
    );
    assert_eq!(
        t.query_names(&sid, "/zones?q=__userTag__ is null").await,
        ["z"]
    );

    // Tags go with their resource.
    let done = t
        .call_async(Method::DELETE, &format!("/hosts/{h1}"), &sid, None)
        .await;
    assert_eq!(done.status, 200);
    let rsp = t
        .get(&format!("/user-tags?q=resourceUuid={h1}"), &sid)
        .await;
    assert_eq!(uuids(&rsp.body), Vec::<String>::new());
    let rsp = t
        .get(&format!("/system-tags?q=resourceUuid={h1}"), &sid)
        .await;
    assert_eq!(uuids(&rsp.body), Vec::<String>::new());
    // Deleting the cluster takes h2 and its tags.
    t.call_async(Method::DELETE, &format!("/clusters/{cluster}"), &sid, None)
        .await;
    let rsp = t.get("/system-tags?q=resourceType=HostVO", &sid).await;
    assert_eq!(uuids(&rsp.body), Vec::<String>::new());
    t.stop().await;
}
