//! The live dashboard: verification, remote logout, number matching, the push cap and the server's audit reaching the console, and the monitor across a server restart.

use std::sync::Arc;
use std::time::Duration;

use iampass_desk::monitor::{AlertKind, MonitorEvent};
use iampass_desk::{Desk, DeskOptions};
use iampass_device::{Answer, Phone};
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::SessionStatus::{self, *};
use tokio::sync::{mpsc, watch};

use super::{local_desk, person, scan};

/// Runs the desk's monitor, handing its events to a channel.
pub(super) fn monitor(
    d: &Arc<Desk>,
) -> (watch::Sender<bool>, mpsc::UnboundedReceiver<MonitorEvent>, tokio::task::JoinHandle<()>) {
    let (stop, stop_rx) = watch::channel(false);
    let (tx, rx) = mpsc::unbounded_channel();
    let d = d.clone();
    let task = tokio::spawn(async move { d.run_monitor(move |e| drop(tx.send(e)), stop_rx).await });
    (stop, rx, task)
}

/// Collects (session id, status) of row changes until `done` says enough (bounded).
pub(super) async fn rows_until(
    rx: &mut mpsc::UnboundedReceiver<MonitorEvent>,
    seen: &mut Vec<(String, SessionStatus, Option<String>)>,
    alerts: &mut Vec<AlertKind>,
    done: impl Fn(&[(String, SessionStatus, Option<String>)]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !done(seen) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(MonitorEvent::Rows { rows })) => {
                seen.extend(rows.into_iter().map(|r| (r.session.session_id, r.session.status, r.employee_name)))
            }
            Ok(Some(MonitorEvent::Alert { alert })) => alerts.push(alert.kind),
            Ok(Some(MonitorEvent::Connection { .. } | MonitorEvent::Book { .. })) => {}
            _ => panic!("timed out; rows so far: {seen:?}"),
        }
    }
}

pub(super) async fn wait_connected(rx: &mut mpsc::UnboundedReceiver<MonitorEvent>, want: bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(MonitorEvent::Connection { connected, .. })) if connected == want => return,
            Ok(Some(_)) => {}
            _ => panic!("the monitor never became connected = {want}"),
        }
    }
}

async fn enrolled(d: &Desk, name: &str) -> (i64, Phone) {
    let e = d.add_employee(person(name, "")).await.unwrap();
    let t = d.start_enrollment(e.id).await.unwrap();
    let phone = Phone::enroll(&scan(&t), "phone", "test").await.unwrap();
    d.wait_enrolled(e.id, Duration::from_secs(5)).await.unwrap();
    (e.id, phone)
}

/// A caller verification without number matching: the push goes out, the answer comes back.
async fn verify(d: &Desk, id: i64) -> iampass_desk::VerifyResult {
    let started = d.start_verification(id).await.unwrap();
    assert_eq!(started.verification_code, None);
    d.finish_verification(&started.verification_id.expect("a push went out")).await.unwrap()
}

fn statuses_of(seen: &[(String, SessionStatus, Option<String>)], id: &str) -> Vec<SessionStatus> {
    seen.iter().filter(|(s, _, _)| s == id).map(|(_, st, _)| *st).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn verification_and_remote_logout_reach_the_dashboard_live() {
    let (d, dir) = local_desk().await;
    let d = Arc::new(d);
    let (ann, phone) = enrolled(&d, "Ann").await;
    let (stop, mut rx, task) = monitor(&d);
    wait_connected(&mut rx, true).await;

    let approving = tokio::spawn({
        let phone = phone.clone();
        async move { phone.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await }
    });
    let r = verify(&d, ann).await;
    assert!(r.verified && r.status == Active, "{r:?}");
    approving.await.unwrap().unwrap();
    let (mut seen, mut alerts) = (Vec::new(), Vec::new());
    rows_until(&mut rx, &mut seen, &mut alerts, |s| s.iter().any(|(_, st, _)| *st == Closed)).await;
    let id = seen[0].0.clone();
    assert_eq!(statuses_of(&seen, &id), [Pending, Identifying, Active, Closed], "each change once, in order");
    assert_eq!(seen[0].2.as_deref(), Some("Ann"), "named from the book");

    let denying = tokio::spawn({
        let phone = phone.clone();
        async move { phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await }
    });
    let r = verify(&d, ann).await;
    assert_eq!((r.verified, r.status, r.reason.as_deref()), (false, Cancelled, Some("denied")));
    denying.await.unwrap().unwrap();
    rows_until(&mut rx, &mut seen, &mut alerts, |s| s.iter().any(|(_, st, _)| *st == Cancelled)).await;
    assert!(!alerts.contains(&AlertKind::Denied), "a denied verification is not a failed login: {alerts:?}");

    // An integrating app logs Ann in; "log out everywhere" ends it.
    let profile = d.status().profile.unwrap();
    let secret =
        std::fs::read_to_string(dir.path().join(format!("data/secrets/{}.secret", profile.application_id))).unwrap();
    let app = ManagementClient::new(&profile.server_url, &profile.application_id, &secret).unwrap();
    let token = d.employee(ann).unwrap().token;
    app.authenticate_user(&token, &[], None).await.unwrap();
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await.unwrap();
    assert_eq!(d.logout_employee(ann).await.unwrap(), 1);
    rows_until(&mut rx, &mut seen, &mut alerts, |s| s.iter().filter(|(_, st, _)| *st == Closed).count() == 2).await;
    let page = d.dashboard_page(Some(Closed), Some(ann), None, 10).await.unwrap();
    assert_eq!(page.rows.len(), 2);
    let counts = d.session_counts().await.unwrap();
    assert_eq!((counts[&Closed], counts[&Cancelled]), (2, 1));
    let audit: Vec<String> = d.audit_entries(20).unwrap().into_iter().map(|a| a.action).collect();
    assert!(audit.contains(&"verify_caller".into()) && audit.contains(&"logout_everywhere".into()));

    stop.send(true).unwrap();
    task.await.unwrap();
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn number_matching_codes_the_push_cap_and_the_servers_audit_reach_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        iampass_testkit::start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |c| c.push_cap = 3)
            .await;
    let (created, _) = iampass_testkit::new_app(&server, "Desk", true).await;
    let d = Arc::new(super::desk(dir.path()).await);
    d.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    let (ann, phone) = enrolled(&d, "Ann").await;
    let (stop, mut rx, task) = monitor(&d);
    wait_connected(&mut rx, true).await;

    // The code to read to the caller comes back before the phone answers; typed right, verified.
    let started = d.start_verification(ann).await.unwrap();
    let code = started.verification_code.clone().expect("number matching is on");
    assert!(code.len() == 2 && code.chars().all(|c| c.is_ascii_digit()), "{code}");
    let answer = Answer::ApproveWithCode { methods: None, code: code.clone() };
    phone.answer(&answer, 1, Duration::from_secs(10)).await.unwrap();
    let r = d.finish_verification(started.verification_id.as_deref().unwrap()).await.unwrap();
    assert!(r.verified, "{r:?}");
    assert!(d.finish_verification(started.verification_id.as_deref().unwrap()).await.is_err(), "read once");

    // A wrong code fails it; a denial too; neither counts toward the logins' push cap. (The three
    // verifications are as many as the cap lets through in its window: verifications have their own.)
    let started = d.start_verification(ann).await.unwrap();
    let wrong = if started.verification_code.as_deref() == Some("00") { "01" } else { "00" };
    let answer = Answer::ApproveWithCode { methods: None, code: wrong.into() };
    phone.answer(&answer, 1, Duration::from_secs(10)).await.unwrap();
    let r = d.finish_verification(started.verification_id.as_deref().unwrap()).await.unwrap();
    assert_eq!((r.verified, r.reason.as_deref()), (false, Some("wrong_code")));
    let started = d.start_verification(ann).await.unwrap();
    phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await.unwrap();
    d.finish_verification(started.verification_id.as_deref().unwrap()).await.unwrap();
    // Three logins Ann refuses do: the push cap (3) now pauses pushes to her, verifications too.
    let app = ManagementClient::new(server.public_url(), &created.id, &created.secret).unwrap();
    let token = d.employee(ann).unwrap().token;
    for _ in 0..3 {
        app.authenticate_user(&token, &[], None).await.unwrap();
        phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await.unwrap();
    }
    let capped = d.start_verification(ann).await.unwrap();
    assert_eq!((capped.verification_id, capped.verification_code), (None, None));
    let r = capped.result.expect("decided at once");
    assert_eq!((r.verified, r.reason.as_deref()), (false, Some("too_many_pushes")));
    let (mut seen, mut alerts) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !alerts.contains(&AlertKind::PushCap) {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(MonitorEvent::Alert { alert })) => {
                if alert.kind == AlertKind::PushCap {
                    assert!(alert.message.contains("Ann"), "{}", alert.message);
                }
                alerts.push(alert.kind);
            }
            Ok(Some(MonitorEvent::Rows { rows })) => seen.extend(rows),
            Ok(Some(_)) => {}
            _ => panic!("no push-cap alert; alerts so far: {alerts:?}"),
        }
    }
    let audit: Vec<String> = d.audit_entries(50).unwrap().into_iter().map(|a| a.detail).collect();
    assert!(audit.iter().any(|x| x.contains("too_many_pushes")), "{audit:?}");

    // The server's own audit log, with Ann named from the book.
    let page = d.server_audit(None, 100).await.unwrap();
    let named: Vec<&str> =
        page.rows.iter().filter(|r| r.employee_name.as_deref() == Some("Ann")).map(|r| r.action.as_str()).collect();
    assert!(named.contains(&"device_registration_link"), "{:?}", page.rows);
    assert!(page.rows.iter().all(|r| r.source.as_deref() == Some("127.0.0.1")));

    stop.send(true).unwrap();
    task.await.unwrap();
    d.shutdown().await;
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_monitor_reconnects_after_a_server_restart_and_loses_or_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let on_port = |c: &mut iampass_server::Config| c.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let clock = Arc::new(iampass_proto::clock::SystemClock);
    let server = iampass_testkit::start_server(dir.path(), clock.clone(), on_port).await;
    let (created, _) = iampass_testkit::new_app(&server, "Desk", false).await;
    let d = Arc::new(
        Desk::open(DeskOptions {
            data_dir: dir.path().join("desk"),
            operator: "t".into(),
            secrets_in_file: true,
            idle_lock_secs: None,
            clock: std::sync::Arc::new(iampass_proto::clock::SystemClock),
            save_dir: dir.path().join("saved"),
        })
        .await
        .unwrap(),
    );
    d.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    let app = ManagementClient::new(server.public_url(), &created.id, &created.secret).unwrap();
    let (bob, phone) = enrolled(&d, "Bob").await;
    let token = d.employee(bob).unwrap().token;
    let (stop, mut rx, task) = monitor(&d);
    wait_connected(&mut rx, true).await;
    let first = app.authenticate_user(&token, &[], None).await.unwrap().authentication_status.session_id.unwrap();
    let (mut seen, mut alerts) = (Vec::new(), Vec::new());
    rows_until(&mut rx, &mut seen, &mut alerts, |s| !s.is_empty()).await;

    // The server goes away under the console, and comes back on the same address and data.
    server.stop().await.unwrap();
    wait_connected(&mut rx, false).await;
    let server = iampass_testkit::start_server(dir.path(), clock, on_port).await;
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await.unwrap();
    let second = app.authenticate_user(&token, &[], None).await.unwrap().authentication_status.session_id.unwrap();
    wait_connected(&mut rx, true).await;
    rows_until(&mut rx, &mut seen, &mut alerts, |s| s.iter().any(|(id, _, _)| *id == second)).await;
    // Let anything doubled arrive before judging.
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(MonitorEvent::Rows { rows }) = rx.try_recv() {
        seen.extend(rows.into_iter().map(|r| (r.session.session_id, r.session.status, r.employee_name)));
    }
    assert_eq!(statuses_of(&seen, &first), [Pending, Identifying, Active]);
    assert_eq!(statuses_of(&seen, &second), [Pending]);
    stop.send(true).unwrap();
    task.await.unwrap();
    server.stop().await.unwrap();
}
