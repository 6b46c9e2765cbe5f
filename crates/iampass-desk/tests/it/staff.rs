//! Staff sign-in in the console's core, against a real server and real CLI phones: each role gets
//! what it may do and a clear refusal for the rest; signing out, a wrong name and the local
//! server's first admin.

use iampass_proto::wire::StaffRole;
use iampass_testkit::{add_staff, new_app, start_server};

use super::*;

/// Signs `name` in on `d`, approving on `phone` as the staff member would.
async fn sign_in(d: &Desk, name: &str, phone: &Phone) -> iampass_desk::ConnectionStatus {
    let prompt = d.start_sign_in(name).await.unwrap();
    assert_eq!(prompt.verification_code, None);
    phone.answer(&iampass_device::Answer::Approve(None), 1, Duration::from_secs(10)).await.unwrap();
    d.finish_sign_in().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_signs_in_with_its_phone_and_gets_what_it_may_do() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |c| c.request_timeout_secs = 2).await;
    let (app, app_client) = new_app(&server, "Help desk", false).await;
    let mut phones = std::collections::HashMap::new();
    for (name, role) in [
        ("Ada", StaffRole::Admin),
        ("Hal", StaffRole::Helpdesk),
        ("Kim", StaffRole::Kiosk),
        ("Aud", StaffRole::Auditor),
    ] {
        phones.insert(name, add_staff(&app_client, name, role).await.1);
    }
    let d = desk(dir.path()).await;
    let status = d.use_staff_sign_in(server.public_url(), &app.id).await.unwrap();
    assert!(status.connected && status.needs_sign_in && status.staff.is_none());
    assert!(status.secret_store.is_none() && status.advice.is_none());
    assert_eq!(d.add_employee(person("Nobody", "")).await.unwrap_err().to_ui().code, "signed_out");

    // Admin: adds an employee, and a staff member whose phone enrolls from the QR code.
    let s = sign_in(&d, "ada", &phones["Ada"]).await;
    assert_eq!((s.staff.as_ref().unwrap().name.as_str(), s.staff.as_ref().unwrap().role), ("Ada", StaffRole::Admin));
    assert!(!s.needs_sign_in && s.access.staff && s.access.manage_employees);
    let emp = d.add_employee(person("Eve", "E1")).await.unwrap();
    let added = d.add_staff("New Kiosk", StaffRole::Kiosk).await.unwrap();
    let scanned = {
        let b64 = added.qr_png.strip_prefix("data:image/png;base64,").unwrap();
        let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        let mut img = rqrr::PreparedImage::prepare(image::load_from_memory(&png).unwrap().to_luma8());
        img.detect_grids()[0].decode().unwrap().1
    };
    let new_phone = Phone::enroll(&scanned, "kiosk phone", "test").await.unwrap();
    assert!(d.staff_list().await.unwrap().iter().any(|s| s.name == "New Kiosk" && s.phone.is_some()));
    d.set_staff_role(&added.staff_id, StaffRole::Helpdesk).await.unwrap();
    assert!(actions(&d).iter().any(|a| a.starts_with("add_staff")));
    assert_eq!(d.audit_entries(1).unwrap()[0].operator, "Ada", "the local audit names who is signed in");
    d.sign_out().await.unwrap();
    assert!(d.status().needs_sign_in);

    // Helpdesk: sessions and logout, and adding and editing employees in the team book; not
    // removing them, nor staff.
    let s = sign_in(&d, "Hal", &phones["Hal"]).await;
    assert!(s.access.sessions && s.access.logout && s.access.verify && !s.access.staff && s.access.manage_employees);
    assert!(!s.access.remove_employees && !s.access.desks);
    d.dashboard_page(None, None, None, 10).await.unwrap();
    d.logout_employee(emp.id).await.unwrap();
    let zed = d.add_employee(person("Zed", "")).await.unwrap();
    let zed = d.update_employee(zed.id, person("Zed Example", "Z1"), None).await.unwrap();
    assert_eq!((zed.version, zed.edited_by.as_str()), (2, "Hal"));
    assert_eq!(d.remove_employee(zed.id).await.unwrap_err().to_ui().code, "forbidden");
    let e = d.staff_list().await.unwrap_err().to_ui();
    assert!(e.code == "forbidden" && e.message.contains("admin role"), "{e:?}");
    d.sign_out().await.unwrap();

    // Kiosk: enrollment only; the console shows the kiosk and nothing else.
    let s = sign_in(&d, "Kim", &phones["Kim"]).await;
    assert!(s.access.kiosk_only && s.access.enroll && !s.access.sessions && !s.access.logout);
    let ticket = d.start_enrollment(emp.id).await.unwrap();
    assert!(scan(&ticket).contains("/register/"));
    assert_eq!(d.dashboard_page(None, None, None, 10).await.unwrap_err().to_ui().code, "forbidden");
    d.sign_out().await.unwrap();

    // Auditor: reads sessions and the audit log; changes nothing.
    let s = sign_in(&d, "Aud", &phones["Aud"]).await;
    assert!(s.access.audit && s.access.sessions && !s.access.logout && !s.access.enroll);
    let audit = d.server_audit(None, 50).await.unwrap();
    assert!(audit.rows.iter().any(|r| r.actor.contains("Hal")), "the server's audit names staff");
    assert_eq!(d.logout_employee(emp.id).await.unwrap_err().to_ui().code, "forbidden");
    d.sign_out().await.unwrap();

    // The staff member added from the console signs in with the phone enrolled from its QR code.
    let s = sign_in(&d, "New Kiosk", &new_phone).await;
    assert_eq!(s.staff.unwrap().role, StaffRole::Helpdesk);
    d.sign_out().await.unwrap();

    // A name nobody has: the phone never rings, and the console says so once the server gives up.
    d.start_sign_in("Nobody Here").await.unwrap();
    let e = d.finish_sign_in().await.unwrap_err().to_ui();
    assert!(e.code == "signed_out" && e.message.contains("no answer"), "{e:?}");

    // A refusal on the phone is said in words.
    d.start_sign_in("Hal").await.unwrap();
    phones["Hal"].answer(&iampass_device::Answer::Deny { fraud: false }, 1, Duration::from_secs(10)).await.unwrap();
    let e = d.finish_sign_in().await.unwrap_err().to_ui();
    assert!(e.message.contains("refused on the phone"), "{e:?}");

    // The staff profile survives a restart, without any token: sign in again.
    drop(d);
    let again = desk(dir.path()).await;
    let status = again.status();
    assert!(status.connected && status.needs_sign_in);
    let secrets = dir.path().join("data/secrets");
    let kept: Vec<String> =
        std::fs::read_dir(&secrets).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(
        kept.iter().all(|f| f == "desk-x25519.secret" || f.starts_with("book-key-")),
        "no application secret on a staff machine, only the desk's key and the book's: {kept:?}"
    );
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_local_server_makes_its_runner_the_first_admin_and_secret_profiles_can_switch() {
    let (d, _dir) = local_desk().await;
    let staff = d.staff_list().await.unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!((staff[0].name.as_str(), staff[0].role, staff[0].phone), ("tester", StaffRole::Admin, None));
    // The runner's phone link is one click away.
    let link = d.staff_link(&staff[0].staff_id).await.unwrap();
    assert!(link.register_url.contains("/register/"));
    // The local server keeps its secret: it is this computer's own.
    assert_eq!(d.switch_to_staff_sign_in().await.unwrap_err().to_ui().code, "invalid");
    // A restart does not add a second admin.
    d.start_local_server().await.unwrap();
    assert_eq!(d.staff_list().await.unwrap().len(), 1);
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_with_the_secret_is_told_how_to_switch_and_forgets_the_secret_when_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |_| {}).await;
    let (app, _) = new_app(&server, "Help desk", false).await;
    let d = desk(dir.path()).await;
    let status = d.connect(server.public_url(), &app.id, &app.secret).await.unwrap();
    let advice = status.advice.unwrap();
    assert!(advice.contains("Use staff sign-in") && advice.contains("exempt from the recovery rule"), "{advice}");
    assert_eq!(status.access, iampass_desk::Access::ALL);
    let status = d.switch_to_staff_sign_in().await.unwrap();
    assert!(status.needs_sign_in && status.secret_store.is_none() && status.advice.is_none());
    let secrets = dir.path().join("data/secrets");
    assert!(!secrets.join(format!("{}.secret", app.id)).exists(), "the secret is gone");
    assert!(secrets.join("desk-x25519.secret").exists(), "the desk's own key stays");
    server.stop().await.unwrap();
}
