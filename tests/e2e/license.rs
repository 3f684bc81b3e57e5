//! Licenses: a node without one runs as Free (no limits); an installed license is a signed
//! document that the node verifies, stores for every node, shows without a session, and enforces
//! on creates (expiry) and on new hosts (hostNum, cpuNum over all hosts).

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use zstack::license::{IssueArgs, IssuedType, issue, keygen};

use crate::common::{Rsp, TestDb, TestNode, test_settings};

const GB: i64 = 1 << 30;

/// A fresh issuer key pair in a temp directory: (directory, private key, public key).
fn issuer() -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("zstack-license-{}", uuid::Uuid::new_v4()));
    let (private, public) = keygen(&dir).unwrap();
    (dir, private, public)
}

fn license(private: &Path, kind: IssuedType, hosts: u32, cpus: u32, days: u32) -> String {
    issue(&IssueArgs {
        private_key: private.to_path_buf(),
        user: "ops@example.com".into(),
        license_type: kind,
        host_num: hosts,
        cpu_num: cpus,
        days,
        capabilities: vec!["vmware".into(), "qos".into()],
    })
    .unwrap()
}

/// A node that trusts the issuer whose public key is at `public`.
async fn node_trusting(public: &Path) -> TestNode {
    let public = public.display().to_string();
    TestNode::start_with(|s| s.license_public_key = Some(public)).await
}

/// UpdateLicense on this node, waited for.
async fn update_license(t: &TestNode, sid: &str, text: &str) -> Rsp {
    let path = format!("/licenses/mn/{}/actions", t.node_uuid());
    t.action(sid, &path, "updateLicense", json!({"license": text}))
        .await
}

async fn license_info(t: &TestNode) -> Value {
    let rsp = t.send(Method::GET, "/licenses", None, None, &[]).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"].clone()
}

/// A zone and a simulator cluster to add hosts to; the cluster's uuid.
async fn cluster(t: &TestNode, sid: &str) -> String {
    let zone = t.create_zone(sid, json!({"name": "z"})).await;
    let cluster = t
        .create(
            sid,
            "/clusters",
            json!({"name": "c", "zoneUuid": zone["uuid"], "hypervisorType": "Simulator"}),
        )
        .await;
    cluster["uuid"].as_str().unwrap().to_string()
}

async fn add_host(t: &TestNode, sid: &str, cluster: &str, ip: &str, cpus: i64) -> Rsp {
    t.call_async(
        Method::POST,
        "/hosts/simulators",
        sid,
        Some(json!({"params": {
            "name": ip, "clusterUuid": cluster, "managementIp": ip,
            "cpuCapacity": cpus, "memoryCapacity": 8 * GB,
        }})),
    )
    .await
}

/// `2017-01-19 14:31:06`, as the seed writes license dates.
fn is_seed_date(text: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok()
}

#[actix_web::test]
async fn without_a_license_the_node_is_free_and_says_so_without_a_session() {
    let t = TestNode::start().await;
    let info = license_info(&t).await;
    assert_eq!(info["licenseType"], "Free");
    assert_eq!(info["expired"], false);
    assert!(
        info["licenseRequest"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    for unlimited in ["hostNum", "cpuNum", "availableHostNum", "availableCpuNum"] {
        assert!(info.get(unlimited).is_none(), "{info}");
    }
    // The other license APIs need a session.
    let caps = t
        .send(Method::GET, "/licenses/capabilities", None, None, &[])
        .await;
    assert_eq!(caps.status, 400, "{:?}", caps.body);
    let sid = t.login().await;
    let caps = t.get("/licenses/capabilities", &sid).await;
    assert_eq!(caps.status, 200);
    assert_eq!(caps.body, json!({"capabilities": {}, "success": true}));
    // Free has no host limit.
    let cluster = cluster(&t, &sid).await;
    for (i, ip) in ["10.0.0.1", "10.0.0.2", "10.0.0.3"].into_iter().enumerate() {
        let done = add_host(&t, &sid, &cluster, ip, 64).await;
        assert_eq!(done.status, 200, "host {i}: {:?}", done.body);
    }
    t.stop().await;
}

#[actix_web::test]
async fn an_issued_license_is_installed_stored_and_shown_to_every_node() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let text = license(&private, IssuedType::Trial, 3, 48, 30);

    let done = update_license(&t, &sid, &text).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let inv = &done.body["inventory"];
    assert_eq!(inv["licenseType"], "Trial");
    assert_eq!(inv["hostNum"], 3);

    let info = license_info(&t).await;
    assert_eq!(info["licenseType"], "Trial");
    assert_eq!(info["user"], "ops@example.com");
    assert_eq!(info["hostNum"], 3);
    assert_eq!(info["cpuNum"], 48);
    assert_eq!(info["availableHostNum"], 3);
    assert_eq!(info["availableCpuNum"], 48);
    assert_eq!(info["expired"], false);
    let (issued, expires) = (
        info["issuedDate"].as_str().unwrap(),
        info["expiredDate"].as_str().unwrap(),
    );
    assert!(is_seed_date(issued) && is_seed_date(expires), "{info}");
    assert!(issued < expires, "{info}");

    // availableHostNum and availableCpuNum follow the hosts.
    let cluster = cluster(&t, &sid).await;
    assert_eq!(
        add_host(&t, &sid, &cluster, "10.0.1.1", 16).await.status,
        200
    );
    let info = license_info(&t).await;
    assert_eq!(info["availableHostNum"], 2);
    assert_eq!(info["availableCpuNum"], 32);

    let caps = t.get("/licenses/capabilities", &sid).await;
    assert_eq!(
        caps.body,
        json!({"capabilities": {"qos": "true", "vmware": "true"}, "success": true})
    );

    // Stored in the database: another node on it runs under the same license.
    let public_path = public.display().to_string();
    let mut settings = test_settings(&t.db.url);
    settings.license_public_key = Some(public_path);
    let other = zstack::start(&settings).await.unwrap();
    let rsp = t
        .client
        .get(format!(
            "http://127.0.0.1:{}/zstack/v1/licenses",
            other.port
        ))
        .send()
        .await
        .unwrap();
    let body: Value = rsp.json().await.unwrap();
    assert_eq!(body["inventory"]["licenseType"], "Trial");
    assert_eq!(body["inventory"]["availableHostNum"], 2);
    other.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn tampered_garbage_and_foreign_licenses_are_refused_and_the_old_one_stays() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let genuine = license(&private, IssuedType::Paid, 1, 8, 30);
    assert_eq!(update_license(&t, &sid, &genuine).await.status, 200);

    // The same signature over a payload granting more.
    let (payload, signature) = genuine.split_once('.').unwrap();
    let json = String::from_utf8(STANDARD.decode(payload).unwrap()).unwrap();
    assert!(json.contains("\"hostNum\":1"), "{json}");
    let tampered = format!(
        "{}.{signature}",
        STANDARD.encode(json.replace("\"hostNum\":1", "\"hostNum\":100"))
    );
    // Signed by an issuer this node does not trust.
    let (_other_dir, other_private, _) = issuer();
    let foreign = license(&other_private, IssuedType::Paid, 100, 800, 30);

    for (what, text, why) in [
        ("tampered", tampered.as_str(), "signature does not match"),
        ("foreign", foreign.as_str(), "signature does not match"),
        ("garbage", "this is license string", "not a license"),
        ("empty", "", "not a license"),
    ] {
        let refused = update_license(&t, &sid, text).await;
        assert_eq!(refused.status, 503, "{what}: {:?}", refused.body);
        assert_eq!(refused.code(), "SYS.1007", "{what}: {:?}", refused.body);
        assert!(
            refused.details().contains(why),
            "{what}: {}",
            refused.details()
        );
        assert!(refused.details().contains("license"), "{what}");
    }
    let info = license_info(&t).await;
    assert_eq!(info["licenseType"], "Paid");
    assert_eq!(info["hostNum"], 1);
    assert_eq!(info["cpuNum"], 8);

    // The limits are the genuine license's.
    let cluster = cluster(&t, &sid).await;
    assert_eq!(
        add_host(&t, &sid, &cluster, "10.0.2.1", 4).await.status,
        200
    );
    assert_eq!(
        add_host(&t, &sid, &cluster, "10.0.2.2", 4).await.status,
        503
    );
    t.stop().await;
}

#[actix_web::test]
async fn a_host_beyond_host_num_is_refused_naming_the_license() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let cluster = cluster(&t, &sid).await;
    let text = license(&private, IssuedType::Trial, 1, 1000, 30);
    assert_eq!(update_license(&t, &sid, &text).await.status, 200);

    let first = add_host(&t, &sid, &cluster, "10.0.3.1", 8).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let second = add_host(&t, &sid, &cluster, "10.0.3.2", 8).await;
    assert_eq!(second.status, 503, "{:?}", second.body);
    assert_eq!(second.code(), "SYS.1006");
    let details = second.details();
    assert!(
        details.contains("Trial license of user[ops@example.com]") && details.contains("hostNum"),
        "{details}"
    );
    // A KVM host is counted the same (and refused for the license, before anything else).
    let kvm = t
        .call_async(
            Method::POST,
            "/hosts/kvm",
            &sid,
            Some(json!({"params": {
                "name": "kvm", "clusterUuid": cluster, "managementIp": "10.0.3.3",
                "username": "root", "password": "password",
            }})),
        )
        .await;
    assert_eq!(kvm.status, 503);
    assert!(kvm.details().contains("hostNum"), "{}", kvm.details());

    assert_eq!(t.query_names(&sid, "/hosts").await, ["10.0.3.1"]);
    assert_eq!(license_info(&t).await["availableHostNum"], 0);
    t.stop().await;
}

#[actix_web::test]
async fn cpus_beyond_cpu_num_over_all_hosts_are_refused() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let cluster = cluster(&t, &sid).await;
    let text = license(&private, IssuedType::Paid, 10, 8, 30);
    assert_eq!(update_license(&t, &sid, &text).await.status, 200);

    assert_eq!(
        add_host(&t, &sid, &cluster, "10.0.4.1", 6).await.status,
        200
    );
    // 6 + 4 > 8: refused, with the counts.
    let over = add_host(&t, &sid, &cluster, "10.0.4.2", 4).await;
    assert_eq!(over.status, 503, "{:?}", over.body);
    let details = over.details();
    assert!(
        details.contains("Paid license of user[ops@example.com]")
            && details.contains("cpuNum")
            && details.contains("10 in all"),
        "{details}"
    );
    // 6 + 2 = 8: exactly the license's.
    assert_eq!(
        add_host(&t, &sid, &cluster, "10.0.4.3", 2).await.status,
        200
    );
    assert_eq!(
        t.query_names(&sid, "/hosts").await,
        ["10.0.4.1", "10.0.4.3"]
    );
    let info = license_info(&t).await;
    assert_eq!(info["availableCpuNum"], 0);
    assert_eq!(info["availableHostNum"], 8);
    t.stop().await;
}

#[actix_web::test]
async fn an_expired_license_refuses_creates_but_not_queries_logins_or_deletes() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let zone = t.create_zone(&sid, json!({"name": "before"})).await;
    let expired = license(&private, IssuedType::Trial, 10, 100, 0);
    let done = update_license(&t, &sid, &expired).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["inventory"]["expired"], true);
    assert_eq!(license_info(&t).await["expired"], true);

    let create = t
        .call_async(
            Method::POST,
            "/zones",
            &sid,
            Some(json!({"params": {"name": "after"}})),
        )
        .await;
    assert_eq!(create.status, 503, "{:?}", create.body);
    assert!(
        create
            .details()
            .contains("Trial license of user[ops@example.com] expired"),
        "{}",
        create.details()
    );
    // Reads, logins, updates and deletes go on.
    assert_eq!(t.query_names(&sid, "/zones").await, ["before"]);
    let again = t.login().await;
    let uuid = zone["uuid"].as_str().unwrap();
    let renamed = t
        .action(
            &again,
            &format!("/zones/{uuid}/actions"),
            "updateZone",
            json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{:?}", renamed.body);
    let deleted = t
        .call_async(Method::DELETE, &format!("/zones/{uuid}"), &again, None)
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert!(t.query_names(&again, "/zones").await.is_empty());
    // Its capabilities are off.
    let caps = t.get("/licenses/capabilities", &again).await;
    assert_eq!(caps.body["capabilities"]["vmware"], "false");

    // A valid license lifts the refusal.
    let valid = license(&private, IssuedType::Paid, 10, 100, 30);
    assert_eq!(update_license(&t, &again, &valid).await.status, 200);
    t.create_zone(&again, json!({"name": "after"})).await;
    t.stop().await;
}

#[actix_web::test]
async fn reload_license_rereads_the_database_on_the_nodes_named() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let sid = t.login().await;
    let first = license(&private, IssuedType::Trial, 1, 8, 30);
    assert_eq!(update_license(&t, &sid, &first).await.status, 200);

    // Another license lands in the database behind this node's back (a restore, another
    // issuer tool): the node keeps the one it read until told to reload.
    let second = license(&private, IssuedType::Paid, 5, 40, 30);
    let db = Database::connect(t.db.url.as_str()).await.unwrap();
    db.execute_unprepared(&format!("UPDATE license SET license = '{second}'"))
        .await
        .unwrap();
    assert_eq!(license_info(&t).await["hostNum"], 1);

    let me = t.node_uuid();
    let reload = |nodes: Value| {
        t.send(
            Method::PUT,
            "/licenses/actions",
            Some(sid.as_str()),
            Some(json!({"reloadLicense": {"managementNodeUuids": nodes}})),
            &[],
        )
    };
    // A node that is not a live management node: nothing reloads.
    let unknown = reload(json!(["0123456789abcdef0123456789abcdef"])).await;
    assert_eq!(unknown.status, 503, "{:?}", unknown.body);
    assert_eq!(unknown.code(), "SYS.1003");
    assert_eq!(license_info(&t).await["hostNum"], 1);

    let reloaded = reload(json!([me])).await;
    assert_eq!(reloaded.status, 200, "{:?}", reloaded.body);
    assert_eq!(reloaded.body["inventory"]["licenseType"], "Paid");
    assert_eq!(reloaded.body["inventory"]["hostNum"], 5);
    let info = license_info(&t).await;
    assert_eq!(
        (info["hostNum"].clone(), info["cpuNum"].clone()),
        (json!(5), json!(40))
    );

    // Another node's ReloadLicense reaches this one as an event: it reloads only when named.
    let third = license(&private, IssuedType::Paid, 7, 70, 30);
    db.execute_unprepared(&format!("UPDATE license SET license = '{third}'"))
        .await
        .unwrap();
    let from_elsewhere = |nodes: Vec<String>| json!({"from": "fedcba9876543210fedcba9876543210", "managementNodeUuids": nodes});
    t.bus().dispatch_remote_event(
        "LicenseReloadEvent",
        from_elsewhere(vec!["0123456789abcdef0123456789abcdef".into()]),
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(license_info(&t).await["hostNum"], 5);
    t.bus()
        .dispatch_remote_event("LicenseReloadEvent", from_elsewhere(vec![me.clone()]));
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = license_info(&t).await["hostNum"].clone();
        if seen == 7 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, 7);

    // A row that does not verify grants nothing: the node runs as Free after reloading it.
    db.execute_unprepared("UPDATE license SET license = 'forged'")
        .await
        .unwrap();
    let all = t
        .send(
            Method::PUT,
            "/licenses/actions",
            Some(&sid),
            Some(json!({"reloadLicense": {}})),
            &[],
        )
        .await;
    assert_eq!(all.status, 200, "{:?}", all.body);
    assert_eq!(license_info(&t).await["licenseType"], "Free");
    t.stop().await;
}

#[actix_web::test]
async fn only_admin_installs_or_reloads_a_license() {
    let (_dir, private, public) = issuer();
    let t = node_trusting(&public).await;
    let admin = t.login().await;
    let (_, alice) = crate::accounts::account(&t, &admin, "alice").await;
    let text = license(&private, IssuedType::Paid, 5, 40, 30);
    let refused = update_license(&t, &alice, &text).await;
    assert_eq!(refused.code(), "ID.1002", "{:?}", refused.body);
    let reload = t
        .send(
            Method::PUT,
            "/licenses/actions",
            Some(&alice),
            Some(json!({"reloadLicense": {}})),
            &[],
        )
        .await;
    assert_eq!(reload.code(), "ID.1002", "{:?}", reload.body);
    assert_eq!(license_info(&t).await["licenseType"], "Free");
    t.stop().await;
}

#[actix_web::test]
async fn the_binary_makes_keys_and_issues_licenses_that_a_node_accepts() {
    let dir = std::env::temp_dir().join(format!("zstack-license-{}", uuid::Uuid::new_v4()));
    let zstack = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zstack"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = dir.display().to_string();
    let made = zstack(&["license", "keygen", "--out", &out]);
    assert!(made.status.success(), "{made:?}");
    // Never overwritten.
    assert!(
        !zstack(&["license", "keygen", "--out", &out])
            .status
            .success()
    );
    let private = dir.join("license.key").display().to_string();
    let issued = zstack(&[
        "license",
        "issue",
        "--private-key",
        &private,
        "--user",
        "cli@example.com",
        "--type",
        "Paid",
        "--host-num",
        "2",
        "--cpu-num",
        "16",
        "--days",
        "10",
        "--capabilities",
        "vmware",
    ]);
    assert!(issued.status.success(), "{issued:?}");
    let text = String::from_utf8(issued.stdout).unwrap();

    let t = node_trusting(&dir.join("license.pub")).await;
    let sid = t.login().await;
    let done = update_license(&t, &sid, text.trim()).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let info = license_info(&t).await;
    assert_eq!(info["user"], "cli@example.com");
    assert_eq!(info["cpuNum"], 16);
    t.stop().await;

    // The built-in key did not sign it: a node without --license-public-key refuses it.
    let plain = TestNode::start().await;
    let sid = plain.login().await;
    let refused = update_license(&plain, &sid, text.trim()).await;
    assert_eq!(refused.code(), "SYS.1007");
    plain.stop().await;
}

#[actix_web::test]
async fn a_node_given_an_unreadable_public_key_does_not_start() {
    let db = TestDb::new().await;
    let mut settings = test_settings(&db.url);
    settings.license_public_key = Some("/nonexistent/license.pub".into());
    let err = zstack::start(&settings).await.err().unwrap();
    assert!(
        err.to_string().contains("/nonexistent/license.pub"),
        "{err}"
    );
    let bad = std::env::temp_dir().join(format!("zstack-bad-{}.pub", uuid::Uuid::new_v4()));
    std::fs::write(&bad, "not a key").unwrap();
    settings.license_public_key = Some(bad.display().to_string());
    let err = zstack::start(&settings).await.err().unwrap();
    assert!(err.to_string().contains("license public key"), "{err}");
    db.drop_database().await;
}
