//! Long jobs over REST: AddImage submitted as a long job, watched (state, task progress under
//! its apiId), refused as the direct API would refuse it, canceled mid-download (the image and
//! its capacity go back), suspended and resumed, rerun, deleted; the state table enforced; and
//! jobs that outlive a SIGKILLed node process.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use zstack_image::messages::APIAddImageMsg;
use zstack_kernel::bus::Intercept;
use zstack_kernel::error::ApiError;

use crate::common::{Rsp, TestDb, TestNode};
use crate::process::{client_for, free_port};

const GB: i64 = 1 << 30;

fn uuid_of(inv: &Value) -> String {
    inv["uuid"].as_str().expect("a uuid").to_string()
}

/// A zone with an image store of 100 GiB attached; its uuid.
async fn image_store(t: &TestNode, sid: &str) -> String {
    let zone = t.create_zone(sid, json!({"name": "z"})).await;
    let bs = uuid_of(
        &t.create(
            sid,
            "/backup-storage/image-store",
            json!({"name": "bs", "url": "/bs", "hostname": "10.1.0.1", "username": "root",
                   "password": "secret", "totalCapacity": 100 * GB}),
        )
        .await,
    );
    let attached = t
        .call_async(
            Method::POST,
            &format!("/zones/{}/backup-storage/{bs}", uuid_of(&zone)),
            sid,
            Some(json!({"params": {}})),
        )
        .await;
    assert_eq!(attached.status, 200, "{:?}", attached.body);
    bs
}

/// Transfers from simulated storage `bs` go at `bytes_per_s`.
pub(crate) async fn bandwidth(t: &TestNode, sid: &str, bs: &str, bytes_per_s: i64) {
    t.simulate_ok(sid, bs, json!({ "bandwidth": bytes_per_s }))
        .await;
}

/// The jobData of an AddImage of `size` bytes named `name` to `bs`.
fn add_image(name: &str, size: i64, bs: &str) -> String {
    json!({"name": name, "url": format!("http://images.example/{name}.qcow2#size={size}"),
           "backupStorageUuids": [bs]})
    .to_string()
}

/// SubmitLongJob, waited for: the finished job's response.
pub(crate) async fn submit(t: &TestNode, sid: &str, job_name: &str, job_data: &str) -> Rsp {
    t.call_async(
        Method::POST,
        "/longjobs",
        sid,
        Some(json!({"params": {"name": "lj", "jobName": job_name, "jobData": job_data}})),
    )
    .await
}

/// Submits an AddImage long job and answers its inventory (as SubmitLongJob answered it).
async fn submit_add_image(t: &TestNode, sid: &str, name: &str, size: i64, bs: &str) -> Value {
    let done = submit(t, sid, "APIAddImageMsg", &add_image(name, size, bs)).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    done.body["inventory"].clone()
}

pub(crate) async fn long_job(t: &TestNode, sid: &str, uuid: &str) -> Value {
    let rsp = t.get(&format!("/longjobs/{uuid}"), sid).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"][0].clone()
}

/// Waits until long job `uuid` is in state `want`; its inventory then.
pub(crate) async fn wait_state(
    t: &TestNode,
    sid: &str,
    uuid: &str,
    want: &str,
    within: Duration,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let job = long_job(t, sid, uuid).await;
        if job["state"] == want {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "long job {uuid} is not {want} after {within:?}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn result_of(job: &Value) -> Value {
    serde_json::from_str(job["jobResult"].as_str().expect("a jobResult")).expect("JSON")
}

async fn available(t: &TestNode, sid: &str, bs: &str) -> i64 {
    t.get(&format!("/backup-storage/{bs}"), sid).await.body["inventories"][0]["availableCapacity"]
        .as_i64()
        .expect("a capacity")
}

async fn images_named(t: &TestNode, sid: &str, name: &str) -> Vec<Value> {
    let rsp = t.get(&format!("/images?q=name={name}"), sid).await;
    rsp.body["inventories"]
        .as_array()
        .expect("inventories")
        .clone()
}

/// The latest download progress reported under `api_id` ("" before any).
pub(crate) async fn progress(t: &TestNode, sid: &str, api_id: &str) -> String {
    let rsp = t.get(&format!("/task-progresses/{api_id}"), sid).await;
    assert_eq!(rsp.status, 200, "{:?}", rsp.body);
    rsp.body["inventories"][0]["subTasks"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub(crate) async fn act(t: &TestNode, sid: &str, uuid: &str, action: &str) -> Rsp {
    t.action(sid, &format!("/longjobs/{uuid}/actions"), action, json!({}))
        .await
}

#[actix_web::test]
async fn an_add_image_long_job_answers_once_running_reports_progress_and_succeeds() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    // 5 GiB at 1 GiB/s: about five seconds.
    bandwidth(&t, &sid, &bs, GB).await;
    let started = Instant::now();
    let accepted = t
        .send(
            Method::POST,
            "/longjobs",
            Some(&sid),
            Some(json!({"params": {
                "name": "add-centos", "description": "an image as a long job",
                "jobName": "APIAddImageMsg", "jobData": add_image("centos", 5 * GB, &bs),
            }})),
            &[("X-JSON-Schema", "true")],
        )
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let submitted = t
        .wait_job_as(accepted.body["location"].as_str().unwrap(), &sid)
        .await;
    assert_eq!(submitted.status, 200, "{:?}", submitted.body);
    // Answered once started, well before the download ends.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        submitted.body["schema"]["inventory"],
        "org.zstack.header.longjob.LongJobInventory"
    );
    let inv = &submitted.body["inventory"];
    let uuid = uuid_of(inv);
    assert_eq!(inv["state"], "Running");
    assert_eq!(inv["name"], "add-centos");
    assert_eq!(inv["description"], "an image as a long job");
    assert_eq!(inv["jobName"], "APIAddImageMsg");
    assert_eq!(inv["managementNodeUuid"], t.node_uuid());
    assert!(inv.get("jobResult").is_none(), "{inv}");
    assert!(inv.get("submitter").is_none(), "{inv}");
    let api_id = inv["apiId"].as_str().unwrap().to_string();
    assert_eq!(api_id.len(), 32);
    // The job fixed the uuid of the image it creates, and targets it.
    let data: Value = serde_json::from_str(inv["jobData"].as_str().unwrap()).unwrap();
    let image = data["resourceUuid"].as_str().unwrap().to_string();
    assert_eq!(inv["targetResourceUuid"], image);
    assert_eq!(
        data["url"],
        format!("http://images.example/centos.qcow2#size={}", 5 * GB)
    );

    // While it runs: Running, the image Downloading, the download's progress under apiId.
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let job = long_job(&t, &sid, &uuid).await;
        assert_eq!(job["state"], "Running", "{job}");
        let p = progress(&t, &sid, &api_id).await;
        if !p.is_empty() && seen.last() != Some(&p) {
            seen.push(p);
        }
        let found = t.get(&format!("/images/{image}"), &sid).await;
        assert_eq!(found.body["inventories"][0]["status"], "Downloading");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let running = t.get("/longjobs?q=state=Running", &sid).await;
    assert_eq!(running.body["inventories"].as_array().unwrap().len(), 1);

    let done = wait_state(&t, &sid, &uuid, "Succeeded", Duration::from_secs(20)).await;
    assert!(done["executeTime"].as_i64().unwrap() >= 1, "{done}");
    let result = result_of(&done);
    assert_eq!(result["inventory"]["uuid"], image);
    assert_eq!(result["inventory"]["status"], "Ready");
    assert_eq!(result["inventory"]["size"], 5 * GB);
    assert_eq!(
        t.get(&format!("/images/{image}"), &sid).await.body["inventories"][0]["status"],
        "Ready"
    );
    assert_eq!(available(&t, &sid, &bs).await, 95 * GB);
    let last = t
        .get(&format!("/task-progresses/{api_id}?all=true"), &sid)
        .await;
    assert!(last.body.to_string().contains("\"100\""), "{:?}", last.body);
    let by_name = t
        .get("/longjobs?q=jobName=APIAddImageMsg&q=state=Succeeded", &sid)
        .await;
    assert_eq!(by_name.body["inventories"][0]["uuid"], uuid);
    t.stop().await;
}

#[actix_web::test]
async fn a_job_name_that_is_not_a_capable_api_and_bad_job_data_are_refused_as_the_api_would_be() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;

    let unknown = submit(&t, &sid, "APINoSuchThingMsg", "{}").await;
    assert_eq!(unknown.status, 503, "{:?}", unknown.body);
    assert_eq!(unknown.code(), "SYS.1007");
    assert!(
        unknown.details().contains("is not an API"),
        "{}",
        unknown.details()
    );
    assert!(
        unknown.details().contains("APIAddImageMsg"),
        "{}",
        unknown.details()
    );
    let incapable = submit(&t, &sid, "APICreateZoneMsg", r#"{"name":"z"}"#).await;
    assert_eq!(incapable.code(), "SYS.1007", "{:?}", incapable.body);
    assert!(
        incapable.details().contains("cannot run as a long job")
            && incapable.details().contains("APIAddImageMsg"),
        "{}",
        incapable.details()
    );
    let not_json = submit(&t, &sid, "APIAddImageMsg", "{not json").await;
    assert_eq!(not_json.code(), "SYS.1007", "{:?}", not_json.body);
    assert!(
        not_json.details().contains("jobData"),
        "{}",
        not_json.details()
    );

    // The same parameters refused the same way by the direct API and as a long job.
    let cases = [
        json!({"name": "no-url", "backupStorageUuids": [bs]}),
        json!({"name": "x".repeat(256), "url": "http://x/a.qcow2", "backupStorageUuids": [bs]}),
        json!({"name": "bad-format", "url": "http://x/a.qcow2", "format": "vmdk",
               "backupStorageUuids": [bs]}),
        json!({"name": "bad-uuid", "url": "http://x/a.qcow2", "resourceUuid": "nope",
               "backupStorageUuids": [bs]}),
    ];
    for params in cases {
        let direct = t
            .call_async(
                Method::POST,
                "/images",
                &sid,
                Some(json!({ "params": params })),
            )
            .await;
        assert_eq!(direct.status, 503, "{:?}", direct.body);
        let as_job = submit(&t, &sid, "APIAddImageMsg", &params.to_string()).await;
        assert_eq!(as_job.status, 503, "{:?}", as_job.body);
        assert_eq!(as_job.code(), direct.code(), "{params}");
        assert_eq!(as_job.details(), direct.details(), "{params}");
    }
    // A wrongly typed parameter: the gateway's 400 directly, the same words as a long job.
    let typed = json!({"name": "typed", "url": 1, "backupStorageUuids": [bs]});
    let direct = t
        .send(
            Method::POST,
            "/images",
            Some(&sid),
            Some(json!({ "params": typed })),
            &[],
        )
        .await;
    assert_eq!(direct.status, 400, "{:?}", direct.body);
    let as_job = submit(&t, &sid, "APIAddImageMsg", &typed.to_string()).await;
    assert_eq!(as_job.code(), "SYS.1007", "{:?}", as_job.body);
    assert_eq!(as_job.details(), direct.details());

    // An account without access to the backup storage: refused as the direct API refuses it.
    let (_, tenant) = crate::accounts::account(&t, &sid, "tenant").await;
    let data = add_image("theirs", GB, &bs);
    let direct = t
        .call_async(
            Method::POST,
            "/images",
            &tenant,
            Some(json!({ "params": serde_json::from_str::<Value>(&data).unwrap() })),
        )
        .await;
    assert_eq!(direct.code(), "ID.1002", "{:?}", direct.body);
    let as_job = submit(&t, &tenant, "APIAddImageMsg", &data).await;
    assert_eq!(as_job.code(), "ID.1002", "{:?}", as_job.body);
    assert_eq!(as_job.details(), direct.details());

    // Nothing refused left a job or an image behind.
    let jobs = t.get("/longjobs?count=true", &sid).await;
    assert_eq!(jobs.body["total"], 0, "{:?}", jobs.body);
    assert_eq!(available(&t, &sid, &bs).await, 100 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn canceling_mid_download_stops_it_removes_the_image_and_gives_the_capacity_back() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    // 20 GiB at 1 GiB/s: twenty seconds unless it stops.
    bandwidth(&t, &sid, &bs, GB).await;
    let inv = submit_add_image(&t, &sid, "big", 20 * GB, &bs).await;
    let (uuid, api_id) = (uuid_of(&inv), inv["apiId"].as_str().unwrap().to_string());
    let image = inv["targetResourceUuid"].as_str().unwrap().to_string();
    for _ in 0..100 {
        if !progress(&t, &sid, &api_id).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(available(&t, &sid, &bs).await, 80 * GB);
    assert_eq!(images_named(&t, &sid, "big").await.len(), 1);

    let asked = Instant::now();
    let canceled = act(&t, &sid, &uuid, "cancelLongJob").await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    assert_eq!(canceled.body, json!({}));
    // It answered once the download had stopped, not when it would have ended.
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let job = long_job(&t, &sid, &uuid).await;
    assert_eq!(job["state"], "Canceled", "{job}");
    assert_eq!(result_of(&job)["error"]["code"], "SYS.1017", "{job}");
    assert!(
        t.get(&format!("/images/{image}"), &sid).await.body["inventories"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(available(&t, &sid, &bs).await, 100 * GB);
    // The download really stopped: no progress after the cancel.
    let after = progress(&t, &sid, &api_id).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(progress(&t, &sid, &api_id).await, after);
    assert_ne!(after, "100");

    // Canceling again is nothing; resuming a Canceled job is refused.
    let again = act(&t, &sid, &uuid, "cancelLongJob").await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    let resumed = act(&t, &sid, &uuid, "resumeLongJob").await;
    assert_eq!(resumed.code(), "SYS.1007", "{:?}", resumed.body);
    assert!(
        resumed.details().contains("Suspended"),
        "{}",
        resumed.details()
    );

    // A Canceled job can be deleted.
    let deleted = t
        .call_async(Method::DELETE, &format!("/longjobs/{uuid}"), &sid, None)
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    let gone = t.get(&format!("/longjobs/{uuid}"), &sid).await;
    assert_eq!(gone.body["inventories"], json!([]));
    t.stop().await;
}

#[actix_web::test]
async fn transitions_the_state_table_forbids_are_refused_and_a_finished_job_reruns() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    bandwidth(&t, &sid, &bs, GB).await;
    let inv = submit_add_image(&t, &sid, "twice", 2 * GB, &bs).await;
    let uuid = uuid_of(&inv);
    let first_image = inv["targetResourceUuid"].as_str().unwrap().to_string();

    // Running: not deleted, rerun or resumed.
    let deleted = t
        .call_async(Method::DELETE, &format!("/longjobs/{uuid}"), &sid, None)
        .await;
    assert_eq!(deleted.code(), "SYS.1007", "{:?}", deleted.body);
    assert!(
        deleted.details().contains("Running"),
        "{}",
        deleted.details()
    );
    let rerun = act(&t, &sid, &uuid, "rerunLongJob").await;
    assert_eq!(rerun.code(), "SYS.1007", "{:?}", rerun.body);
    let resumed = act(&t, &sid, &uuid, "resumeLongJob").await;
    assert_eq!(resumed.code(), "SYS.1007", "{:?}", resumed.body);
    assert_eq!(long_job(&t, &sid, &uuid).await["state"], "Running");

    let done = wait_state(&t, &sid, &uuid, "Succeeded", Duration::from_secs(20)).await;
    // Succeeded: not canceled, not resumed.
    let canceled = act(&t, &sid, &uuid, "cancelLongJob").await;
    assert_eq!(canceled.code(), "SYS.1007", "{:?}", canceled.body);
    assert!(
        canceled.details().contains("Succeeded"),
        "{}",
        canceled.details()
    );
    let resumed = act(&t, &sid, &uuid, "resumeLongJob").await;
    assert_eq!(resumed.code(), "SYS.1007", "{:?}", resumed.body);
    assert_eq!(long_job(&t, &sid, &uuid).await["state"], "Succeeded");

    // Rerun: the same job, a new API id, a new image (the first one stays), Running again.
    let rerun = act(&t, &sid, &uuid, "rerunLongJob").await;
    assert_eq!(rerun.status, 200, "{:?}", rerun.body);
    let again = &rerun.body["inventory"];
    assert_eq!(again["uuid"], uuid);
    assert_eq!(again["state"], "Running");
    assert_ne!(again["apiId"], done["apiId"]);
    assert!(again.get("jobResult").is_none(), "{again}");
    let second_image = again["targetResourceUuid"].as_str().unwrap().to_string();
    assert_ne!(second_image, first_image);
    let done = wait_state(&t, &sid, &uuid, "Succeeded", Duration::from_secs(20)).await;
    assert_eq!(result_of(&done)["inventory"]["uuid"], second_image);
    assert_eq!(images_named(&t, &sid, "twice").await.len(), 2);
    assert_eq!(available(&t, &sid, &bs).await, 96 * GB);

    // UpdateLongJob renames it; DeleteLongJob removes a finished one; again is nothing.
    let renamed = t
        .action(
            &sid,
            &format!("/longjobs/{uuid}/actions"),
            "updateLongJob",
            json!({"name": "renamed"}),
        )
        .await;
    assert_eq!(
        renamed.body["inventory"]["name"], "renamed",
        "{:?}",
        renamed.body
    );
    for _ in 0..2 {
        let deleted = t
            .call_async(Method::DELETE, &format!("/longjobs/{uuid}"), &sid, None)
            .await;
        assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    }
    let count = t.get("/longjobs?count=true", &sid).await;
    assert_eq!(count.body["total"], 0);
    // The images it added are not the job's to delete.
    assert_eq!(images_named(&t, &sid, "twice").await.len(), 2);
    t.stop().await;
}

#[actix_web::test]
async fn a_job_cut_off_by_an_unavailable_node_is_suspended_then_resumed_or_canceled() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    let cut = t.bus().intercept(|_: &APIAddImageMsg| {
        Intercept::Fail(ApiError::NodeUnavailable("the management node went away".into()).into())
    });
    let first = uuid_of(&submit_add_image(&t, &sid, "cut", GB, &bs).await);
    let second = uuid_of(&submit_add_image(&t, &sid, "dropped", GB, &bs).await);
    for uuid in [&first, &second] {
        let job = wait_state(&t, &sid, uuid, "Suspended", Duration::from_secs(10)).await;
        assert_eq!(result_of(&job)["error"]["code"], "SYS.1012", "{job}");
    }
    // Suspended: not deleted, not rerun.
    let deleted = t
        .call_async(Method::DELETE, &format!("/longjobs/{first}"), &sid, None)
        .await;
    assert_eq!(deleted.code(), "SYS.1007", "{:?}", deleted.body);
    let rerun = act(&t, &sid, &first, "rerunLongJob").await;
    assert_eq!(rerun.code(), "SYS.1007", "{:?}", rerun.body);
    drop(cut);

    // Resumed: nothing had been done, so the API runs, under the same API id.
    let api_id = long_job(&t, &sid, &first).await["apiId"].clone();
    let resumed = act(&t, &sid, &first, "resumeLongJob").await;
    assert_eq!(resumed.status, 200, "{:?}", resumed.body);
    assert_eq!(resumed.body["inventory"]["state"], "Running");
    assert_eq!(resumed.body["inventory"]["apiId"], api_id);
    let done = wait_state(&t, &sid, &first, "Succeeded", Duration::from_secs(10)).await;
    assert_eq!(result_of(&done)["inventory"]["status"], "Ready");
    assert_eq!(images_named(&t, &sid, "cut").await.len(), 1);

    // Canceled while Suspended: Canceled at once, nothing left behind.
    let canceled = act(&t, &sid, &second, "cancelLongJob").await;
    assert_eq!(canceled.status, 200, "{:?}", canceled.body);
    let job = long_job(&t, &sid, &second).await;
    assert_eq!(job["state"], "Canceled", "{job}");
    assert!(images_named(&t, &sid, "dropped").await.is_empty());
    assert_eq!(available(&t, &sid, &bs).await, 99 * GB);
    t.stop().await;
}

#[actix_web::test]
async fn another_account_sees_and_touches_only_its_own_long_jobs() {
    let t = TestNode::start().await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    let admins = uuid_of(&submit_add_image(&t, &sid, "admins", GB, &bs).await);
    let (_, tenant) = crate::accounts::account(&t, &sid, "tenant").await;
    let seen = t.get("/longjobs", &tenant).await;
    assert_eq!(seen.body["inventories"], json!([]), "{:?}", seen.body);
    wait_state(&t, &sid, &admins, "Succeeded", Duration::from_secs(10)).await;
    for action in ["rerunLongJob", "cancelLongJob"] {
        let denied = act(&t, &tenant, &admins, action).await;
        assert_eq!(denied.code(), "ID.1002", "{action}: {:?}", denied.body);
    }
    let denied = t
        .call_async(
            Method::DELETE,
            &format!("/longjobs/{admins}"),
            &tenant,
            None,
        )
        .await;
    assert_eq!(denied.code(), "ID.1002", "{:?}", denied.body);
    assert_eq!(long_job(&t, &sid, &admins).await["state"], "Succeeded");
    t.stop().await;
}

/// A node process, SIGKILLed when dropped (a failing test leaves none behind).
struct Proc(Child);

impl Proc {
    fn spawn(port: u16, db_url: &str, extra: &[&str]) -> Proc {
        let child = Command::new(env!("CARGO_BIN_EXE_zstack"))
            .args([
                "serve",
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--db-url",
                db_url,
            ])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the binary starts");
        Proc(child)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A node process SIGKILLed with one long job Waiting (its start held) and one Running (a
/// download half done): started again, it starts the first and resumes the second.
#[actix_web::test]
async fn long_jobs_survive_a_sigkilled_node_and_go_on_when_it_starts_again() {
    let db = TestDb::new().await;
    let url = db.url.clone();
    let port = free_port();
    let first = Proc::spawn(port, &url, &[]);
    let t = client_for(port, db).await;
    let sid = t.login().await;
    let bs = image_store(&t, &sid).await;
    // 4 GiB at 1 GiB/s: four seconds.
    bandwidth(&t, &sid, &bs, GB).await;
    let running = submit_add_image(&t, &sid, "running", 4 * GB, &bs).await;
    let (running, api_id) = (
        uuid_of(&running),
        running["apiId"].as_str().unwrap().to_string(),
    );
    // Killed with the download under way.
    let mut under_way = false;
    for _ in 0..200 {
        let p = progress(&t, &sid, &api_id).await;
        if !p.is_empty() && p != "0" {
            under_way = p.parse::<i64>().unwrap() < 100;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(under_way);
    assert_eq!(long_job(&t, &sid, &running).await["state"], "Running");
    drop(first);

    // Started again, holding every long job's start for a minute.
    let second = Proc::spawn(port, &url, &["--delay-message", "StartLongJobMsg=60000"]);
    let t = client_for(port, t.db).await;
    let sid = t.login().await;
    let job = wait_state(&t, &sid, &running, "Succeeded", Duration::from_secs(30)).await;
    assert_eq!(result_of(&job)["inventory"]["status"], "Ready", "{job}");
    let accepted = t
        .send(
            Method::POST,
            "/longjobs",
            Some(&sid),
            Some(json!({"params": {"jobName": "APIAddImageMsg",
                                   "jobData": add_image("waiting", GB, &bs)}})),
            &[],
        )
        .await;
    assert_eq!(accepted.status, 202, "{:?}", accepted.body);
    let mut waiting = Value::Null;
    for _ in 0..100 {
        let found = t.get("/longjobs?q=state=Waiting", &sid).await;
        if let Some(job) = found.body["inventories"].get(0) {
            waiting = job.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let waiting = uuid_of(&waiting);
    drop(second);

    let third = Proc::spawn(port, &url, &[]);
    let t = client_for(port, t.db).await;
    let sid = t.login().await;
    let job = wait_state(&t, &sid, &waiting, "Succeeded", Duration::from_secs(30)).await;
    assert_eq!(result_of(&job)["inventory"]["status"], "Ready", "{job}");
    assert_eq!(
        images_named(&t, &sid, "running").await[0]["status"],
        "Ready"
    );
    assert_eq!(
        images_named(&t, &sid, "waiting").await[0]["status"],
        "Ready"
    );
    // Each image took its size once.
    assert_eq!(available(&t, &sid, &bs).await, 95 * GB);
    drop(third);
    t.db.drop_database().await;
}
