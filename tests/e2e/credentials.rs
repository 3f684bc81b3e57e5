//! Credentials: passwords are stored as a salted slow hash and sessions as a hash of their token,
//! so a copy of the database lets no one in; repeated failed logins from one address are refused
//! for a while.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, Value as DbValue};
use serde_json::json;

use crate::common::{ADMIN_PASSWORD_SHA512, Rsp, TestNode};

/// sha512("secret"), as clients send passwords.
const SECRET_SHA512: &str = "bd2b1aaf7ef4f09be9f52ce2d8d599674d81aa9d6a4421696dc4d93dd0619d682ce56b4d64a9ef097761ced99e0f67265b5f76085e5b0ee7ca4696b2ad6fe2b2";

fn db(t: &TestNode) -> &DatabaseConnection {
    &t.node.as_ref().expect("running").node.db
}

/// `sql` with `?` placeholders, written as the backend wants them.
fn statement_for(backend: sea_orm::DatabaseBackend, sql: &str, values: Vec<DbValue>) -> Statement {
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            let mut n = 0;
            sql.chars()
                .map(|c| {
                    if c == '?' {
                        n += 1;
                        format!("${n}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        }
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn statement(t: &TestNode, sql: &str, values: Vec<DbValue>) -> Statement {
    statement_for(db(t).get_database_backend(), sql, values)
}

async fn stored_password(t: &TestNode, name: &str) -> String {
    db(t)
        .query_one_raw(statement(
            t,
            "SELECT password FROM account WHERE name = ?",
            vec![name.into()],
        ))
        .await
        .expect("the account table")
        .expect("the account")
        .try_get::<String>("", "password")
        .expect("a password")
}

async fn set_stored_password(t: &TestNode, name: &str, password: &str) {
    db(t)
        .execute_raw(statement(
            t,
            "UPDATE account SET password = ? WHERE name = ?",
            vec![password.into(), name.into()],
        ))
        .await
        .expect("the password is written");
}

/// Every key of the session table.
async fn session_keys(t: &TestNode) -> Vec<String> {
    db(t)
        .query_all_raw(statement(t, "SELECT token_hash FROM session", vec![]))
        .await
        .expect("the session table")
        .iter()
        .map(|r| r.try_get::<String>("", "token_hash").expect("a key"))
        .collect()
}

async fn login_with(t: &TestNode, client: &reqwest::Client, name: &str, password: &str) -> Rsp {
    let rsp = client
        .put(t.url("/accounts/login"))
        .header("Content-Type", "application/json")
        .body(json!({"logInByAccount": {"accountName": name, "password": password}}).to_string())
        .send()
        .await
        .expect("the node answers");
    Rsp {
        status: rsp.status(),
        headers: rsp.headers().clone(),
        body: rsp.json().await.expect("a JSON body"),
    }
}

async fn login(t: &TestNode, name: &str, password: &str) -> Rsp {
    login_with(t, &t.client, name, password).await
}

fn token(rsp: &Rsp) -> String {
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventory"]["uuid"]
        .as_str()
        .expect("a session uuid")
        .to_string()
}

fn is_slow_hash(stored: &str) -> bool {
    stored.starts_with("$argon2id$v=19$m=12288,t=3,p=1$")
}

#[actix_web::test]
async fn passwords_are_stored_as_salted_slow_hashes() {
    let t = TestNode::start().await;
    // Admin's initial password is hashed from the start, before anyone logs in.
    let admin_row = stored_password(&t, "admin").await;
    assert!(is_slow_hash(&admin_row), "{admin_row}");
    let admin = t.login().await;

    for name in ["alice", "bob"] {
        t.create(
            &admin,
            "/accounts",
            json!({"name": name, "password": SECRET_SHA512}),
        )
        .await;
        token(&login(&t, name, SECRET_SHA512).await);
    }
    let alice = stored_password(&t, "alice").await;
    let bob = stored_password(&t, "bob").await;
    assert!(is_slow_hash(&alice), "{alice}");
    assert!(!alice.to_ascii_lowercase().contains(SECRET_SHA512));
    // Salted: the same password is stored differently.
    assert_ne!(alice, bob);
    // What is stored is no password.
    let replayed = login(&t, "alice", &alice).await;
    assert_eq!(replayed.status, 503);
    assert_eq!(replayed.code(), "ID.1000");
    // Hex case does not matter, as before.
    token(&login(&t, "alice", &SECRET_SHA512.to_ascii_uppercase()).await);
    t.stop().await;
}

#[actix_web::test]
async fn legacy_plain_sha512_rows_log_in_and_are_upgraded() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    t.create(
        &admin,
        "/accounts",
        json!({"name": "carol", "password": SECRET_SHA512}),
    )
    .await;
    // Rows written before passwords were hashed hold the client's sha512 hex.
    set_stored_password(&t, "carol", SECRET_SHA512).await;
    set_stored_password(&t, "admin", &ADMIN_PASSWORD_SHA512.to_ascii_uppercase()).await;

    let wrong = login(&t, "carol", &SECRET_SHA512.replace('b', "c")).await;
    assert_eq!(wrong.code(), "ID.1000");
    assert_eq!(stored_password(&t, "carol").await, SECRET_SHA512);

    token(&login(&t, "carol", SECRET_SHA512).await);
    let upgraded = stored_password(&t, "carol").await;
    assert!(is_slow_hash(&upgraded), "{upgraded}");
    token(&login(&t, "carol", SECRET_SHA512).await);
    assert_eq!(stored_password(&t, "carol").await, upgraded);

    t.login().await;
    let admin_row = stored_password(&t, "admin").await;
    assert!(is_slow_hash(&admin_row), "{admin_row}");
    t.login().await;
    t.stop().await;
}

#[actix_web::test]
async fn sessions_are_stored_without_their_tokens() {
    let t = TestNode::start().await;
    let admin = t.login().await;
    let other = t.login().await;
    let keys = session_keys(&t).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    for key in &keys {
        assert_eq!(key.len(), 64, "{key}");
        assert_ne!(key, &admin);
        assert_ne!(key, &other);
        assert!(!key.contains(&admin) && !key.contains(&other));
    }

    // The token still works everywhere a session is named.
    assert_eq!(t.get("/zones", &admin).await.status, 200);
    let valid = t
        .get(&format!("/accounts/sessions/{admin}/valid"), &other)
        .await;
    assert_eq!(valid.body["valid"], true, "{:?}", valid.body);
    let logout = t
        .send(
            Method::DELETE,
            &format!("/accounts/sessions/{admin}"),
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(logout.status, 200, "{:?}", logout.body);
    assert_eq!(session_keys(&t).await.len(), 1);
    let valid = t
        .get(&format!("/accounts/sessions/{admin}/valid"), &other)
        .await;
    assert_eq!(valid.body["valid"], false);
    let after = t.get("/zones", &admin).await;
    assert_eq!(after.status, 503);
    assert_eq!(after.code(), "ID.1001");

    // Deleting an account ends its sessions.
    let dave = t
        .create(
            &other,
            "/accounts",
            json!({"name": "dave", "password": SECRET_SHA512}),
        )
        .await;
    let dave_session = token(&login(&t, "dave", SECRET_SHA512).await);
    assert_eq!(t.get("/zones", &dave_session).await.status, 200);
    assert_eq!(session_keys(&t).await.len(), 2);
    let uuid = dave["uuid"].as_str().expect("a uuid");
    let deleted = t
        .call_async(Method::DELETE, &format!("/accounts/{uuid}"), &other, None)
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    assert_eq!(t.get("/zones", &dave_session).await.code(), "ID.1001");
    assert_eq!(session_keys(&t).await.len(), 1);
    t.stop().await;
}

fn client_from(address: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(address))
        .build()
        .expect("a client")
}

fn assert_throttled(rsp: &Rsp, name: &str, from: &str) {
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "ID.1000", "{:?}", rsp.body);
    let expected =
        format!("too many failed logins for account[{name}] from [{from}]; retry after ");
    assert!(rsp.details().starts_with(&expected), "{:?}", rsp.body);
}

fn assert_wrong(rsp: &Rsp) {
    assert_eq!(rsp.status, 503, "{:?}", rsp.body);
    assert_eq!(rsp.code(), "ID.1000", "{:?}", rsp.body);
    assert_eq!(rsp.details(), "wrong account name or password");
}

#[actix_web::test]
async fn repeated_failed_logins_are_refused_from_that_address_until_the_window_ends() {
    let t = TestNode::start_with(|s| s.login_failure_window = 2).await;
    let first = client_from(Ipv4Addr::new(127, 0, 0, 1));
    let second = client_from(Ipv4Addr::new(127, 0, 0, 2));
    let wrong = SECRET_SHA512;

    // The window starts with the first failure: after `started`, before `first_answered`.
    let started = Instant::now();
    assert_wrong(&login_with(&t, &first, "admin", wrong).await);
    let first_answered = Instant::now();
    for _ in 0..4 {
        assert_wrong(&login_with(&t, &first, "admin", wrong).await);
    }
    // Refused even with the right password, saying when to retry.
    let refused = login_with(&t, &first, "admin", ADMIN_PASSWORD_SHA512).await;
    assert_throttled(&refused, "admin", "127.0.0.1");
    assert!(
        refused.details().ends_with("(in 2 s)") || refused.details().ends_with("(in 1 s)"),
        "{:?}",
        refused.body
    );
    // Another address is not affected, and its success clears nothing for the first.
    token(&login_with(&t, &second, "admin", ADMIN_PASSWORD_SHA512).await);
    assert_throttled(
        &login_with(&t, &first, "admin", ADMIN_PASSWORD_SHA512).await,
        "admin",
        "127.0.0.1",
    );

    // Refusals until just before the window ends do not extend it.
    for at in [1_200, 1_700] {
        tokio::time::sleep_until((started + Duration::from_millis(at)).into()).await;
        assert_throttled(
            &login_with(&t, &first, "admin", ADMIN_PASSWORD_SHA512).await,
            "admin",
            "127.0.0.1",
        );
    }
    tokio::time::sleep_until((first_answered + Duration::from_millis(2_100)).into()).await;
    token(&login_with(&t, &first, "admin", ADMIN_PASSWORD_SHA512).await);

    // A success clears the count: five more failures are needed to be refused again.
    for _ in 0..4 {
        assert_wrong(&login_with(&t, &first, "admin", wrong).await);
    }
    token(&login_with(&t, &first, "admin", ADMIN_PASSWORD_SHA512).await);
    for _ in 0..5 {
        assert_wrong(&login_with(&t, &first, "admin", wrong).await);
    }
    assert_throttled(
        &login_with(&t, &first, "admin", wrong).await,
        "admin",
        "127.0.0.1",
    );

    // Unknown names are counted the same way, so the refusal tells nothing about which exist.
    for _ in 0..5 {
        assert_wrong(&login_with(&t, &second, "nobody", wrong).await);
    }
    assert_throttled(
        &login_with(&t, &second, "nobody", wrong).await,
        "nobody",
        "127.0.0.2",
    );
    t.stop().await;
}

#[actix_web::test]
async fn concurrent_wrong_logins_are_counted_before_more_are_checked() {
    let t = TestNode::start().await;
    let guesses = (0..40).map(|_| login(&t, "admin", SECRET_SHA512));
    let answers = futures_util::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|r| r.details() == "wrong account name or password")
        .count();
    assert_eq!(checked, 5, "{answers:?}");
    for refused in answers
        .iter()
        .filter(|r| r.details() != "wrong account name or password")
    {
        assert_throttled(refused, "admin", "127.0.0.1");
    }
    t.stop().await;
}

#[actix_web::test]
async fn an_upgraded_database_keeps_its_accounts_and_drops_its_old_sessions() {
    use sea_orm_migration::MigratorTrait;
    use zstack_families::Migrator;

    // A database as the previous release left it: a plain sha512 password and a raw token.
    let test_db = crate::common::TestDb::new().await;
    let old = sea_orm::Database::connect(test_db.url.as_str())
        .await
        .expect("the test database");
    let before = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m0013_account_credentials")
        .expect("the credentials migration");
    Migrator::up(&old, Some(u32::try_from(before).expect("a count")))
        .await
        .expect("the older migrations");
    let backend = old.get_database_backend();
    let at = chrono::Utc::now();
    let old_token = uuid::Uuid::new_v4().simple().to_string();
    for (sql, values) in [
        (
            "INSERT INTO account (uuid, name, password, type, create_date, last_op_date) VALUES (?, 'admin', ?, 'SystemAdmin', ?, ?)",
            vec![
                zstack_account::ADMIN_UUID.into(),
                ADMIN_PASSWORD_SHA512.into(),
                at.into(),
                at.into(),
            ],
        ),
        (
            "INSERT INTO session (uuid, account_uuid, user_uuid, expired_date, create_date) VALUES (?, ?, ?, ?, ?)",
            vec![
                old_token.clone().into(),
                zstack_account::ADMIN_UUID.into(),
                zstack_account::ADMIN_UUID.into(),
                (at + chrono::Duration::hours(1)).into(),
                at.into(),
            ],
        ),
    ] {
        old.execute_raw(statement_for(backend, sql, values))
            .await
            .expect("an old row");
    }
    old.close().await.expect("closed");

    let node = zstack::start(&crate::common::test_settings(&test_db.url))
        .await
        .expect("the node starts on the old database");
    let t = TestNode {
        base: format!("http://127.0.0.1:{}", node.port),
        node: Some(node),
        client: reqwest::Client::new(),
        db: test_db,
    };
    assert!(session_keys(&t).await.is_empty());
    let gone = t.get("/zones", &old_token).await;
    assert_eq!(gone.code(), "ID.1001", "{:?}", gone.body);
    assert_eq!(stored_password(&t, "admin").await, ADMIN_PASSWORD_SHA512);
    let admin = t.login().await;
    assert!(is_slow_hash(&stored_password(&t, "admin").await));
    assert_eq!(t.get("/zones", &admin).await.status, 200);
    t.stop().await;
}
