//! Instance and disk offerings over REST: create with defaults, query, update, state, delete,
//! and the refusals of bad sizes and values.

use reqwest::Method;
use serde_json::json;

use crate::common::{TestNode, is_zstack_date};

const GB: i64 = 1 << 30;

#[actix_web::test]
async fn instance_offerings_are_created_with_defaults_queried_updated_and_deleted() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let small = t
        .create(
            &sid,
            "/instance-offerings",
            json!({"name": "small", "cpuNum": 1, "memorySize": GB}),
        )
        .await;
    assert_eq!(small["cpuNum"], 1);
    assert_eq!(small["cpuSpeed"], 0);
    assert_eq!(small["memorySize"], GB);
    assert_eq!(small["reservedMemorySize"], 0);
    assert_eq!(small["type"], "UserVm");
    assert_eq!(small["allocatorStrategy"], "DefaultHostAllocatorStrategy");
    assert_eq!(small["sortKey"], 0);
    assert_eq!(small["state"], "Enabled");
    assert!(small.get("description").is_none(), "{small}");
    assert!(is_zstack_date(small["createDate"].as_str().unwrap()));
    assert!(is_zstack_date(small["lastOpDate"].as_str().unwrap()));
    let uuid = "0123456789abcdef0123456789abcdef";
    let large = t
        .create(
            &sid,
            "/instance-offerings",
            json!({
                "name": "large", "description": "big VMs", "cpuNum": 8, "memorySize": 16 * GB,
                "reservedMemorySize": GB, "sortKey": 5, "resourceUuid": uuid,
                "allocatorStrategy": "LeastVmPreferredHostAllocatorStrategy",
            }),
        )
        .await;
    assert_eq!(large["uuid"], uuid);
    assert_eq!(large["sortKey"], 5);
    assert_eq!(large["reservedMemorySize"], GB);

    // Queries by field, by uuid, with the schema class.
    assert_eq!(
        t.query_names(&sid, "/instance-offerings?q=cpuNum>1").await,
        ["large"]
    );
    assert_eq!(
        t.query_names(&sid, "/instance-offerings?q=memorySize<=1073741824")
            .await,
        ["small"]
    );
    let rsp = t.get(&format!("/instance-offerings/{uuid}"), &sid).await;
    assert_eq!(rsp.status, 200);
    assert_eq!(rsp.body["inventories"][0]["description"], "big VMs");
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.configuration.InstanceOfferingInventory"
    );

    let path = format!("/instance-offerings/{uuid}/actions");
    let done = t
        .action(
            &sid,
            &path,
            "updateInstanceOffering",
            json!({"name": "huge", "allocatorStrategy": "DefaultHostAllocatorStrategy"}),
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["name"], "huge");
    assert_eq!(
        done.body["inventory"]["allocatorStrategy"],
        "DefaultHostAllocatorStrategy"
    );
    let done = t
        .action(
            &sid,
            &path,
            "changeInstanceOfferingState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Disabled");
    assert_eq!(
        t.query_names(&sid, "/instance-offerings?q=state=Disabled")
            .await,
        ["huge"]
    );
    let done = t
        .action(
            &sid,
            &path,
            "changeInstanceOfferingState",
            json!({"stateEvent": "enable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Enabled");

    let done = t
        .call_async(
            Method::DELETE,
            &format!("/instance-offerings/{uuid}"),
            &sid,
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(t.query_names(&sid, "/instance-offerings").await, ["small"]);
    // Acting on a deleted offering is SYS.1003.
    let gone = t
        .action(
            &sid,
            &path,
            "updateInstanceOffering",
            json!({"name": "back"}),
        )
        .await;
    assert_eq!(gone.status, 503);
    assert_eq!(gone.code(), "SYS.1003", "{:?}", gone.body);
    t.stop().await;
}

#[actix_web::test]
async fn instance_offerings_refuse_bad_sizes_values_and_reused_uuids() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let base = json!({"name": "o", "cpuNum": 2, "memorySize": GB});
    let taken = t.create(&sid, "/instance-offerings", base.clone()).await;
    let cases = [
        ("cpuNum", json!(0)),
        ("memorySize", json!(0)),
        ("memorySize", json!(-1)),
        ("allocatorStrategy", json!("Anywhere")),
        ("type", json!("ApplianceVmX")),
        ("resourceUuid", taken["uuid"].clone()),
    ];
    for (field, value) in cases {
        let mut params = base.clone();
        params[field] = value.clone();
        let rsp = t
            .call_async(
                Method::POST,
                "/instance-offerings",
                &sid,
                Some(json!({ "params": params })),
            )
            .await;
        assert_eq!(rsp.status, 503, "{field}={value}: {:?}", rsp.body);
        assert_eq!(rsp.code(), "SYS.1007", "{field}={value}: {:?}", rsp.body);
    }
    // A missing required parameter, and a mistyped one.
    let rsp = t
        .call_async(
            Method::POST,
            "/instance-offerings",
            &sid,
            Some(json!({"params": {"name": "o", "cpuNum": 1}})),
        )
        .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    assert!(rsp.details().contains("memorySize"), "{}", rsp.details());
    let rsp = t
        .send(
            Method::POST,
            "/instance-offerings",
            Some(&sid),
            Some(json!({"params": {"name": "o", "cpuNum": "two", "memorySize": GB}})),
            &[],
        )
        .await;
    assert_eq!(rsp.status, 400, "{:?}", rsp.body);
    let bad = t
        .action(
            &sid,
            &format!(
                "/instance-offerings/{}/actions",
                taken["uuid"].as_str().unwrap()
            ),
            "changeInstanceOfferingState",
            json!({"stateEvent": "explode"}),
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");
    assert_eq!(t.query_names(&sid, "/instance-offerings").await, ["o"]);
    t.stop().await;
}

#[actix_web::test]
async fn disk_offerings_are_created_with_defaults_queried_updated_and_deleted() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let d1 = t
        .create(
            &sid,
            "/disk-offerings",
            json!({"name": "d1", "diskSize": 10 * GB}),
        )
        .await;
    assert_eq!(d1["diskSize"], 10 * GB);
    assert_eq!(d1["sortKey"], 0);
    assert_eq!(d1["state"], "Enabled");
    assert_eq!(d1["type"], "zstack");
    assert_eq!(
        d1["allocatorStrategy"],
        "DefaultPrimaryStorageAllocationStrategy"
    );
    assert!(is_zstack_date(d1["createDate"].as_str().unwrap()));
    let d2 = t
        .create(
            &sid,
            "/disk-offerings",
            json!({
                "name": "d2", "description": "fast", "diskSize": 100 * GB, "sortKey": 3,
                "allocationStrategy": "LocalPrimaryStorageStrategy",
            }),
        )
        .await;
    assert_eq!(d2["allocatorStrategy"], "LocalPrimaryStorageStrategy");
    assert_eq!(d2["sortKey"], 3);
    let d2_uuid = d2["uuid"].as_str().unwrap().to_string();

    assert_eq!(
        t.query_names(&sid, "/disk-offerings?q=diskSize>10737418240")
            .await,
        ["d2"]
    );
    assert_eq!(
        t.query_names(
            &sid,
            "/disk-offerings?q=allocatorStrategy=LocalPrimaryStorageStrategy"
        )
        .await,
        ["d2"]
    );
    let rsp = t.get(&format!("/disk-offerings/{d2_uuid}"), &sid).await;
    assert_eq!(rsp.body["inventories"][0]["description"], "fast");
    assert_eq!(
        rsp.body["schema"]["inventories[0]"],
        "org.zstack.header.configuration.DiskOfferingInventory"
    );

    let path = format!("/disk-offerings/{d2_uuid}/actions");
    let done = t
        .action(
            &sid,
            &path,
            "updateDiskOffering",
            json!({"name": "d2-fast", "description": "ssd"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["name"], "d2-fast");
    assert_eq!(done.body["inventory"]["description"], "ssd");
    let done = t
        .action(
            &sid,
            &path,
            "changeDiskOfferingState",
            json!({"stateEvent": "disable"}),
        )
        .await;
    assert_eq!(done.body["inventory"]["state"], "Disabled");

    // Refusals: sizes, strategy, state event.
    for params in [
        json!({"name": "x", "diskSize": 0}),
        json!({"name": "x", "diskSize": GB, "allocationStrategy": "Random"}),
        json!({"name": "x", "diskSize": GB, "resourceUuid": d2_uuid}),
    ] {
        let rsp = t
            .call_async(
                Method::POST,
                "/disk-offerings",
                &sid,
                Some(json!({ "params": params })),
            )
            .await;
        assert_eq!(rsp.code(), "SYS.1007", "{params}: {:?}", rsp.body);
    }
    let bad = t
        .action(
            &sid,
            &path,
            "changeDiskOfferingState",
            json!({"stateEvent": "off"}),
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");

    let done = t
        .call_async(
            Method::DELETE,
            &format!("/disk-offerings/{d2_uuid}"),
            &sid,
            None,
        )
        .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(t.query_names(&sid, "/disk-offerings").await, ["d1"]);
    let bad = t
        .call_async(
            Method::DELETE,
            &format!(
                "/disk-offerings/{}?deleteMode=Later",
                d1["uuid"].as_str().unwrap()
            ),
            &sid,
            None,
        )
        .await;
    assert_eq!(bad.code(), "SYS.1007");
    assert_eq!(t.query_names(&sid, "/disk-offerings").await, ["d1"]);
    t.stop().await;
}
