//! Recovery: staff give an employee who has or had a phone a new one only on evidence the server
//! checks, a second recovery within a day holds further ones until an admin clears it, and every
//! refusal changes nothing.

use std::time::Duration;

use iampass_device::{Answer, Phone};
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::*;
use iampass_server::store::prelude::*;
use iampass_testkit::{Kit, SignedIn};

const WAIT: Duration = Duration::from_secs(5);

/// What a refused recovery must leave as it was: users and their phones, sessions and the
/// employee's recoveries, read by an admin (whose bearer token, unlike the application's
/// signature, does not mind the test's clock moving on).
async fn snapshot(admin: &ManagementClient, user: &str) -> String {
    let users = admin.users(None, Some(500)).await.unwrap();
    let sessions = admin.sessions(&SessionsQuery::default()).await.unwrap();
    let history = admin.recovery_history(user).await.unwrap();
    format!("{users:?}{sessions:?}{history:?}")
}

fn by_verification(id: &str) -> RecoveryEvidence {
    RecoveryEvidence::Verification { verification_id: id.to_owned() }
}

fn by_colleague(name: &str) -> RecoveryEvidence {
    RecoveryEvidence::SecondStaff { approver: name.to_owned() }
}

fn ask(user: &str, evidence: RecoveryEvidence) -> StartRecovery {
    StartRecovery {
        user_id: user.to_owned(),
        reason: "phone left in a taxi".to_owned(),
        check: RecoveryCheck::IdSeenAtDesk,
        evidence,
    }
}

/// A verification of `user` approved on `phone`; its id.
async fn verified(desk: &SignedIn, user: &str, phone: &Phone) -> String {
    let id = desk.client.start_verification(user).await.unwrap().verification_id.unwrap();
    phone.answer(&Answer::Approve(None), 1, WAIT).await.unwrap();
    assert_eq!(desk.client.verification(&id).await.unwrap().status, SessionStatus::Active);
    id
}

async fn refused(client: &ManagementClient, req: &StartRecovery) -> (u16, String) {
    let e = client.start_recovery(req).await.unwrap_err();
    (e.http_status().unwrap(), e.code().unwrap().to_owned())
}

#[tokio::test]
async fn staff_need_a_recovery_to_give_a_new_phone_and_stopping_one_needs_none() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let desk = k.staff("Hal", StaffRole::Helpdesk).await;
    let kiosk = k.staff("Kim", StaffRole::Kiosk).await;
    let ada = k.staff("Ada", StaffRole::Admin).await;
    let before = snapshot(&ada.client, "ann").await;
    for client in [&desk.client, &kiosk.client] {
        let e = client.registration_link("ann", None).await.unwrap_err();
        assert_eq!((e.http_status(), e.code()), (Some(403), Some("recovery_needs_evidence")), "{e}");
    }
    let e = desk.client.lost_user_mobile_device("ann").await.unwrap_err();
    assert_eq!(e.code(), Some("recovery_needs_evidence"));
    assert_eq!(snapshot(&ada.client, "ann").await, before, "a refused link changed something");
    assert!(desk.client.has_registered_mobile_device("ann").await.unwrap());

    // Stopping the phone takes access away: immediate, no evidence, and it stays stopped.
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, WAIT).await.unwrap();
    assert!(desk.client.stop_phone("ann").await.unwrap().status);
    assert!(!desk.client.has_registered_mobile_device("ann").await.unwrap());
    assert_eq!(session.status().await.unwrap().session_status, SessionStatus::Closed);
    // Having had a phone is enough: a link still needs a recovery.
    assert_eq!(desk.client.registration_link("ann", None).await.unwrap_err().code(), Some("recovery_needs_evidence"));

    // A first enrollment needs none, from the kiosk too; the application's own API is unchanged.
    k.app.add_users(&["new".to_owned()]).await.unwrap();
    assert!(kiosk.client.registration_link("new", None).await.unwrap().status);
    assert!(k.app.registration_link("ann", None).await.unwrap().status);
    assert!(k.app.lost_user_mobile_device("ann").await.unwrap().status);
    // An application signing with its secret owns its users' recovery: these routes are staff's.
    let e = k.app.start_recovery(&ask("ann", by_colleague("Hal"))).await.unwrap_err();
    assert_eq!(e.code(), Some("staff_only"));
}

#[tokio::test]
async fn a_fresh_verification_of_the_same_employee_backs_one_recovery() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let other = k.enroll("bob").await;
    let desk = k.staff("Hal", StaffRole::Helpdesk).await;
    let ada = k.staff("Ada", StaffRole::Admin).await;

    // Evidence that does not hold: refused with its reason, nothing changed.
    let of_bob = verified(&desk, "bob", &other).await;
    let before = snapshot(&ada.client, "ann").await;
    for (evidence, status, code) in [
        (by_verification("nope"), 403, "unknown_verification"),
        (by_verification(&of_bob), 403, "verification_of_another_user"),
    ] {
        assert_eq!(refused(&desk.client, &ask("ann", evidence)).await, (status, code.to_owned()));
        assert_eq!(snapshot(&ada.client, "ann").await, before, "a refused recovery ({code}) changed something");
    }
    let bad_reason = StartRecovery { reason: "x".into(), ..ask("ann", by_verification(&of_bob)) };
    assert_eq!(refused(&desk.client, &bad_reason).await, (400, "invalid_reason".to_owned()));

    // A fresh one is evidence at once, for one recovery.
    let fresh = verified(&desk, "ann", &phone).await;
    let approved = desk.client.start_recovery(&ask("ann", by_verification(&fresh))).await.unwrap();
    assert_eq!((approved.state, approved.evidence.as_str()), (RecoveryState::Approved, "verification"));
    assert!(approved.usable_until.is_some());
    assert_eq!(
        refused(&desk.client, &ask("ann", by_verification(&fresh))).await,
        (409, "verification_used".to_owned())
    );

    let link = desk.client.recovery_link(&approved.recovery_id).await.unwrap();
    let e = desk.client.recovery_link(&approved.recovery_id).await.unwrap_err();
    assert_eq!(e.code(), Some("recovery_not_approved"), "a recovery gives one link");
    let new_phone = Phone::enroll(&link.register_url, "new phone", "test").await.unwrap();
    let (_, _) = k.login("ann", &[]).await;
    new_phone.answer(&Answer::Approve(None), 1, WAIT).await.unwrap();

    // The link's audit record carries its evidence; the history shows the recovery.
    let audit = ada.client.audit(None, None).await.unwrap();
    let record =
        audit.records.iter().find(|r| r.action == "recovery_link" && r.status == 200).expect("recovery_link audited");
    let detail = record.detail.as_deref().unwrap_or_default();
    assert!(detail.contains(&format!("verification {fresh}")) && detail.contains("ID seen at the desk"), "{detail}");
    assert_eq!(record.actor_name.as_deref(), Some("Hal"));
    let history = desk.client.recovery_history("ann").await.unwrap();
    assert_eq!(history.recoveries.len(), 1);
    assert_eq!(history.recoveries[0].state, RecoveryState::Used);
    assert!(history.recoveries[0].link_issued_at.is_some());
}

#[tokio::test]
async fn a_verification_unanswered_or_older_than_ten_minutes_is_no_evidence() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let desk = k.staff("Hal", StaffRole::Helpdesk).await;
    let ada = k.staff("Ada", StaffRole::Admin).await;
    let old = verified(&desk, "ann", &phone).await;
    let pending = desk.client.start_verification("ann").await.unwrap().verification_id.unwrap();
    assert_eq!(
        refused(&desk.client, &ask("ann", by_verification(&pending))).await,
        (403, "verification_not_approved".to_owned())
    );
    // The phone's own signatures would be stale past this: it answers nothing more.
    k.advance(10 * 60 + 1);
    let before = snapshot(&ada.client, "ann").await;
    assert_eq!(
        refused(&desk.client, &ask("ann", by_verification(&old))).await,
        (403, "verification_too_old".to_owned())
    );
    assert_eq!(
        refused(&desk.client, &ask("ann", by_verification(&pending))).await,
        (403, "verification_not_approved".to_owned())
    );
    assert_eq!(snapshot(&ada.client, "ann").await, before);
}

#[tokio::test]
async fn a_second_staff_member_approves_on_their_own_phone() {
    let k = Kit::start().await;
    k.enroll("ann").await;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await;
    let bea = k.staff("Bea", StaffRole::Helpdesk).await;
    let kim = k.staff("Kim", StaffRole::Kiosk).await;
    let ada = k.staff("Ada", StaffRole::Admin).await;

    // Not oneself, not a role that cannot recover; nothing is pushed for either.
    let before = snapshot(&ada.client, "ann").await;
    assert_eq!(refused(&hal.client, &ask("ann", by_colleague("Hal"))).await, (403, "self_approval".to_owned()));
    assert_eq!(refused(&hal.client, &ask("ann", by_colleague("Kim"))).await, (403, "approver_not_allowed".to_owned()));
    assert_eq!(refused(&hal.client, &ask("ann", by_colleague("Zed"))).await, (404, "unknown_staff".to_owned()));
    assert_eq!(snapshot(&ada.client, "ann").await, before);
    assert!(hal.phone.pending(Duration::ZERO).await.unwrap().is_empty());
    assert!(kim.phone.pending(Duration::ZERO).await.unwrap().is_empty());
    // Kiosk and auditor tokens cannot ask at all.
    let e = kim.client.start_recovery(&ask("ann", by_colleague("Bea"))).await.unwrap_err();
    assert_eq!(e.http_status(), Some(403));

    let started = hal.client.start_recovery(&ask("ann", by_colleague("Bea"))).await.unwrap();
    assert_eq!((started.state, started.approver.as_deref()), (RecoveryState::Waiting, Some("Bea")));
    assert!(started.answer_by.is_some());
    assert_eq!(hal.client.recovery_link(&started.recovery_id).await.unwrap_err().code(), Some("recovery_not_approved"));

    // Bea's phone shows who asks, for whom, why and what was checked.
    let answered = bea.phone.answer(&Answer::Approve(None), 1, WAIT).await.unwrap();
    let request = &answered[0].request;
    assert_eq!(request.purpose, RequestPurpose::RecoveryApproval);
    let shown = request.recovery.as_ref().expect("the recovery's details");
    assert_eq!(
        (shown.requested_by.as_str(), shown.user_id.as_str(), shown.reason.as_str(), shown.check),
        ("Hal", "ann", "phone left in a taxi", RecoveryCheck::IdSeenAtDesk)
    );
    let approved = hal.client.recovery(&started.recovery_id).await.unwrap();
    assert_eq!(approved.state, RecoveryState::Approved);
    // The approval signed nobody in: its push's login ended at once.
    let sessions = k.app.sessions(&SessionsQuery::default()).await.unwrap();
    assert!(sessions.sessions.iter().all(|s| s.purpose != RequestPurpose::RecoveryApproval));
    // Only the one who asked takes the link.
    assert_eq!(
        bea.client.recovery_link(&started.recovery_id).await.unwrap_err().code(),
        Some("recovery_of_another_staff_member")
    );
    assert!(hal.client.recovery_link(&started.recovery_id).await.unwrap().status);
    let audit = k.app.audit(None, None).await.unwrap();
    let detail =
        audit.records.iter().find(|r| r.action == "recovery_link" && r.status == 200).and_then(|r| r.detail.clone());
    let detail = detail.unwrap();
    assert!(detail.contains("approved by Bea"), "{detail}");
}

#[tokio::test]
async fn a_refused_or_late_approval_gives_no_link() {
    let k = Kit::start().await;
    for user in ["ann", "bob", "cy"] {
        k.enroll(user).await;
    }
    let hal = k.staff("Hal", StaffRole::Helpdesk).await;
    let bea = k.staff("Bea", StaffRole::Admin).await;

    let denied = hal.client.start_recovery(&ask("ann", by_colleague("Bea"))).await.unwrap();
    bea.phone.answer(&Answer::Deny { fraud: false }, 1, WAIT).await.unwrap();
    assert_eq!(hal.client.recovery(&denied.recovery_id).await.unwrap().state, RecoveryState::Refused);
    assert_eq!(hal.client.recovery_link(&denied.recovery_id).await.unwrap_err().code(), Some("recovery_not_approved"));

    let unanswered = hal.client.start_recovery(&ask("bob", by_colleague("Bea"))).await.unwrap();
    k.advance(120);
    assert_eq!(hal.client.recovery(&unanswered.recovery_id).await.unwrap().state, RecoveryState::Refused);

    let slow = hal.client.start_recovery(&ask("cy", by_colleague("Bea"))).await.unwrap();
    bea.phone.answer(&Answer::Approve(None), 1, WAIT).await.unwrap();
    assert_eq!(hal.client.recovery(&slow.recovery_id).await.unwrap().state, RecoveryState::Approved);
    k.advance(10 * 60 + 1);
    assert_eq!(hal.client.recovery_link(&slow.recovery_id).await.unwrap_err().code(), Some("recovery_expired"));
    assert_eq!(hal.client.recovery(&slow.recovery_id).await.unwrap().state, RecoveryState::Expired);
    assert_eq!(hal.client.recovery("nope").await.unwrap_err().code(), Some("unknown_recovery"));
}

#[tokio::test]
async fn a_second_recovery_within_a_day_is_held_until_an_admin_clears_it() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await;
    let bea = k.staff("Bea", StaffRole::Helpdesk).await;
    let ada = k.staff("Ada", StaffRole::Admin).await;

    let first = hal.client.start_recovery(&ask("ann", by_verification(&verified(&hal, "ann", &phone).await))).await;
    hal.client.recovery_link(&first.unwrap().recovery_id).await.unwrap();

    // The second within 24 h holds: refused, no push to the approver, an alert on the stream.
    let before = snapshot(&ada.client, "ann").await;
    let (status, code) = refused(&bea.client, &ask("ann", by_colleague("Hal"))).await;
    assert_eq!((status, code.as_str()), (409, "recovery_on_hold"));
    assert!(hal.phone.pending(Duration::ZERO).await.unwrap().is_empty());
    let after = snapshot(&ada.client, "ann").await;
    assert_ne!(after, before, "the hold is recorded");
    let history = ada.client.recovery_history("ann").await.unwrap();
    let hold = history.hold.expect("held");
    assert!(hold.why.contains("second recovery"), "{}", hold.why);
    let events = k.server.state.store.all_events_after(0, 1000).await.unwrap();
    assert!(events.iter().any(|(_, e)| matches!(&e.data, EventData::Recovery(r)
        if r.user_id == "ann" && r.change == RecoveryChange::Held && r.by.as_deref() == Some("Bea"))));
    // Held, it stays refused, whoever asks.
    assert_eq!(refused(&hal.client, &ask("ann", by_colleague("Bea"))).await.1, "recovery_on_hold");
    assert_eq!(snapshot(&ada.client, "ann").await, after);

    // Only an admin clears it, with a reason, audited; then recovery goes ahead again.
    let e = hal.client.clear_recovery_hold("ann", "checked with the manager").await.unwrap_err();
    assert_eq!(e.http_status(), Some(403));
    let e = ada.client.clear_recovery_hold("ann", "x").await.unwrap_err();
    assert_eq!(e.code(), Some("invalid_reason"));
    assert!(ada.client.clear_recovery_hold("ann", "checked with the manager").await.unwrap().status);
    assert_eq!(ada.client.clear_recovery_hold("ann", "again, by mistake").await.unwrap_err().code(), Some("no_hold"));
    let audit = ada.client.audit(None, None).await.unwrap();
    let cleared = audit.records.iter().find(|r| r.action == "recovery_hold_cleared" && r.status == 200).unwrap();
    assert_eq!(
        (cleared.actor_name.as_deref(), cleared.detail.as_deref()),
        (Some("Ada"), Some("checked with the manager"))
    );
    let again = bea.client.start_recovery(&ask("ann", by_colleague("Hal"))).await.unwrap();
    assert_eq!(again.state, RecoveryState::Waiting);
}

#[tokio::test]
async fn a_verification_refused_on_the_phone_holds_the_recoveries_that_follow() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await;
    let bea = k.staff("Bea", StaffRole::Helpdesk).await;
    hal.client.start_verification("ann").await.unwrap();
    phone.answer(&Answer::Deny { fraud: false }, 1, WAIT).await.unwrap();
    let (status, code) = refused(&hal.client, &ask("ann", by_colleague("Bea"))).await;
    assert_eq!((status, code.as_str()), (409, "recovery_on_hold"));
    assert!(bea.phone.pending(Duration::ZERO).await.unwrap().is_empty(), "nothing pushed to the approver");
    let hold = hal.client.recovery_history("ann").await.unwrap().hold.unwrap();
    assert!(hold.why.contains("refused on the phone"), "{}", hold.why);
}

#[tokio::test]
async fn one_staff_member_asking_for_many_recoveries_raises_an_alert() {
    let k = Kit::start().await;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await;
    k.staff("Bea", StaffRole::Helpdesk).await;
    for user in ["a1", "a2", "a3", "a4"] {
        k.enroll(user).await;
        hal.client.start_recovery(&ask(user, by_colleague("Bea"))).await.unwrap();
    }
    let events = k.server.state.store.all_events_after(0, 1000).await.unwrap();
    let alerts: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match &e.data {
            EventData::Recovery(r) if r.change == RecoveryChange::ManyRequests => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(alerts.len(), 1, "the fourth within an hour (the default allows three): {alerts:?}");
    assert_eq!((alerts[0].user_id.as_str(), alerts[0].by.as_deref()), ("a4", Some("Hal")));
    assert!(alerts[0].detail.as_deref().unwrap_or_default().contains("4 recoveries"));
}
