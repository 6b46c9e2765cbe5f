//! Enrolling a phone: the QR code carries the link, the screen follows the binding, a lost phone, the kiosk.

use iampass_desk::KioskAction;

use super::*;
use iampass_proto::wire::AuthenticatorKind;

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
    // The name rides in the fragment, which no browser sends; the link the server made has none.
    let (server_part, fragment) = link.split_once('#').unwrap();
    assert!(!server_part.contains("Ann"), "the server never learns the name");
    assert_eq!(fragment, "name=Ann%20Lee");

    let waiting = d.wait_enrolled(ann.id, Duration::from_secs(20));
    let phone = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Phone::enroll(&link, "Ann's phone", "test").await.unwrap()
    };
    let (outcome, phone) = tokio::join!(waiting, phone);
    assert_eq!(outcome.unwrap(), EnrollmentOutcome::Enrolled);
    assert_eq!(phone.state().display_name.as_deref(), Some("Ann Lee"), "the phone read the name from the link");
    let ann = d.employee(ann.id).unwrap();
    assert_eq!(ann.state, EnrollmentState::Enrolled);
    assert!(ann.enrolled_at.is_some());
    // The server said what kind of phone bound: the reference app (a passkey has a synced flag).
    assert_eq!((ann.phone_kind, ann.phone_synced), (Some(AuthenticatorKind::App), None));
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
    let ticket = d.report_lost(bob.id).await.unwrap().expect("with the application's secret, a new code at once");
    assert_ne!(ticket.register_url, first.register_url);
    let lost = d.employee(bob.id).unwrap();
    assert_eq!((lost.state, lost.phone_kind), (EnrollmentState::Lost, None), "a lost phone's kind is forgotten");
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
async fn the_kiosk_pin_guards_leaving() {
    let dir = tempfile::tempdir().unwrap();
    let clock = std::sync::Arc::new(iampass_proto::clock::ManualClock::starting_now());
    let d = super::desk_with_clock(dir.path(), clock.clone()).await;
    assert!(!d.kiosk_pin_set().unwrap());
    assert!(d.set_kiosk_pin("12").is_err());
    d.set_kiosk_pin("482913").unwrap();
    assert!(matches!(d.check_kiosk_pin("000000", KioskAction::Leave), Err(DeskError::WrongPin)));
    d.check_kiosk_pin("482913", KioskAction::Leave).unwrap();
    assert_eq!(actions(&d), ["set_kiosk_pin error", "set_kiosk_pin ok", "leave_kiosk error", "leave_kiosk ok"]);
    // Five wrong PINs in a row lock it: even the right one waits.
    for _ in 0..5 {
        assert!(matches!(d.check_kiosk_pin("111111", KioskAction::Skip), Err(DeskError::WrongPin)));
    }
    assert!(matches!(d.check_kiosk_pin("482913", KioskAction::Skip), Err(DeskError::PinLocked(60))));
    // The lockout ends after its minute, not before.
    clock.advance_secs(59);
    assert!(matches!(d.check_kiosk_pin("482913", KioskAction::Skip), Err(DeskError::PinLocked(1))));
    clock.advance_secs(1);
    d.check_kiosk_pin("482913", KioskAction::Skip).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kiosk_enrolls_only_when_staff_confirm_and_keeps_a_link_already_sent() {
    let (d, _dir) = local_desk().await;
    d.set_kiosk_pin("482913").unwrap();
    let dee = d.add_employee(person("Dee", "D1")).await.unwrap();
    // Nobody without the PIN gets a code on the screen.
    assert!(matches!(d.kiosk_enroll(dee.id, "000000", false).await, Err(DeskError::WrongPin)));
    assert_eq!(d.employee(dee.id).unwrap().state, EnrollmentState::NotEnrolled);
    let first = d.kiosk_enroll(dee.id, "482913", false).await.unwrap();
    // A link is out now: the kiosk does not replace it unless staff say so.
    assert!(matches!(d.kiosk_enroll(dee.id, "482913", false).await, Err(DeskError::LinkOut(n)) if n == "Dee"));
    let second = d.kiosk_enroll(dee.id, "482913", true).await.unwrap();
    assert_ne!(first.register_url, second.register_url);
    let audit = actions(&d);
    assert!(
        audit.contains(&"kiosk_confirm_enrollment error".to_owned())
            && audit.contains(&"kiosk_confirm_enrollment ok".to_owned())
    );
    d.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_goes_by_e_mail_through_the_relay_with_its_qr_code() {
    use iampass_desk::{SmtpSecurity, SmtpSettings};
    let sink = iampass_testkit::smtp::SmtpSink::start().await;
    let (d, dir) = local_desk().await;
    let mut fields = person("Gus Grant", "G1");
    fields.email = "gus@corp.example".into();
    let gus = d.add_employee(fields).await.unwrap();
    let settings = |host: &str, security| SmtpSettings {
        host: host.into(),
        port: sink.port,
        security,
        username: "desk".into(),
        from: "IT help desk <helpdesk@corp.example>".into(),
        password_set: false,
    };
    // Not configured yet: a clear error, nothing sent.
    assert_eq!(d.email_link(gus.id).await.unwrap_err().to_ui().code, "invalid");
    // No TLS to a relay elsewhere: refused, the password would cross the network in the clear.
    assert!(d.set_smtp_settings(settings("smtp.corp.example", SmtpSecurity::None), None).is_err());
    let saved = d.set_smtp_settings(settings("127.0.0.1", SmtpSecurity::None), Some("relay-pass".into())).unwrap();
    assert!(saved.password_set);

    let sent = d.email_link(gus.id).await.unwrap();
    assert_eq!(sent.email, "gus@corp.example");
    let mail = sink.received();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, ["<gus@corp.example>"]);
    assert_eq!(mail[0].auth, Some(("desk".to_owned(), "relay-pass".to_owned())));
    // Quoted-printable: soft line breaks, and the fragment's `=` and `%` escaped.
    let data = mail[0].data.replace("=\r\n", "").replace("=3D", "=").replace("=25", "%");
    assert!(data.contains("Content-Type: image/png"), "the QR code is attached");
    let start = data.find("http://127.0.0.1:").unwrap();
    let link: String = data[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert_eq!(link, sent.register_url, "the screen shows the link that was sent");
    // The link in the message enrolls the phone.
    Phone::enroll(&link, "gus's phone", "test").await.unwrap();
    assert_eq!(d.wait_enrolled(gus.id, Duration::from_secs(10)).await.unwrap(), EnrollmentOutcome::Enrolled);
    // The relay's password is not in the book.
    let book = std::fs::read(dir.path().join("data/book.db")).unwrap();
    assert!(!book.windows(10).any(|w| w == b"relay-pass"));
    assert!(actions(&d).iter().any(|a| a == "email_link ok"));
    d.shutdown().await;
}
