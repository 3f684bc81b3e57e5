//! The query API on zones: every operator, paging, counting, sorting, fields, groupBy, errors.

use serde_json::{Value, json};

use crate::common::TestNode;

fn names(body: &Value) -> Vec<String> {
    let mut names: Vec<String> = body["inventories"]
        .as_array()
        .unwrap_or_else(|| panic!("inventories in {body}"))
        .iter()
        .map(|z| z["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

async fn seeded() -> (TestNode, String) {
    let t = TestNode::start().await;
    let sid = t.login().await;
    for (name, description) in [
        ("IntelCoreI7", Some("fast")),
        ("IntelCoreM7", Some("slow")),
        ("IntelCoreXX7", None),
        ("amd-1", Some("fast")),
        ("amd-2", None),
    ] {
        let mut params = json!({ "name": name });
        if let Some(d) = description {
            params["description"] = json!(d);
        }
        t.create_zone(&sid, params).await;
    }
    (t, sid)
}

#[actix_web::test]
async fn every_operator_filters_as_the_seed_describes() {
    let (t, sid) = seeded().await;
    let q = |query: &'static str| {
        let t = &t;
        let sid = sid.clone();
        async move {
            let r = t.get(&format!("/zones?{query}"), &sid).await;
            assert_eq!(r.status, 200, "{query}: {:?}", r.body);
            names(&r.body)
        }
    };
    assert_eq!(q("q=name=amd-1").await, ["amd-1"]);
    assert_eq!(q("q=name!=amd-1&q=name~=amd%25").await, ["amd-2"]);
    assert_eq!(q("q=name?=amd-1,amd-2,nope").await, ["amd-1", "amd-2"]);
    assert_eq!(
        q("q=name!?=amd-1,amd-2").await,
        ["IntelCoreI7", "IntelCoreM7", "IntelCoreXX7"]
    );
    assert_eq!(
        q("q=name~=IntelCore%25").await,
        ["IntelCoreI7", "IntelCoreM7", "IntelCoreXX7"]
    );
    assert_eq!(
        q("q=name~=IntelCore_7").await,
        ["IntelCoreI7", "IntelCoreM7"]
    );
    assert_eq!(
        q("q=name!~=IntelCore_7").await,
        ["IntelCoreXX7", "amd-1", "amd-2"]
    );
    assert_eq!(q("q=description is null").await, ["IntelCoreXX7", "amd-2"]);
    assert_eq!(
        q("q=description not null&q=description=fast").await,
        ["IntelCoreI7", "amd-1"]
    );
    // Comparisons stay within one prefix: collations order case differently per database.
    assert_eq!(q("q=name>amd-1&q=name~=amd%25").await, ["amd-2"]);
    assert_eq!(q("q=name>=amd-1&q=name~=amd%25").await, ["amd-1", "amd-2"]);
    assert_eq!(
        q("q=name<IntelCoreM7&q=name~=Intel%25").await,
        ["IntelCoreI7"]
    );
    assert_eq!(
        q("q=name<=IntelCoreM7&q=name~=Intel%25").await,
        ["IntelCoreI7", "IntelCoreM7"]
    );
    assert_eq!(q("q=isDefault=false&q=state=Enabled").await.len(), 5);
    assert_eq!(q("q=createDate>2000-01-01 00:00:00").await.len(), 5);
    assert_eq!(q("q=createDate<2000-01-01 00:00:00").await.len(), 0);
    // The seed's own spelling of the parameter.
    assert_eq!(q("condition=name=amd-2").await, ["amd-2"]);
    t.stop().await;
}

#[actix_web::test]
async fn paging_counting_sorting_fields_and_group_by() {
    let (t, sid) = seeded().await;
    let r = t
        .get(
            "/zones?q=name~=Intel%25&sort=-name&limit=2&start=1&replyWithCount=true",
            &sid,
        )
        .await;
    let page: Vec<&str> = r.body["inventories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["name"].as_str().unwrap())
        .collect();
    assert_eq!(page, ["IntelCoreM7", "IntelCoreI7"]);
    assert_eq!(r.body["total"], 3);

    let r = t
        .get(
            "/zones?q=name~=amd%25&sortBy=name&sortDirection=desc&limit=1",
            &sid,
        )
        .await;
    assert_eq!(r.body["inventories"][0]["name"], "amd-2");
    let r = t
        .get("/zones?q=name~=amd%25&sort=%2Bname&limit=1", &sid)
        .await;
    assert_eq!(r.body["inventories"][0]["name"], "amd-1");

    let r = t.get("/zones?count=true&q=name~=amd%25", &sid).await;
    assert_eq!(r.body, json!({"total": 2}));

    let r = t.get("/zones?fields=uuid,name&q=name=amd-1", &sid).await;
    let inv = r.body["inventories"][0].as_object().unwrap();
    let mut keys: Vec<&String> = inv.keys().collect();
    keys.sort();
    assert_eq!(keys, ["name", "uuid"]);

    let r = t
        .get("/zones?groupBy=description&fields=description", &sid)
        .await;
    assert_eq!(
        r.body["inventories"].as_array().unwrap().len(),
        3,
        "{:?}",
        r.body
    );
    let r = t.get("/zones?groupBy=description&count=true", &sid).await;
    assert_eq!(r.body["total"], 3);
    t.stop().await;
}

#[actix_web::test]
async fn malformed_queries_are_refused_with_a_clear_message() {
    let (t, sid) = seeded().await;
    let r = t.get("/zones?q=justaname", &sid).await;
    assert_eq!(r.status, 400);
    assert!(r.details().contains("query operator"));

    let r = t.get("/zones?q=colour=red", &sid).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.code(), "SYS.1007");
    let details = r.details();
    assert!(
        details.contains("colour") && details.contains("isDefault"),
        "{details}"
    );

    let r = t.get("/zones?fields=colour", &sid).await;
    assert_eq!(r.status, 503);
    let r = t.get("/zones?q=rack.name=r1", &sid).await;
    assert_eq!(r.status, 503);
    assert!(r.details().contains("rack") && r.details().contains("cluster"));
    let r = t.get("/zones?limit=ten", &sid).await;
    assert_eq!(r.status, 400);
    let r = t.get("/zones?q=isDefault=maybe", &sid).await;
    assert_eq!(r.status, 503);
    // Values are bound as parameters, never spliced into SQL.
    let r = t.get("/zones?q=name=x'%20OR%20'1'='1", &sid).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["inventories"], json!([]));
    t.stop().await;
}
