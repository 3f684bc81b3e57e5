//! Requests the seed document and ZStack's SDK send, answered as ZStack answers them.

use reqwest::Method;
use serde_json::json;

use crate::common::TestNode;

const GB: i64 = 1 << 30;

#[actix_web::test]
async fn a_list_given_once_in_a_query_string_is_a_list_of_one_and_is_ready_needs_no_session() {
    let t = TestNode::start().await;
    // Health probes call IsReadyToGo without a session.
    let ready = t
        .send(
            Method::GET,
            "/management-nodes/ready?systemTags=a",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(ready.status, 200, "{:?}", ready.body);
    assert_eq!(ready.body["managementNodeId"], t.node_uuid());
    t.stop().await;
}

#[actix_web::test]
async fn get_on_a_path_that_only_has_put_routes_is_405() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    for path in ["/accounts/login", "/management-nodes/actions"] {
        let rsp = t.get(path, &sid).await;
        assert_eq!(rsp.status, 405, "GET {path}: {:?}", rsp.body);
        assert!(rsp.code().starts_with("SYS."), "{:?}", rsp.body);
    }
    // The by-uuid query is still there for real uuids.
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let uuid = zone["uuid"].as_str().unwrap();
    let one = t.get(&format!("/zones/{uuid}"), &sid).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["inventories"][0]["uuid"], uuid);
    t.stop().await;
}

#[actix_web::test]
async fn a_condition_with_spaces_around_its_operator_is_refused_naming_it() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    t.create_zone(&sid, json!({"name": "x"})).await;
    for q in ["name%20=%20x", "name%20=x", "name=%20x"] {
        let rsp = t.get(&format!("/zones?q={q}"), &sid).await;
        assert_eq!(rsp.status, 400, "q={q}: {:?}", rsp.body);
        assert!(rsp.details().contains("spaces"), "{}", rsp.details());
    }
    let ok = t.get("/zones?q=name=x", &sid).await;
    assert_eq!(ok.body["inventories"].as_array().unwrap().len(), 1);
    t.stop().await;
}

#[actix_web::test]
async fn current_time_is_in_integers() {
    let t = TestNode::start().await;
    let rsp = t
        .send(
            Method::PUT,
            "/management-nodes/actions",
            None,
            Some(json!({"getCurrentTime": {}})),
            &[],
        )
        .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let time = &rsp.body["currentTime"];
    assert!(time["MillionSeconds"].is_i64(), "{time}");
    assert!(time["Seconds"].is_i64(), "{time}");
    assert_eq!(
        time["Seconds"].as_i64().unwrap(),
        time["MillionSeconds"].as_i64().unwrap() / 1000
    );
    t.stop().await;
}

#[actix_web::test]
async fn delete_parameters_come_from_a_json_body_too_and_a_null_body_is_no_parameters() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let cluster = t
        .create(
            &sid,
            "/clusters",
            json!({"name": "c", "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;
    let mut hosts = Vec::new();
    for (i, ip) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].iter().enumerate() {
        let host = t
            .create(
                &sid,
                "/hosts/simulators",
                json!({"name": format!("h{i}"), "clusterUuid": cluster["uuid"], "managementIp": ip,
                       "cpuCapacity": 4, "memoryCapacity": GB}),
            )
            .await;
        let path = format!("/hosts/{}/actions", host["uuid"].as_str().unwrap());
        // Entering maintenance makes a host refuse a Permissive delete.
        let busy = t
            .action(
                &sid,
                &path,
                "changeHostState",
                json!({"stateEvent": "preMaintain"}),
            )
            .await;
        assert_eq!(busy.status, 200, "{:?}", busy.body);
        hosts.push(host["uuid"].as_str().unwrap().to_string());
    }
    let delete = |uuid: &str, body: Option<serde_json::Value>| {
        let path = format!("/hosts/{uuid}");
        let sid = sid.clone();
        let t = &t;
        async move {
            let accepted = t.send(Method::DELETE, &path, Some(&sid), body, &[]).await;
            assert_eq!(accepted.status, 202, "{:?}", accepted.body);
            t.wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
                .await
        }
    };
    let refused = delete(&hosts[0], None).await;
    assert_eq!(
        refused.status, 503,
        "Permissive refuses: {:?}",
        refused.body
    );
    let flat = delete(&hosts[0], Some(json!({"deleteMode": "Enforcing"}))).await;
    assert_eq!(flat.status, 200, "flat body: {:?}", flat.body);
    let nested = delete(
        &hosts[1],
        Some(json!({"params": {"deleteMode": "Enforcing"}})),
    )
    .await;
    assert_eq!(nested.status, 200, "under params: {:?}", nested.body);
    let left = t.get("/hosts", &sid).await;
    let left: Vec<&str> = left.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["uuid"].as_str().unwrap())
        .collect();
    assert_eq!(left, vec![hosts[2].as_str()]);

    // A POST whose body is `null` has no parameters (and here misses the required ones).
    let null_body = t
        .send(
            Method::PUT,
            &format!("/hosts/{}/actions", hosts[2]),
            Some(&sid),
            Some(serde_json::Value::Null),
            &[],
        )
        .await;
    assert_ne!(null_body.status, 500);
    let null_create = t
        .call_async(Method::POST, "/zones", &sid, Some(serde_json::Value::Null))
        .await;
    assert_eq!(null_create.status, 503, "{:?}", null_create.body);
    assert!(
        null_create.details().contains("name"),
        "{}",
        null_create.details()
    );
    t.stop().await;
}

/// `GET` or an async API with `X-JSON-Schema: true`, waited for: the reply's `schema` map.
async fn schema_of(
    t: &TestNode,
    sid: &str,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let rsp = t
        .send(method, path, Some(sid), body, &[("X-JSON-Schema", "true")])
        .await;
    let rsp = if rsp.status == 202 {
        t.wait_job_as(rsp.body["location"].as_str().unwrap(), sid)
            .await
    } else {
        rsp
    };
    assert_eq!(rsp.status, 200, "{path}: {:?}", rsp.body);
    rsp.body["schema"].clone()
}

#[actix_web::test]
async fn the_schema_map_names_concrete_classes_and_nested_inventories() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let zone = zone["uuid"].as_str().unwrap();
    let schema = schema_of(
        &t,
        &sid,
        Method::POST,
        "/backup-storage/image-store",
        Some(
            json!({"params": {"name": "bs", "url": "/bs", "hostname": "10.1.0.1",
            "username": "root", "password": "secret", "totalCapacity": 100 * GB}}),
        ),
    )
    .await;
    assert_eq!(
        schema["inventory"],
        "org.zstack.storage.backup.imagestore.ImageStoreBackupStorageInventory"
    );
    let bs = t.get("/backup-storage", &sid).await.body["inventories"][0]["uuid"]
        .as_str()
        .unwrap()
        .to_string();
    let queried = schema_of(&t, &sid, Method::GET, "/backup-storage", None).await;
    assert_eq!(
        queried["inventories[0]"],
        "org.zstack.storage.backup.imagestore.ImageStoreBackupStorageInventory"
    );
    t.call_async(
        Method::POST,
        &format!("/zones/{zone}/backup-storage/{bs}"),
        &sid,
        Some(json!({"params": {}})),
    )
    .await;
    let image = schema_of(
        &t,
        &sid,
        Method::POST,
        "/images",
        Some(
            json!({"params": {"name": "i", "url": "http://x/i.qcow2", "backupStorageUuids": [bs]}}),
        ),
    )
    .await;
    assert_eq!(image["inventory"], "org.zstack.header.image.ImageInventory");
    assert_eq!(
        image["inventory.backupStorageRefs[0]"],
        "org.zstack.header.image.ImageBackupStorageRefInventory"
    );

    let l2 = t
        .create(
            &sid,
            "/l2-networks/vlan",
            json!({"name": "v", "zoneUuid": zone, "physicalInterface": "eth0", "vlan": 10}),
        )
        .await;
    let l2s = schema_of(&t, &sid, Method::GET, "/l2-networks", None).await;
    assert_eq!(
        l2s["inventories[0]"],
        "org.zstack.header.network.l2.L2VlanNetworkInventory"
    );
    let l3 = t
        .create(
            &sid,
            "/l3-networks",
            json!({"name": "l3", "l2NetworkUuid": l2["uuid"]}),
        )
        .await;
    t.create(
        &sid,
        &format!("/l3-networks/{}/ip-ranges", l3["uuid"].as_str().unwrap()),
        json!({"name": "r", "startIp": "10.0.0.10", "endIp": "10.0.0.100",
               "netmask": "255.255.255.0", "gateway": "10.0.0.1"}),
    )
    .await;
    let l3s = schema_of(&t, &sid, Method::GET, "/l3-networks", None).await;
    assert_eq!(
        l3s["inventories[0]"],
        "org.zstack.header.network.l3.L3NetworkInventory"
    );
    assert_eq!(
        l3s["inventories[0].ipRanges[0]"],
        "org.zstack.header.network.l3.IpRangeInventory"
    );
    t.stop().await;
}

#[actix_web::test]
async fn list_fields_kept_in_mapping_tables_are_queryable() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "z"})).await;
    let zone = zone["uuid"].as_str().unwrap().to_string();
    let mut storages = Vec::new();
    for name in ["bs1", "bs2"] {
        let bs = t
            .create(
                &sid,
                "/backup-storage/image-store",
                json!({"name": name, "url": format!("/{name}"), "hostname": "10.1.0.1",
                       "username": "root", "password": "secret", "totalCapacity": 100 * GB}),
            )
            .await;
        storages.push(bs["uuid"].as_str().unwrap().to_string());
    }
    t.call_async(
        Method::POST,
        &format!("/zones/{zone}/backup-storage/{}", storages[0]),
        &sid,
        Some(json!({"params": {}})),
    )
    .await;
    let names = |rsp: crate::common::Rsp| -> Vec<String> {
        assert_eq!(rsp.status, 200, "{:?}", rsp.body);
        rsp.body["inventories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let attached = t
        .get(&format!("/backup-storage?q=attachedZoneUuids={zone}"), &sid)
        .await;
    assert_eq!(names(attached), vec!["bs1"]);
    let image = t
        .create(
            &sid,
            "/images",
            json!({"name": "img", "url": "http://x/i.qcow2", "backupStorageUuids": [storages[0]]}),
        )
        .await;
    assert_eq!(image["name"], "img");
    let on_bs1 = t
        .get(
            &format!(
                "/images?q=backupStorageRefs.backupStorageUuid={}",
                storages[0]
            ),
            &sid,
        )
        .await;
    assert_eq!(names(on_bs1), vec!["img"]);
    let on_bs2 = t
        .get(
            &format!(
                "/images?q=backupStorageRefs.backupStorageUuid={}",
                storages[1]
            ),
            &sid,
        )
        .await;
    assert!(names(on_bs2).is_empty());
    let bad = t.get("/images?q=backupStorageRefs.nothing=x", &sid).await;
    assert_eq!(bad.code(), "SYS.1007", "{:?}", bad.body);

    let cluster = t
        .create(
            &sid,
            "/clusters",
            json!({"name": "c", "zoneUuid": zone, "hypervisorType": "Simulator"}),
        )
        .await;
    let cluster = cluster["uuid"].as_str().unwrap();
    let l2 = t
        .create(
            &sid,
            "/l2-networks/no-vlan",
            json!({"name": "l2", "zoneUuid": zone, "physicalInterface": "eth0"}),
        )
        .await;
    t.call_async(
        Method::POST,
        &format!(
            "/l2-networks/{}/clusters/{cluster}",
            l2["uuid"].as_str().unwrap()
        ),
        &sid,
        Some(json!({})),
    )
    .await;
    let l2s = t
        .get(
            &format!("/l2-networks?q=attachedClusterUuids?={cluster},x"),
            &sid,
        )
        .await;
    assert_eq!(names(l2s), vec!["l2"]);
    t.stop().await;
}
