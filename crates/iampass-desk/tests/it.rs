//! The console's core against a real server (the embedded one, or one started here) and the real
//! phone library. The phone reads its link from the QR picture, so the test proves the picture
//! carries it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use iampass_desk::book::{EmployeeQuery, EnrollmentState, NewEmployee};
use iampass_desk::enroll::{EnrollmentOutcome, EnrollmentTicket};
use iampass_desk::{Desk, DeskError, DeskOptions};
use iampass_device::Phone;

async fn desk(dir: &std::path::Path) -> Desk {
    Desk::open(DeskOptions {
        data_dir: dir.join("data"),
        operator: "tester".into(),
        secrets_in_file: true,
        save_dir: dir.join("saved"),
    })
    .await
    .unwrap()
}

async fn local_desk() -> (Desk, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(dir.path()).await;
    let status = d.start_local_server().await.unwrap();
    assert!(status.connected && status.profile.as_ref().unwrap().embedded);
    assert!(status.warning.unwrap().contains("private file"));
    (d, dir)
}

fn person(name: &str, number: &str) -> NewEmployee {
    NewEmployee {
        name: name.into(),
        employee_number: number.into(),
        email: String::new(),
        department: "Ops".into(),
        notes: String::new(),
    }
}

/// Reads the link back out of the ticket's PNG, as a phone's camera would.
fn scan(ticket: &EnrollmentTicket) -> String {
    let b64 = ticket.qr_png.strip_prefix("data:image/png;base64,").unwrap();
    let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    assert!(img.width() >= 720, "large enough to scan across a desk");
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    grids[0].decode().unwrap().1
}

fn actions(d: &Desk) -> Vec<String> {
    d.audit_entries(100).unwrap().into_iter().rev().map(|a| format!("{} {}", a.action, a.result)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_employee_enrolls_by_scanning_the_qr_code() {
    let (d, _dir) = local_desk().await;
    let ann = d.add_employee(person("Ann Lee", "E1")).await.unwrap();
    assert_eq!(ann.token.len(), 32);
    assert_eq!(ann.state, EnrollmentState::NotEnrolled);
    let ticket = d.start_enrollment(ann.id).await.unwrap();
    assert_eq!((ticket.name.as_str(), ticket.expires_in_seconds), ("Ann Lee", 600));
    let link = scan(&ticket);
    assert_eq!(link, ticket.register_url);
    assert!(!link.contains("Ann"), "the server never learns the name");

    let waiting = d.wait_enrolled(ann.id, Duration::from_secs(20));
    let phone = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Phone::enroll(&link, "Ann's phone", "test").await.unwrap()
    };
    let (outcome, _phone) = tokio::join!(waiting, phone);
    assert_eq!(outcome.unwrap(), EnrollmentOutcome::Enrolled);
    let ann = d.employee(ann.id).unwrap();
    assert_eq!(ann.state, EnrollmentState::Enrolled);
    assert!(ann.enrolled_at.is_some());
    // Already enrolled: answers at once.
    assert_eq!(d.wait_enrolled(ann.id, Duration::from_secs(5)).await.unwrap(), EnrollmentOutcome::Enrolled);
    assert_eq!(actions(&d), ["start_local_server ok", "add_employee ok", "issue_link ok", "enrolled ok"]);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_phone_is_disabled_and_a_new_code_shown() {
    let (d, _dir) = local_desk().await;
    let bob = d.add_employee(person("Bob", "")).await.unwrap();
    let first = d.start_enrollment(bob.id).await.unwrap();
    let phone = Phone::enroll(&scan(&first), "p", "t").await.unwrap();
    d.wait_enrolled(bob.id, Duration::from_secs(5)).await.unwrap();
    let ticket = d.report_lost(bob.id).await.unwrap();
    assert_ne!(ticket.register_url, first.register_url);
    assert_eq!(d.employee(bob.id).unwrap().state, EnrollmentState::Lost);
    assert!(phone.sessions().await.is_err(), "the lost phone no longer works");
    Phone::enroll(&scan(&ticket), "new", "t").await.unwrap();
    assert_eq!(d.wait_enrolled(bob.id, Duration::from_secs(5)).await.unwrap(), EnrollmentOutcome::Enrolled);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_expires_or_is_cancelled() {
    let (d, _dir) = local_desk().await;
    let cy = d.add_employee(person("Cy", "")).await.unwrap();
    d.start_enrollment(cy.id).await.unwrap();
    assert_eq!(d.wait_enrolled(cy.id, Duration::from_millis(300)).await.unwrap(), EnrollmentOutcome::Expired);
    let d = Arc::new(d);
    let waiting = tokio::spawn({
        let d = d.clone();
        async move { d.wait_enrolled(cy.id, Duration::from_secs(30)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    d.cancel_wait(cy.id);
    assert_eq!(waiting.await.unwrap().unwrap(), EnrollmentOutcome::Cancelled);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_an_employee_deletes_the_server_user_and_keeps_the_audit() {
    let (d, _dir) = local_desk().await;
    let e = d.add_employee(person("Di", "E4")).await.unwrap();
    d.remove_employee(e.id).await.unwrap();
    assert!(matches!(d.employee(e.id), Err(DeskError::NotFound(_))));
    let audit = d.audit_entries(10).unwrap();
    assert_eq!((audit[0].action.as_str(), audit[0].employee_name.as_str()), ("remove_employee", "Di"));
    // The token is gone from the server too: enrolling it again is impossible.
    let dup = d.add_employee(person("Di again", "E4")).await.unwrap();
    assert_ne!(dup.token, e.token);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_with_bad_rows_imports_nothing_and_a_good_one_everything() {
    let (d, dir) = local_desk().await;
    d.add_employee(person("Existing", "E1")).await.unwrap();
    let bad = "name,email,employee_number\nAnn,ann@corp.example,E2\n,nobody@corp.example,E3\nCy,cy@corp.example,E1\n";
    let preview = d.preview_import(bad).unwrap();
    assert_eq!((preview.valid, preview.invalid), (1, 2));
    assert!(matches!(d.import_employees(bad).await, Err(DeskError::Invalid(_))));
    assert_eq!(d.employees(&EmployeeQuery::default()).unwrap().len(), 1, "nothing half-written");

    let good = "name,email,employee_number,department\nAnn,ann@corp.example,E2,Sales\nCy,cy@corp.example,E3,Ops\n";
    let added = d.import_employees(good).await.unwrap();
    assert_eq!(added.len(), 2);
    assert_eq!(d.employees(&EmployeeQuery { search: "sales".into(), ..Default::default() }).unwrap()[0].name, "Ann");
    let path = d.export_employees().unwrap();
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(path.starts_with(dir.path().join("saved").to_str().unwrap()));
    assert_eq!(csv.lines().count(), 4);
    assert!(
        actions(&d).contains(&"import_employees error".to_owned())
            && actions(&d).contains(&"import_employees ok".to_owned())
    );
    let audit_csv = std::fs::read_to_string(d.export_audit().unwrap()).unwrap();
    assert!(audit_csv.contains("import_employees"));
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_the_console_restarts_its_local_server_with_the_same_application() {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(dir.path()).await;
    let first = d.start_local_server().await.unwrap().profile.unwrap();
    let e = d.add_employee(person("Ed", "")).await.unwrap();
    d.shutdown().await;
    drop(d);
    let again = desk(dir.path()).await;
    let status = again.status();
    assert!(status.connected);
    assert_eq!(status.profile.unwrap().application_id, first.application_id);
    // The server still knows the employee's token.
    again.start_enrollment(e.id).await.unwrap();
    again.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_credentials_and_a_dead_server_are_actionable_errors() {
    let (d, _dir) = local_desk().await;
    let url = d.status().profile.unwrap().server_url;
    let wrong = d.connect(&url, &"a".repeat(32), "WRONGSECRET").await.unwrap_err();
    assert_eq!(wrong.to_ui().code, "wrong_credentials");
    let dead = d.connect("http://127.0.0.1:9", &"a".repeat(32), "X").await.unwrap_err();
    let ui = dead.to_ui();
    assert_eq!(ui.code, "server_unreachable");
    assert!(ui.message.contains("127.0.0.1:9") && ui.action.contains("running"));
    assert_eq!(d.connect(&url, "short", "X").await.unwrap_err().to_ui().code, "invalid");
    // The earlier connection is untouched by failed attempts.
    assert!(d.status().profile.unwrap().embedded);
    d.shutdown().await;
    let e = d.add_employee(person("Fay", "")).await.unwrap_err();
    assert_eq!(e.to_ui().code, "server_unreachable");
    assert!(d.employees(&EmployeeQuery::default()).unwrap().is_empty(), "nothing half-written");
}

#[tokio::test(flavor = "multi_thread")]
async fn add_application_shows_the_credentials_once_and_connects() {
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let token = "operator-token-0123456789";
    let mut config = iampass_server::Config::with_db(dir.path().join("srv.db"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.admin_token_sha256 = Some(sha2::Sha256::digest(token).into());
    let server = iampass_server::start(config, Arc::new(iampass_proto::clock::SystemClock)).await.unwrap();
    let d = desk(dir.path()).await;
    assert_eq!(
        d.add_application(server.public_url(), "wrong-token-wrong", "Desk").await.unwrap_err().to_ui().code,
        "invalid"
    );
    let created = d.add_application(server.public_url(), token, "Help desk").await.unwrap();
    assert_eq!(created.application_id.len(), 32);
    assert!(created.status.connected);
    assert!(!format!("{:?}", d.status()).contains(&created.application_secret), "the status never repeats the secret");
    d.add_employee(person("Gus", "")).await.unwrap();
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kiosk_pin_guards_leaving() {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(dir.path()).await;
    assert!(!d.kiosk_pin_set().unwrap());
    assert!(d.set_kiosk_pin("12").is_err());
    d.set_kiosk_pin("482913").unwrap();
    assert!(matches!(d.check_kiosk_pin("000000"), Err(DeskError::WrongPin)));
    d.check_kiosk_pin("482913").unwrap();
    assert_eq!(actions(&d), ["set_kiosk_pin error", "set_kiosk_pin ok", "leave_kiosk error", "leave_kiosk ok"]);
}

mod dashboard {
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
    fn monitor(
        d: &Arc<Desk>,
    ) -> (watch::Sender<bool>, mpsc::UnboundedReceiver<MonitorEvent>, tokio::task::JoinHandle<()>) {
        let (stop, stop_rx) = watch::channel(false);
        let (tx, rx) = mpsc::unbounded_channel();
        let d = d.clone();
        let task = tokio::spawn(async move { d.run_monitor(move |e| drop(tx.send(e)), stop_rx).await });
        (stop, rx, task)
    }

    /// Collects (session id, status) of row changes until `done` says enough (bounded).
    async fn rows_until(
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
                Ok(Some(MonitorEvent::Connection { .. })) => {}
                _ => panic!("timed out; rows so far: {seen:?}"),
            }
        }
    }

    async fn wait_connected(rx: &mut mpsc::UnboundedReceiver<MonitorEvent>, want: bool) {
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
        assert!(alerts.contains(&AlertKind::Denied));

        // An integrating app logs Ann in; "log out everywhere" ends it.
        let profile = d.status().profile.unwrap();
        let secret =
            std::fs::read_to_string(dir.path().join(format!("data/secrets/{}.secret", profile.application_id)))
                .unwrap();
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
        let mut config = iampass_server::Config::with_db(dir.path().join("server.db"));
        config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        config.push_cap = 2;
        let server = iampass_server::start(config, Arc::new(iampass_proto::clock::SystemClock)).await.unwrap();
        let s = &server.state;
        let created = iampass_server::service::apps::create(&s.store, &s.sealer, "Desk", true, s.now()).await.unwrap();
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

        // A wrong code fails it; a denial too; then the push cap pauses pushes to Ann.
        let started = d.start_verification(ann).await.unwrap();
        let wrong = if started.verification_code.as_deref() == Some("00") { "01" } else { "00" };
        let answer = Answer::ApproveWithCode { methods: None, code: wrong.into() };
        phone.answer(&answer, 1, Duration::from_secs(10)).await.unwrap();
        let r = d.finish_verification(started.verification_id.as_deref().unwrap()).await.unwrap();
        assert_eq!((r.verified, r.reason.as_deref()), (false, Some("wrong_code")));
        let started = d.start_verification(ann).await.unwrap();
        phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await.unwrap();
        d.finish_verification(started.verification_id.as_deref().unwrap()).await.unwrap();
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
        let config = || {
            let mut c = iampass_server::Config::with_db(dir.path().join("server.db"));
            c.listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            c
        };
        let clock = Arc::new(iampass_proto::clock::SystemClock);
        let server = iampass_server::start(config(), clock.clone()).await.unwrap();
        let created = server.state.create_app("Desk").await.unwrap();
        let d = Arc::new(
            Desk::open(DeskOptions {
                data_dir: dir.path().join("desk"),
                operator: "t".into(),
                secrets_in_file: true,
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
        let server = iampass_server::start(config(), clock).await.unwrap();
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
}
