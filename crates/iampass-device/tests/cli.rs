//! The `iampass-device` binary as operators script it, against a real server on 127.0.0.1:0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use iampass_proto::client::{ManagementClient, SessionClient, default_http};
use iampass_proto::clock::SystemClock;
use iampass_proto::wire::SessionStatus;

struct Env {
    server: iampass_server::Running,
    app: ManagementClient,
    dir: tempfile::TempDir,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let server = iampass_testkit::start_server(dir.path(), Arc::new(SystemClock), |_| {}).await;
    let (_, app) = iampass_testkit::new_app(&server, "CLI test", false).await;
    Env { server, app, dir }
}

fn device(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_iampass-device"));
    c.args(args);
    c
}

async fn run(args: &[&str]) -> Output {
    let mut c = device(args);
    tokio::task::spawn_blocking(move || c.output().unwrap()).await.unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn enroll(e: &Env, user: &str, state: &Path) -> Output {
    e.app.add_users(&[user.to_owned()]).await.unwrap();
    let link = e.app.registration_link(user, Some("Ann")).await.unwrap().register_url;
    run(&["enroll", &link, "--state", state.to_str().unwrap(), "--name", "cli phone", "--json"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn enroll_then_run_approves_logins_until_stopped() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    let out = enroll(&e, "ann", &state).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["user_id"].as_str(), v["application_name"].as_str()), (Some("ann"), Some("CLI test")));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let mut runner = device(&["run", "--state", state.to_str().unwrap(), "--auto", "approve", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..2 {
        let started = e.app.authenticate_user("ann", &[], None).await.unwrap();
        let session = SessionClient::from_status(default_http(), &started.authentication_status).unwrap();
        let mut status = SessionStatus::Pending;
        for _ in 0..500 {
            status = session.status().await.unwrap().session_status;
            if !status.is_in_progress() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(status, SessionStatus::Active);
    }
    // The server commits the answer before the phone has read the reply and printed its line, so
    // wait (bounded) for both lines before stopping it.
    let stdout = runner.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = 0;
    while printed < 2 {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => printed += usize::from(line.contains("\"active\"")),
            Err(e) => panic!("the phone printed {printed} approvals, then {e}"),
        }
    }
    runner.kill().unwrap();
    runner.wait().unwrap();
    drop(e.server);
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_sends_the_number_matching_code() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    let (_, client) = iampass_testkit::new_app(&e.server, "Matching", true).await;
    client.add_users(&["dee".to_owned()]).await.unwrap();
    let link = client.registration_link("dee", None).await.unwrap().register_url;
    assert!(run(&["enroll", &link, "--state", state.to_str().unwrap()]).await.status.success());
    let started = client.authenticate_user("dee", &[], None).await.unwrap().authentication_status;
    let code = started.verification_code.clone().unwrap();
    let out = run(&["approve", "--state", state.to_str().unwrap(), "--code", &code, "--timeout", "10", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"active\""), "{}", text(&out.stdout));
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_times_out_with_a_message_and_exit_1() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    assert!(enroll(&e, "bob", &state).await.status.success());
    let out = run(&["approve", "--state", state.to_str().unwrap(), "--timeout", "1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no login request arrived"), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_links_and_missing_state_are_clear_errors() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    let out = run(&["enroll", "http://127.0.0.1:1/not-a-link", "--state", state.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not a registration link"), "{}", text(&out.stderr));
    let gone = format!("{}/register/AAAAAAAAAAAAAAAAAAAAAA", e.server.public_url());
    let out = run(&["enroll", &gone, "--state", state.to_str().unwrap()]).await;
    assert!(text(&out.stderr).contains("unknown_link"), "{}", text(&out.stderr));
    assert!(!state.exists(), "a failed enrollment writes no state");
    let out = run(&["sessions", "--state", state.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read the state file"));
    let out = run(&["presence", "--state", state.to_str().unwrap()]).await;
    assert_eq!(out.status.code(), Some(2), "usage error: --away or --near is required");
}

/// The console puts the employee's name in the link's fragment: the phone prints it, keeps it, and
/// never sends it (the server's own display name for this user stays unset).
#[tokio::test(flavor = "multi_thread")]
async fn the_name_in_the_links_fragment_is_printed_and_kept() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    e.app.add_users(&["zoe".to_owned()]).await.unwrap();
    let link = e.app.registration_link("zoe", None).await.unwrap().register_url;
    let out = run(&["enroll", &format!("{link}#name=Zo%C3%AB%20Lee"), "--state", state.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("for Zoë Lee (zoe) in CLI test"), "{}", text(&out.stdout));
    let kept: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(kept["display_name"], "Zoë Lee");
}

#[tokio::test(flavor = "multi_thread")]
async fn forget_unregisters_and_removes_the_state() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    assert!(enroll(&e, "cy", &state).await.status.success());
    assert!(e.app.has_registered_mobile_device("cy").await.unwrap());
    let out = run(&["forget", "--state", state.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!state.exists());
    assert!(!e.app.has_registered_mobile_device("cy").await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_help_desk_verification_reads_as_one_not_as_a_login() {
    let e = env().await;
    let state = e.dir.path().join("phone.json");
    assert!(enroll(&e, "ann", &state).await.status.success());
    let (_, staff_phone) = iampass_testkit::add_staff(&e.app, "Hal", iampass_proto::wire::StaffRole::Helpdesk).await;
    let (hal, _) = iampass_testkit::sign_in_staff(&e.server, e.app.application_id(), "Hal", &staff_phone).await;
    let started = hal.start_verification("ann").await.unwrap();
    let out = run(&["approve", "--state", state.to_str().unwrap(), "--timeout", "10"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Hal is verifying the identity of Ann (ann)"), "{}", text(&out.stdout));
    let id = started.verification_id.unwrap();
    assert_eq!(hal.verification(&id).await.unwrap().status, SessionStatus::Active);
}
