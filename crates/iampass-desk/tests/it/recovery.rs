//! Recovering a lost phone from a desk signed in as staff: the phone stops at once, a new link
//! comes only through a recovery a second staff member approves on their phone, and the employee
//! enrolls the new phone from its QR code.

use iampass_device::Answer;
use iampass_proto::wire::{RecoveryCheck, RecoveryEvidence, RecoveryState, StaffRole};
use iampass_testkit::{add_staff, new_app, start_server};

use super::*;

async fn sign_in(d: &Desk, name: &str, phone: &Phone) {
    d.start_sign_in(name).await.unwrap();
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await.unwrap();
    d.finish_sign_in().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_phone_is_recovered_with_a_second_staff_members_approval() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |_| {}).await;
    let (app, app_client) = new_app(&server, "Help desk", false).await;
    let (_, ada) = add_staff(&app_client, "Ada", StaffRole::Admin).await;
    let (_, hal) = add_staff(&app_client, "Hal", StaffRole::Helpdesk).await;
    let (_, bea) = add_staff(&app_client, "Bea", StaffRole::Helpdesk).await;
    let d = desk(dir.path()).await;
    d.use_staff_sign_in(server.public_url(), &app.id).await.unwrap();

    // The admin's desk makes the team book and enrolls Ann's first phone (no evidence needed).
    sign_in(&d, "Ada", &ada).await;
    let ann = d.add_employee(person("Ann Lee", "E1")).await.unwrap();
    let first = d.start_enrollment(ann.id).await.unwrap();
    let old_phone = Phone::enroll(&scan(&first), "old", "t").await.unwrap();
    d.wait_enrolled(ann.id, Duration::from_secs(5)).await.unwrap();
    d.sign_out().await.unwrap();

    sign_in(&d, "Hal", &hal).await;
    assert!(d.status().access.recover && !d.status().access.recovery_exempt);
    // Phone lost: stopped at once, and no link comes with it.
    assert!(d.report_lost(ann.id).await.unwrap().is_none());
    assert_eq!(d.employee(ann.id).unwrap().state, EnrollmentState::Lost);
    assert!(old_phone.sessions().await.is_err(), "the lost phone no longer works");
    let refused = d.start_enrollment(ann.id).await.unwrap_err().to_ui();
    assert_eq!(refused.code, "recovery_needs_evidence", "{refused:?}");

    // Bea approves on her phone, seeing who asks, for whom and why; Hal takes the link.
    let evidence = RecoveryEvidence::SecondStaff { approver: "Bea".into() };
    let asked = d.start_recovery(ann.id, evidence, RecoveryCheck::CalledBackNumberOnFile, "lost phone").await.unwrap();
    assert_eq!(asked.state, RecoveryState::Waiting);
    let answered = bea.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await.unwrap();
    let shown = answered[0].request.recovery.clone().unwrap();
    assert_eq!((shown.requested_by.as_str(), shown.user_id.as_str()), ("Hal", ann.token.as_str()));
    assert_eq!(d.recovery_status(&asked.recovery_id).await.unwrap().state, RecoveryState::Approved);
    let ticket = d.recovery_ticket(ann.id, &asked.recovery_id).await.unwrap();
    Phone::enroll(&scan(&ticket), "new", "t").await.unwrap();
    assert_eq!(d.wait_enrolled(ann.id, Duration::from_secs(5)).await.unwrap(), EnrollmentOutcome::Enrolled);

    let history = d.recovery_history(ann.id).await.unwrap();
    assert_eq!(history.recoveries.len(), 1);
    assert_eq!(
        (history.recoveries[0].state, history.recoveries[0].approver.as_deref()),
        (RecoveryState::Used, Some("Bea"))
    );
    let done = actions(&d);
    for action in ["report_lost_device ok", "recovery_requested ok", "recovery_link ok", "enrolled ok"] {
        assert!(done.iter().any(|a| a == action), "{action} in {done:?}");
    }
    // The employee's name never reached the server: the recovery names their user id only.
    assert!(!format!("{history:?}").contains("Ann"));
    d.shutdown().await;
}
