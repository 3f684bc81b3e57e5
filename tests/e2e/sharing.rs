//! Ownership of VMs, their volumes and NICs, and sharing: a normal account sees and acts on
//! its own only; it builds VMs from admin's image, offering and L3 network only once they are
//! shared with it (ShareResource), and no longer once the sharing is revoked; what is shared
//! with it it sees but cannot change.

use reqwest::Method;
use serde_json::{Value, json};

use crate::accounts::account;
use crate::common::{Rsp, TestNode};
use crate::vm::{Dc, GB, count, create_vm, datacenter, one, uuid_of, vm_action};
use crate::vm_nic::{attach, detach};

async fn share(t: &TestNode, sid: &str, params: Value) -> Rsp {
    t.action(sid, "/accounts/resources/actions", "shareResource", params)
        .await
}

async fn revoke(t: &TestNode, sid: &str, params: Value) -> Rsp {
    t.action(
        sid,
        "/accounts/resources/actions",
        "revokeResourceSharing",
        params,
    )
    .await
}

/// What a VM is made from.
fn makings(dc: &Dc) -> Vec<String> {
    vec![dc.image.clone(), dc.offering.clone(), dc.l3.clone()]
}

fn uuids(rsp: &Rsp) -> Vec<String> {
    let mut found: Vec<String> = rsp.body["inventories"]
        .as_array()
        .unwrap_or_else(|| panic!("inventories in {:?}", rsp.body))
        .iter()
        .filter_map(|i| i["uuid"].as_str().map(String::from))
        .collect();
    found.sort();
    found
}

async fn seen(t: &TestNode, sid: &str, path: &str) -> Vec<String> {
    let rsp = t.get(path, sid).await;
    assert_eq!(rsp.status, 200, "GET {path}: {:?}", rsp.body);
    uuids(&rsp)
}

fn denied(rsp: &Rsp, naming: &[&str]) {
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "ID.1002", "{:?}", rsp.body);
    for what in naming {
        assert!(rsp.details().contains(what), "{what}: {}", rsp.details());
    }
}

#[actix_web::test]
async fn a_normal_account_neither_sees_nor_touches_admins_vm() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let dc = datacenter(&t, &admin, 8, 8 * GB).await;
    let rsp = create_vm(&t, &admin, &dc, "admins", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    let nic = uuid_of(&one(&t, &admin, "/vm-instances/nics").await);
    let (_, alice) = account(&t, &admin, "alice").await;

    for path in [
        "/vm-instances".to_string(),
        format!("/vm-instances/{vm}"),
        "/vm-instances/nics".into(),
        "/volumes".into(),
        "/images".into(),
        "/l3-networks".into(),
    ] {
        assert_eq!(
            seen(&t, &alice, &path).await,
            Vec::<String>::new(),
            "{path}"
        );
    }
    denied(&vm_action(&t, &alice, &vm, "stopVmInstance").await, &[&vm]);
    denied(&detach(&t, &alice, &nic).await, &[&nic]);
    denied(&attach(&t, &alice, &vm, &dc.l3, json!({})).await, &[&vm]);
    let rsp = t
        .call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &alice, None)
        .await;
    denied(&rsp, &[&vm]);
    // Nothing changed.
    let q = one(&t, &admin, &format!("/vm-instances/{vm}")).await;
    assert_eq!(q["state"], "Running");
    assert_eq!(q["vmNics"].as_array().map(Vec::len), Some(1));
    t.stop().await;
}

#[actix_web::test]
async fn a_vm_from_admins_image_offering_and_network_needs_them_shared() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let dc = datacenter(&t, &admin, 8, 8 * GB).await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;

    // Not shared: refused, naming each of admin's resources.
    let rsp = create_vm(&t, &alice, &dc, "mine", json!({})).await;
    denied(
        &rsp,
        &[&dc.image, &dc.offering, &dc.l3, "ImageVO", "L3NetworkVO"],
    );
    assert_eq!(count(&t, &admin, "/vm-instances").await, 0);

    // Sharing is admin's (or an owner's): alice cannot share admin's image with herself.
    let rsp = share(
        &t,
        &alice,
        json!({ "resourceUuids": [dc.image], "accountUuids": [alice_uuid] }),
    )
    .await;
    denied(&rsp, &[&dc.image]);
    let rsp = share(&t, &admin, json!({ "resourceUuids": makings(&dc) })).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": [], "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);
    let rsp = revoke(&t, &admin, json!({ "resourceUuids": makings(&dc) })).await;
    assert_eq!(rsp.code(), "SYS.1007", "{:?}", rsp.body);

    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": makings(&dc), "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    // Sharing twice is sharing once.
    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": [dc.image], "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let shares = t.get("/accounts/resources", &alice).await;
    assert_eq!(shares.status, 200, "{:?}", shares.body);
    let shares = shares.body["inventories"]
        .as_array()
        .expect("inventories")
        .clone();
    assert_eq!(shares.len(), 3, "{shares:?}");
    assert!(
        shares
            .iter()
            .all(|s| s["receiverAccountUuid"] == alice_uuid.as_str()
                && s["ownerAccountUuid"] == zstack_account::ADMIN_UUID
                && s["toPublic"] == false)
    );
    assert_eq!(
        count(&t, &alice, "/accounts/resources?q=resourceType=ImageVO").await,
        1
    );

    // Shared: alice sees them, but cannot change them.
    assert_eq!(seen(&t, &alice, "/images").await, [dc.image.as_str()]);
    assert_eq!(seen(&t, &alice, "/l3-networks").await, [dc.l3.as_str()]);
    assert_eq!(
        seen(&t, &alice, &format!("/instance-offerings/{}", dc.offering)).await,
        [dc.offering.as_str()]
    );
    let rsp = t
        .action(
            &alice,
            &format!("/images/{}/actions", dc.image),
            "updateImage",
            json!({ "name": "hers" }),
        )
        .await;
    denied(&rsp, &[&dc.image]);
    let rsp = t
        .call_async(
            Method::DELETE,
            &format!("/l3-networks/{}", dc.l3),
            &alice,
            None,
        )
        .await;
    denied(&rsp, &[&dc.l3]);
    assert_eq!(one(&t, &admin, "/images").await["name"], "centos");

    // And she builds a VM from them: it, its root volume and its NIC are hers.
    let rsp = create_vm(&t, &alice, &dc, "mine", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    assert_eq!(seen(&t, &alice, "/vm-instances").await, [vm.as_str()]);
    let volume = one(&t, &alice, "/volumes").await;
    assert_eq!(volume["vmInstanceUuid"], vm.as_str());
    assert_eq!(volume["type"], "Root");
    let nic = one(&t, &alice, "/vm-instances/nics").await;
    assert_eq!(nic["vmInstanceUuid"], vm.as_str());
    let rsp = vm_action(&t, &alice, &vm, "stopVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // Revoked: gone from her view and from her reach; her VM stays hers.
    let rsp = revoke(
        &t,
        &admin,
        json!({ "resourceUuids": makings(&dc), "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(count(&t, &alice, "/accounts/resources").await, 0);
    assert_eq!(seen(&t, &alice, "/images").await, Vec::<String>::new());
    let rsp = create_vm(&t, &alice, &dc, "another", json!({})).await;
    denied(&rsp, &[&dc.image]);
    assert_eq!(seen(&t, &alice, "/vm-instances").await, [vm.as_str()]);
    let rsp = vm_action(&t, &alice, &vm, "startVmInstance").await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    t.stop().await;
}

#[actix_web::test]
async fn a_normal_accounts_vm_volumes_and_nics_are_invisible_to_another() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let dc = datacenter(&t, &admin, 8, 8 * GB).await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;
    let (bob_uuid, bob) = account(&t, &admin, "bob").await;
    // Shared with everyone: both see them and may use them.
    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": makings(&dc), "toPublic": true }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(seen(&t, &bob, "/images").await, [dc.image.as_str()]);

    let rsp = create_vm(&t, &alice, &dc, "alices", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let alices = uuid_of(&rsp.body["inventory"]);
    let rsp = create_vm(&t, &bob, &dc, "bobs", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let bobs = uuid_of(&rsp.body["inventory"]);

    // Alice's VM gets a NIC on a network shared with her only.
    let rsp = attach(&t, &alice, &alices, &dc.l3, json!({})).await;
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert!(
        rsp.details().contains("already attached"),
        "{}",
        rsp.details()
    );
    let l3b = crate::vm_nic::another_l3(&t, &admin, &dc, "l3b", true, (10, 19)).await;
    let rsp = attach(&t, &alice, &alices, &l3b, json!({})).await;
    denied(&rsp, &[&l3b]);
    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": [l3b], "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = attach(&t, &alice, &alices, &l3b, json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    for (sid, vm) in [(&alice, &alices), (&bob, &bobs)] {
        assert_eq!(seen(&t, sid, "/vm-instances").await, [vm.as_str()]);
        let q = one(&t, &admin, &format!("/vm-instances/{vm}")).await;
        let mut nics: Vec<String> = q["vmNics"]
            .as_array()
            .expect("vmNics")
            .iter()
            .map(uuid_of)
            .collect();
        nics.sort();
        assert_eq!(seen(&t, sid, "/vm-instances/nics").await, nics);
        let volumes = vec![q["rootVolumeUuid"].as_str().expect("root").to_string()];
        assert_eq!(seen(&t, sid, "/volumes").await, volumes);
    }
    assert_eq!(count(&t, &alice, "/vm-instances/nics").await, 2);
    assert_eq!(count(&t, &admin, "/vm-instances").await, 2);
    assert_eq!(count(&t, &admin, "/vm-instances/nics").await, 3);

    // Neither touches the other's VM or NICs.
    denied(
        &vm_action(&t, &bob, &alices, "stopVmInstance").await,
        &[&alices],
    );
    let alices_nic = uuid_of(
        &one(
            &t,
            &alice,
            &format!("/vm-instances/nics?q=l3NetworkUuid={l3b}"),
        )
        .await,
    );
    denied(&detach(&t, &bob, &alices_nic).await, &[&alices_nic]);
    let rsp = detach(&t, &alice, &alices_nic).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);

    // An owner shares her own: bob sees alice's VM, but it stays hers to run.
    let rsp = share(
        &t,
        &alice,
        json!({ "resourceUuids": [alices], "accountUuids": [bob_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        seen(&t, &bob, "/vm-instances").await.len(),
        2,
        "bob sees his and alice's"
    );
    denied(
        &vm_action(&t, &bob, &alices, "stopVmInstance").await,
        &[&alices],
    );
    // Bob cannot take back what alice shared, nor share it on.
    let rsp = revoke(&t, &bob, json!({ "resourceUuids": [alices], "all": true })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(seen(&t, &bob, "/vm-instances").await.len(), 2);
    let rsp = share(
        &t,
        &bob,
        json!({ "resourceUuids": [alices], "toPublic": true }),
    )
    .await;
    denied(&rsp, &[&alices]);
    let rsp = revoke(
        &t,
        &alice,
        json!({ "resourceUuids": [alices], "all": true }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(seen(&t, &bob, "/vm-instances").await, [bobs.as_str()]);

    // The public sharing revoked, new VMs cannot be made from admin's resources.
    let rsp = revoke(
        &t,
        &admin,
        json!({ "resourceUuids": makings(&dc), "toPublic": true }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(seen(&t, &bob, "/images").await, Vec::<String>::new());
    denied(
        &create_vm(&t, &bob, &dc, "more", json!({})).await,
        &[&dc.image],
    );
    t.stop().await;
}

/// A uuid given back (its resource expunged or deleted) carries nothing of its old owner or
/// sharing to the resource that takes it next.
#[actix_web::test]
async fn a_uuid_given_back_carries_no_owner_or_sharing_to_its_next_resource() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let dc = datacenter(&t, &admin, 8, 8 * GB).await;
    let (alice_uuid, alice) = account(&t, &admin, "alice").await;
    let rsp = share(
        &t,
        &admin,
        json!({ "resourceUuids": makings(&dc), "accountUuids": [alice_uuid] }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let rsp = create_vm(&t, &alice, &dc, "alices", json!({})).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    let vm = uuid_of(&rsp.body["inventory"]);
    let (_, bob) = account(&t, &admin, "bob").await;
    let bob_uuid = seen(&t, &bob, "/accounts").await;
    let rsp = share(
        &t,
        &alice,
        json!({ "resourceUuids": [vm], "accountUuids": bob_uuid }),
    )
    .await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(seen(&t, &bob, "/vm-instances").await, [vm.as_str()]);
    for action in ["destroy", "expungeVmInstance"] {
        let rsp = if action == "destroy" {
            t.call_async(Method::DELETE, &format!("/vm-instances/{vm}"), &alice, None)
                .await
        } else {
            vm_action(&t, &alice, &vm, action).await
        };
        assert_eq!(rsp.status, 200, "{action}: {:?}", rsp.body);
    }
    // Admin's next VM takes the uuid: it is admin's, neither alice's nor shared with bob.
    let rsp = create_vm(&t, &admin, &dc, "admins", json!({ "resourceUuid": vm })).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    assert_eq!(
        seen(&t, &alice, "/vm-instances").await,
        Vec::<String>::new()
    );
    assert_eq!(seen(&t, &bob, "/vm-instances").await, Vec::<String>::new());
    denied(&vm_action(&t, &alice, &vm, "stopVmInstance").await, &[&vm]);
    t.stop().await;
}
