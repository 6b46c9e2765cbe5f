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
    let server = iampass_server::start(config, Arc::new(iampass_server::clock::SystemClock)).await.unwrap();
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
