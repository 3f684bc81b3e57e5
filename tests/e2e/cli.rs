//! `zstack cli`, run as a user runs it: the real binary against a real node, through pipes for
//! single commands and scripts, and through a pseudo-terminal for the prompt, Tab completion and
//! the progress bar.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::TestNode;

const GB: i64 = 1 << 30;

/// One user's CLI: its own config directory (session, history), pointed at the node.
struct User {
    url: String,
    config: PathBuf,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl User {
    fn new(t: &TestNode) -> User {
        let dir =
            std::env::temp_dir().join(format!("zstack-cli-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        User {
            url: t.base.clone(),
            config: dir.join("config"),
            _dir: TempDir(dir),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zstack"));
        cmd.env("XDG_CONFIG_HOME", &self.config)
            .env("ZSTACK_URL", &self.url)
            .env("TERM", "xterm")
            .arg("cli");
        cmd
    }

    /// Runs `zstack cli <args>` with `stdin` piped in; the node keeps answering meanwhile.
    async fn run(&self, args: &[&str], stdin: &str) -> Out {
        let mut cmd = self.command();
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let stdin = stdin.to_string();
        tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(stdin.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            Out {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into(),
                stderr: String::from_utf8_lossy(&out.stderr).into(),
            }
        })
        .await
        .unwrap()
    }

    /// One command that must succeed; its JSON reply.
    async fn ok(&self, words: &[&str]) -> Value {
        let out = self.run(words, "").await;
        assert_eq!(out.code, 0, "{words:?}: {}{}", out.stdout, out.stderr);
        out.json()
    }

    async fn create(&self, words: &[&str]) -> String {
        let reply = self.ok(words).await;
        reply["inventory"]["uuid"]
            .as_str()
            .unwrap_or_else(|| panic!("{words:?}: {reply}"))
            .to_string()
    }
}

/// A small data center built through the CLI: zone, cluster, host, storage, image, networks,
/// an offering, and a VM on it.
struct Dc {
    zone: String,
    bs: String,
    l3: String,
    vm: String,
}

async fn data_center(u: &User) -> Dc {
    let zone = u
        .create(&["CreateZone", "name=z1", "description=cli zone"])
        .await;
    let z = format!("zoneUuid={zone}");
    let cluster = u
        .create(&["CreateCluster", "name=c1", &z, "hypervisorType=Simulator"])
        .await;
    let c = format!("clusterUuid={cluster}");
    let cpu = "cpuCapacity=8".to_string();
    let mem = format!("memoryCapacity={}", 16 * GB);
    u.create(&[
        "AddSimulatorHost",
        "name=h1",
        "managementIp=10.0.0.11",
        &c,
        &cpu,
        &mem,
    ])
    .await;
    let ps = u
        .create(&[
            "AddLocalPrimaryStorage",
            "name=ps1",
            "url=/ps",
            &z,
            &format!("totalCapacity={}", 100 * GB),
        ])
        .await;
    u.ok(&[
        "AttachPrimaryStorageToCluster",
        &c,
        &format!("primaryStorageUuid={ps}"),
    ])
    .await;
    let bs = u
        .create(&[
            "AddImageStoreBackupStorage",
            "name=bs1",
            "url=/bs",
            "hostname=10.0.0.2",
            "username=root",
            "password=secret",
            &format!("totalCapacity={}", 100 * GB),
        ])
        .await;
    u.ok(&[
        "AttachBackupStorageToZone",
        &z,
        &format!("backupStorageUuid={bs}"),
    ])
    .await;
    let image = u
        .create(&[
            "AddImage",
            "name=img1",
            "url=http://x/img1.qcow2",
            "format=qcow2",
            &format!("backupStorageUuids={bs}"),
        ])
        .await;
    let l2 = u
        .create(&[
            "CreateL2NoVlanNetwork",
            "name=l2",
            &z,
            "physicalInterface=eth0",
        ])
        .await;
    u.ok(&[
        "AttachL2NetworkToCluster",
        &format!("l2NetworkUuid={l2}"),
        &c,
    ])
    .await;
    let l3 = u
        .create(&["CreateL3Network", "name=l3", &format!("l2NetworkUuid={l2}")])
        .await;
    u.ok(&[
        "AddIpRange",
        &format!("l3NetworkUuid={l3}"),
        "name=r1",
        "startIp=192.168.0.10",
        "endIp=192.168.0.20",
        "netmask=255.255.255.0",
        "gateway=192.168.0.1",
    ])
    .await;
    let offering = u
        .create(&[
            "CreateInstanceOffering",
            "name=small",
            "cpuNum=2",
            &format!("memorySize={GB}"),
        ])
        .await;
    let vm = u
        .create(&[
            "CreateVmInstance",
            "name=web-1",
            &format!("instanceOfferingUuid={offering}"),
            &format!("imageUuid={image}"),
            &format!("l3NetworkUuids={l3}"),
        ])
        .await;
    Dc { zone, bs, l3, vm }
}

async fn login(u: &User) {
    let reply = u
        .ok(&["LogInByAccount", "accountName=admin", "password=password"])
        .await;
    assert!(reply["inventory"]["uuid"].is_string(), "{reply}");
}

#[actix_web::test]
async fn a_user_logs_in_builds_a_data_center_with_a_vm_and_queries_across_relations() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    login(&u).await;
    // The session is kept for later invocations, readable by its owner only.
    let session_file = u.config.join("zstack/session");
    let mode = std::fs::metadata(&session_file).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    let dc = data_center(&u).await;
    // Across relations with several operators: the VM through its NIC's L3 → L2 → cluster →
    // zone, a LIKE on its name, an IN on its state, a null test.
    let found = u
        .ok(&[
            "QueryVmInstance",
            "vmNics.l3Network.l2Network.cluster.zone.name=z1",
            "name~=web%",
            "state?=Running,Stopped",
            "description",
            "is",
            "null",
            "fields=uuid,name,state",
        ])
        .await;
    let rows = found["inventories"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{found}");
    assert_eq!(rows[0]["uuid"], dc.vm.as_str());
    assert_eq!(rows[0]["state"], "Running");
    assert!(found.get("schema").is_none(), "{found}");
    // No match: a NOT LIKE and a != that exclude it.
    let none = u
        .ok(&[
            "QueryVmInstance",
            "name!~=web%",
            &format!("zoneUuid!={}", dc.zone),
        ])
        .await;
    assert_eq!(none["inventories"], serde_json::json!([]));
    // Counting, and the other direction: hosts by the VMs on them.
    let count = u
        .ok(&["QueryHost", "vmInstance.name=web-1", "count=true"])
        .await;
    assert_eq!(count["total"], 1, "{count}");
    let ip = u
        .ok(&[
            "QueryVmNic",
            &format!("l3NetworkUuid={}", dc.l3),
            "fields=ip",
        ])
        .await;
    assert!(
        ip["inventories"][0]["ip"]
            .as_str()
            .unwrap()
            .starts_with("192.168.0."),
        "{ip}"
    );
    // A table with chosen columns.
    let table = u
        .run(
            &[
                "-o",
                "table",
                "--columns",
                "name,state",
                "QueryVmInstance",
                "sortBy=name",
            ],
            "",
        )
        .await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["name", "state"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["web-1", "Running"]
    );
    // YAML.
    let yaml = u.run(&["-o", "yaml", "QueryZone", "fields=name"], "").await;
    assert!(
        yaml.stdout.contains("inventories:\n  -\n    name: z1"),
        "{}",
        yaml.stdout
    );

    // LogOut ends the session on the node and forgets it.
    u.ok(&["LogOut"]).await;
    let after = u.run(&["QueryZone"], "").await;
    assert_ne!(after.code, 0);
    assert!(after.stderr.contains("\"code\""), "{}", after.stderr);
    let _ = dc.bs;
}

#[actix_web::test]
async fn bad_calls_exit_non_zero_with_zstacks_error_and_unknown_names_are_refused_before_sending() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    login(&u).await;
    // The node's error, in ZStack's format.
    let out = u.run(&["DeleteZone", "uuid=nope"], "").await;
    assert_eq!(out.code, 1);
    let error: Value = serde_json::from_str(&out.stderr).unwrap();
    assert_eq!(error["error"]["code"], "SYS.1007", "{}", out.stderr);
    // Unknown API, parameter, field and value: refused with the nearest names, nothing sent.
    let out = u.run(&["CreateZon", "name=x"], "").await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("did you mean CreateZone?"),
        "{}",
        out.stderr
    );
    let out = u.run(&["CreateZone", "nme=x"], "").await;
    assert!(out.stderr.contains("did you mean name?"), "{}", out.stderr);
    let out = u
        .run(&["QueryVmInstance", "vmNics.l3Network.nam=x"], "")
        .await;
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("did you mean vmNics.l3Network.name?"),
        "{}",
        out.stderr
    );
    let out = u
        .run(
            &[
                "CreateCluster",
                "name=c",
                "zoneUuid=x",
                "hypervisorType=Vmware",
            ],
            "",
        )
        .await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("is not one of"), "{}", out.stderr);
    let out = u.run(&["CreateZone"], "").await;
    assert!(out.stderr.contains("needs name="), "{}", out.stderr);
    let zones = u.ok(&["QueryZone", "count=true"]).await;
    assert_eq!(zones["total"], 0, "nothing was sent: {zones}");
}

#[actix_web::test]
async fn scripts_run_line_by_line_and_stop_at_the_first_error_unless_told_to_keep_going() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    login(&u).await;
    let script = "# a comment\nCreateZone name=s1\nCreateZone name=\"zone two\" description='a b'\nDeleteZone uuid=bad\nCreateZone name=s3\n";
    let out = u.run(&[], script).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let names = u.ok(&["QueryZone", "fields=name", "sortBy=name"]).await;
    assert_eq!(
        names["inventories"],
        serde_json::json!([{"name": "s1"}, {"name": "zone two"}]),
        "stopped at the error"
    );
    // From a file, going on after the error.
    let file = u.config.parent().unwrap().join("script.zs");
    std::fs::write(
        &file,
        script
            .replace("s1", "f1")
            .replace("zone two", "f2")
            .replace("s3", "f3"),
    )
    .unwrap();
    let out = u
        .run(&["--keep-going", "-f", file.to_str().unwrap()], "")
        .await;
    assert_eq!(out.code, 1, "an error was met: {}", out.stderr);
    let count = u.ok(&["QueryZone", "name?=f1,f2,f3", "count=true"]).await;
    assert_eq!(count["total"], 3, "{count}");
    // --no-wait: the job's location, then the job ends on its own.
    let out = u.ok(&["--no-wait", "CreateZone", "name=later"]).await;
    let location = out["location"].as_str().unwrap();
    assert!(location.contains("/zstack/v1/api-jobs/"), "{out}");
    let sid = t.login().await;
    let done = t.wait_job_as(location, &sid).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    // An account made with the CLI logs in with the CLI: both send the password's sha512.
    u.create(&["CreateAccount", "name=ops", "password=s3cret"])
        .await;
    let ops = User::new(&t);
    let session = ops
        .ok(&["LogInByAccount", "accountName=ops", "password=s3cret"])
        .await;
    assert!(session["inventory"]["uuid"].is_string(), "{session}");
}

#[actix_web::test]
async fn shell_completion_scripts_name_the_subcommands() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    for shell in ["bash", "zsh", "fish"] {
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_zstack"))
                .args(["completions", shell])
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        for sub in ["serve", "cli", "license", "completions"] {
            assert!(text.contains(sub), "{shell}: {sub} missing");
        }
    }
    drop(u);
}

/// The CLI on a pseudo-terminal, its output collected by a reader thread.
struct Pty {
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
    child: std::process::Child,
}

impl Pty {
    fn spawn(mut cmd: Command) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 50,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors it opened; the size is read only.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0);
        // SAFETY: both descriptors were just opened by openpty and are owned here.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new session whose
        // controlling terminal is the pty, so Ctrl-C reaches the CLI as SIGINT.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        let master = std::fs::File::from(master);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            output,
            child,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Waits until the output after `from` holds `needle`; the output from there on.
    async fn expect(&self, from: usize, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text();
            let tail = text.get(from..).unwrap_or_default();
            if tail.contains(needle) {
                return tail.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "{needle:?} never came; the terminal shows:\n{tail}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn exit_code(mut self) -> i32 {
        tokio::task::spawn_blocking(move || self.child.wait().unwrap().code().unwrap_or(-1))
            .await
            .unwrap()
    }
}

fn history(config: &Path) -> String {
    std::fs::read_to_string(config.join("zstack/history")).unwrap_or_default()
}

#[actix_web::test]
async fn the_prompt_completes_apis_fields_and_relations_and_keeps_history() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    let mut pty = Pty::spawn(u.command());
    pty.expect(0, "zstack> ").await;
    pty.send("LogInByAccount accountName=admin password=password\r");
    pty.expect(0, "\"uuid\"").await;

    // API names.
    let at = pty.text().len();
    pty.send("QueryVmIns\t");
    pty.expect(at, "QueryVmInstance").await;
    // Every field and relation of QueryVmInstance: Tab twice lists them.
    let at = pty.text().len();
    pty.send(" \t\t");
    let listed = pty.expect(at, "vmNics.").await;
    let listed = pty.expect(at, "zone.").await.max(listed);
    for candidate in [
        "name=",
        "state=",
        "hostUuid=",
        "allVolumes.",
        "host.",
        "limit=",
    ] {
        assert!(
            listed.contains(candidate),
            "{candidate} missing in:\n{listed}"
        );
    }
    // Behind a dotted path: the L3 network's fields and relations.
    pty.send("\x15"); // Ctrl-U: clear the line.
    let at = pty.text().len();
    pty.send("QueryVmInstance vmNics.l3Network.\t\t");
    let listed = pty.expect(at, "vmNics.l3Network.l2NetworkUuid=").await;
    for candidate in [
        "vmNics.l3Network.name=",
        "vmNics.l3Network.l2Network.",
        "vmNics.l3Network.ipRanges",
    ] {
        assert!(
            listed.contains(candidate),
            "{candidate} missing in:\n{listed}"
        );
    }
    // Parameter names and valid values of a non-query API.
    pty.send("\x15");
    let at = pty.text().len();
    pty.send("CreateCluster hypervisorType=\t\t");
    let listed = pty.expect(at, "hypervisorType=Simulator").await;
    assert!(listed.contains("hypervisorType=KVM"), "{listed}");
    pty.send("\x15");
    pty.send("CreateZone name=from-the-prompt\r");
    let at = pty.text().len();
    pty.expect(0, "from-the-prompt\"").await;
    pty.send("exit\r");
    assert_eq!(pty.exit_code().await, 0);
    let _ = at;
    // History across runs.
    assert!(history(&u.config).contains("CreateZone name=from-the-prompt"));
    let mut again = Pty::spawn(u.command());
    again.expect(0, "zstack> ").await;
    let at = again.text().len();
    again.send("\x1b[A"); // Up: the last command comes back.
    again.expect(at, "CreateZone name=from-the-prompt").await;
    again.send("\x15\x04"); // Ctrl-D on an empty line leaves.
    assert_eq!(again.exit_code().await, 0);
}

#[actix_web::test]
async fn a_job_shows_its_stages_in_a_progress_bar_and_ctrl_c_stops_only_the_waiting() {
    let t = TestNode::start().await;
    let u = User::new(&t);
    login(&u).await;
    let dc = data_center(&u).await;
    // A download of 8 GiB at 1 GiB/s: about eight seconds, reporting its stage and steps.
    u.ok(&[
        "UpdateSimulatorState",
        &format!("uuid={}", dc.bs),
        &format!("bandwidth={GB}"),
    ])
    .await;
    let mut cmd = u.command();
    cmd.args([
        "AddImage",
        "name=big",
        "url=http://x/big.qcow2#size=8589934592",
        &format!("backupStorageUuids={}", dc.bs),
    ]);
    let mut pty = Pty::spawn(cmd);
    pty.expect(0, "Download the image to backup storage").await;
    pty.expect(0, "/10").await;
    pty.send("\x03");
    let said = pty.expect(0, "stopped waiting").await;
    assert!(said.contains("/zstack/v1/api-jobs/"), "{said}");
    assert_ne!(pty.exit_code().await, 0);
    // The job went on: the image comes to be Ready.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let images = u.ok(&["QueryImage", "name=big", "fields=status"]).await;
        if images["inventories"][0]["status"] == "Ready" {
            break;
        }
        assert!(Instant::now() < deadline, "{images}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
