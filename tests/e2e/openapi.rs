//! The OpenAPI document, generated from the same declarations as the routes.

use reqwest::Method;

use crate::common::TestNode;

#[actix_web::test]
async fn the_document_describes_every_route_from_its_declaration() {
    let t = TestNode::start().await;
    let doc = t.send(Method::GET, "/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, 200);
    let doc = doc.body;
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();

    let create = &paths["/zones"]["post"];
    assert_eq!(create["operationId"], "APICreateZoneMsg");
    let params =
        &create["requestBody"]["content"]["application/json"]["schema"]["properties"]["params"];
    assert_eq!(params["required"], serde_json::json!(["name"]));
    assert_eq!(params["properties"]["name"]["maxLength"], 255);
    assert!(create["responses"].get("202").is_some());
    assert!(create["security"].is_array());

    let actions = &paths["/zones/{uuid}/actions"]["put"];
    let bodies = actions["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        .as_array()
        .unwrap();
    let keys: Vec<&str> = bodies
        .iter()
        .map(|b| b["required"][0].as_str().unwrap())
        .collect();
    assert!(
        keys.contains(&"updateZone") && keys.contains(&"changeZoneState"),
        "{keys:?}"
    );

    let query = &paths["/zones"]["get"];
    let names: Vec<&str> = query["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "q",
        "limit",
        "start",
        "count",
        "replyWithCount",
        "sort",
        "fields",
        "groupBy",
    ] {
        assert!(names.contains(&p), "{p} in {names:?}");
    }
    assert!(paths["/zones/{uuid}"]["get"].is_object());

    let login = &paths["/accounts/login"]["put"];
    assert!(login.get("security").is_none(), "login needs no session");
    assert!(login["responses"].get("200").is_some());
    let delete = &paths["/zones/{uuid}"]["delete"];
    let mode = delete["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "deleteMode")
        .unwrap();
    assert_eq!(mode["in"], "query");
    assert_eq!(
        mode["schema"]["enum"],
        serde_json::json!(["Permissive", "Enforcing"])
    );
    t.stop().await;
}
