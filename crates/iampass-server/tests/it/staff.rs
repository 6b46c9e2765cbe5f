//! Staff accounts: sign-in with a push to the staff member's own phone, bearer tokens and their
//! ends, and every role against every management route.

use std::time::Duration;

use futures_util::StreamExt as _;
use iampass_device::Answer;
use iampass_proto::client::{ManagementClient, StaffSignIn, default_http};
use iampass_proto::wire::*;
use iampass_server::http::permissions::ROUTES;
use iampass_server::store::prelude::*;
use iampass_testkit::{Kit, add_staff, base_url, error_of};

fn sign_in_client(k: &Kit) -> StaffSignIn {
    StaffSignIn::new(default_http(), &base_url(&k.server), &k.app_id).unwrap()
}

/// What a refused request must leave as it was: users, sessions, staff and settings.
async fn snapshot(k: &Kit) -> String {
    let users = k.app.users(None, Some(500)).await.unwrap();
    let sessions = k.app.sessions(&SessionsQuery::default()).await.unwrap();
    let mut staff = k.app.staff_list().await.unwrap();
    staff.iter_mut().for_each(|s| s.signed_in = 0);
    let settings = k.app.settings().await.unwrap();
    let book = k.app.book(0, None).await.unwrap();
    let desks = k.app.desks().await.unwrap();
    format!("{users:?}{sessions:?}{staff:?}{settings:?}{book:?}{desks:?}")
}

#[tokio::test]
async fn every_role_against_every_management_route() {
    for role in StaffRole::ALL {
        let k = Kit::start().await;
        k.enroll("emp").await;
        let (s, _) = k.login("emp", &[]).await;
        let session = s.session_id.unwrap();
        add_staff(&k.app, "victim", StaffRole::Kiosk).await;
        // Keep an admin besides the one under test, so removing or demoting is allowed.
        add_staff(&k.app, "other admin", StaffRole::Admin).await;
        let token = k.staff("tester", role).await.token;
        for rule in ROUTES {
            let path = rule
                .route
                .replace("{app}", &k.app_id)
                .replace("{user}", "emp")
                .replace("{session}", &session)
                .replace("{staff}", "victim")
                .replace("{desk}", "d")
                .replace("{recovery}", "r");
            let body = match rule.route {
                r if r.contains("add_users") || r.contains("delete_users") => serde_json::json!({"users": ["x"]}),
                r if r.contains("send_registration_sms") => serde_json::json!({"phone_number": "+15551234567"}),
                r if r.ends_with("/role") => serde_json::json!({"role": "helpdesk"}),
                r if r.ends_with("/staff") => serde_json::json!({"name": "new one", "role": "kiosk"}),
                r if r.ends_with("/settings") => {
                    serde_json::json!({"number_matching": false, "staff_token_seconds": 28800, "staff_idle_seconds": 900})
                }
                _ => serde_json::json!({}),
            };
            let method = reqwest::Method::from_bytes(rule.method.as_bytes()).unwrap();
            let before = snapshot(&k).await;
            let r = k.http.request(method, k.url(&path)).bearer_auth(&token).json(&body).send().await.unwrap();
            let allowed = iampass_server::domain::staff::allows(role, rule.needs);
            if allowed {
                // A staff member's link for an employee who had a phone needs a recovery: a
                // refusal of its own, not the role's. (Only a refusal's body is read: the event
                // stream's never ends.)
                let status = r.status().as_u16();
                assert!(status != 401, "{role} {} {}: {status}", rule.method, rule.route);
                if status == 403 {
                    let (_, err) = error_of(r).await;
                    assert_eq!(err.required_role, None, "{role} {} {}: refused for the role", rule.method, rule.route);
                }
            } else {
                let (code, err) = error_of(r).await;
                assert_eq!(code, 403, "{role} {} {}", rule.method, rule.route);
                assert_eq!(err.reason, "forbidden");
                assert_eq!(err.required_role, Some(iampass_server::domain::staff::least_role(rule.needs)));
                assert_eq!(snapshot(&k).await, before, "{role} {} {} changed something", rule.method, rule.route);
            }
        }
    }
}

#[tokio::test]
async fn sign_in_gives_the_token_once_and_deny_timeout_and_wrong_code_give_none() {
    let k = Kit::start().await;
    let (added, phone) = add_staff(&k.app, "Ana", StaffRole::Helpdesk).await;
    let c = sign_in_client(&k);

    // Approve: the token comes in the first answer after approval, never again.
    let started = c.start("ana").await.unwrap(); // names match without case
    assert_eq!(c.status(&started).await.unwrap().status, SignInState::Pending);
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    let first = c.status(&started).await.unwrap();
    assert_eq!(first.status, SignInState::Active);
    let token = first.token.clone().unwrap();
    assert!(!format!("{first:?}").contains(&token), "Debug output shows the token");
    let again = c.status(&started).await.unwrap();
    assert_eq!((again.status, again.token), (SignInState::Active, None));
    let me =
        ManagementClient::staff(default_http(), &base_url(&k.server), &k.app_id, &token).unwrap().me().await.unwrap();
    assert_eq!(
        (me.name.as_str(), me.role, me.staff_id.as_str()),
        ("Ana", StaffRole::Helpdesk, added.staff_id.as_str())
    );
    assert_eq!(me.idle_seconds, 900);

    // Deny.
    let denied = c.start("Ana").await.unwrap();
    phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(5)).await.unwrap();
    let s = c.status(&denied).await.unwrap();
    assert_eq!((s.status, s.token, s.reason.as_deref()), (SignInState::Cancelled, None, Some("denied")));

    // Nobody answers.
    let ignored = c.start("Ana").await.unwrap();
    k.advance(61);
    let s = c.status(&ignored).await.unwrap();
    assert_eq!((s.status, s.token), (SignInState::Timeout, None));

    // A sign-in id of another application, or made up, is unknown.
    let r = k.http.get(k.url(&format!("/console/v1/{}/sign_in/made-up", k.app_id))).send().await.unwrap();
    assert_eq!(error_of(r).await.1.error, "unknown_sign_in");
}

#[tokio::test]
async fn number_matching_sign_in_refuses_a_wrong_code() {
    let k = Kit::start().await;
    k.app
        .set_settings(&AppSettings { number_matching: true, staff_token_seconds: 28800, staff_idle_seconds: 900 })
        .await
        .unwrap();
    let (_, phone) = add_staff(&k.app, "Bo", StaffRole::Admin).await;
    let c = sign_in_client(&k);
    let started = c.start("Bo").await.unwrap();
    let code = started.verification_code.clone().unwrap();
    let wrong = format!("{:02}", (code.parse::<u32>().unwrap() + 1) % 100);
    phone.answer(&Answer::ApproveWithCode { methods: None, code: wrong }, 1, Duration::from_secs(5)).await.unwrap();
    let s = c.status(&started).await.unwrap();
    assert_eq!((s.status, s.token, s.reason.as_deref()), (SignInState::Failed, None, Some("wrong_code")));
    // Unknown names get a code too: the answer's shape never tells.
    assert!(c.start("nobody").await.unwrap().verification_code.is_some());
}

#[tokio::test]
async fn unknown_names_look_like_known_ones() {
    let k = Kit::start().await;
    add_staff(&k.app, "Cy", StaffRole::Kiosk).await;
    let url = k.url(&format!("/console/v1/{}/sign_in", k.app_id));
    let answer = |name: &'static str| {
        let req = k.http.post(&url).json(&serde_json::json!({ "staff": name }));
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            (status, keys, v)
        }
    };
    let (known_status, known_keys, _) = answer("Cy").await;
    let (unknown_status, unknown_keys, unknown) = answer("Nobody At All").await;
    assert_eq!((known_status, &known_keys), (unknown_status, &unknown_keys));
    assert_eq!(known_status, 202);
    let started: SignInStarted = serde_json::from_value(unknown).unwrap();
    let c = sign_in_client(&k);
    assert_eq!(c.status(&started).await.unwrap().status, SignInState::Pending);
    k.advance(61);
    assert_eq!(c.status(&started).await.unwrap().status, SignInState::Timeout);

    // Bad input: no body, malformed JSON, an empty name: 400 and nothing stored.
    let r = k.http.post(&url).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = k.http.post(&url).json(&serde_json::json!({"staff": "  "})).send().await.unwrap();
    assert_eq!(error_of(r).await.1.error, "invalid_staff_name");
    let r =
        k.http.post(k.url("/console/v1/nope/sign_in")).json(&serde_json::json!({"staff": "Cy"})).send().await.unwrap();
    assert_eq!(error_of(r).await.1.error, "unknown_application");
}

#[tokio::test]
async fn sign_ins_are_rate_limited_per_name() {
    let k = Kit::start().await;
    let c = sign_in_client(&k);
    for _ in 0..5 {
        c.start("Dee").await.unwrap();
    }
    let e = c.start("dee").await.unwrap_err();
    assert_eq!(e.http_status(), Some(429));
    // Another name is not held back by Dee's attempts.
    c.start("Eve").await.unwrap();
    // A staff member named by id shares the bucket of their name (issue 27: naming Ann by her id
    // was a second bucket, so twice the guesses).
    let (ann, _) = add_staff(&k.app, "Ann", StaffRole::Helpdesk).await;
    for _ in 0..5 {
        c.start("Ann").await.unwrap();
    }
    assert_eq!(c.start(&ann.staff_id).await.unwrap_err().http_status(), Some(429));
}

#[tokio::test]
async fn tokens_end_when_unused_or_expired() {
    let k = Kit::start().await;
    // Both sign in before the server's clock moves: phones sign their requests with real time.
    let idle = k.staff("idle", StaffRole::Helpdesk).await;
    let busy = k.staff("busy", StaffRole::Helpdesk).await;
    for round in 1..=39 {
        k.advance(720);
        busy.client.session_counts().await.unwrap();
        // Idle: used every 12 min it holds; left 24 min (over the 15) it ends.
        match round {
            1 | 2 => {
                idle.client.session_counts().await.unwrap();
            }
            4 => assert_eq!(idle.client.session_counts().await.unwrap_err().code(), Some("idle_timeout")),
            _ => {}
        }
    }
    // Absolute: eight hours, however busy.
    k.advance(720);
    assert_eq!(busy.client.session_counts().await.unwrap_err().code(), Some("signed_out"));
}

#[tokio::test]
async fn tokens_end_when_signed_out_removed_or_demoted() {
    let k = Kit::start().await;
    add_staff(&k.app, "keeper", StaffRole::Admin).await;

    // Sign-out.
    let out = k.staff("out", StaffRole::Auditor).await;
    out.client.sign_out().await.unwrap();
    assert_eq!(out.client.session_counts().await.unwrap_err().http_status(), Some(401));

    // Logging the sign-in out on the phone ends the token too.
    let phoned = k.staff("phoned", StaffRole::Auditor).await;
    let mine = phoned.phone.sessions().await.unwrap();
    phoned.phone.logout(&mine[0].session_id).await.unwrap();
    assert_eq!(phoned.client.session_counts().await.unwrap_err().code(), Some("signed_out"));

    // Role change and removal end live tokens at once.
    let demoted = k.staff("demoted", StaffRole::Admin).await;
    k.app.set_staff_role("demoted", StaffRole::Kiosk).await.unwrap();
    assert_eq!(demoted.client.users(None, None).await.unwrap_err().code(), Some("invalid_token"));
    let removed = k.staff("removed", StaffRole::Helpdesk).await;
    k.app.remove_staff(&removed.added.staff_id).await.unwrap();
    assert_eq!(removed.client.users(None, None).await.unwrap_err().code(), Some("invalid_token"));
    // Their phone no longer works either.
    assert!(removed.phone.sessions().await.is_err());

    // A wrong or made-up token: 401, whatever the route.
    let bogus = ManagementClient::staff(default_http(), &base_url(&k.server), &k.app_id, "made-up").unwrap();
    assert_eq!(bogus.users(None, None).await.unwrap_err().http_status(), Some(401));
}

#[tokio::test]
async fn the_last_admin_stays_and_names_are_unique() {
    let k = Kit::start().await;
    let admin = k.staff("Root", StaffRole::Admin).await;
    assert_eq!(k.app.remove_staff("root").await.unwrap_err().code(), Some("last_admin"));
    assert_eq!(admin.client.set_staff_role("Root", StaffRole::Helpdesk).await.unwrap_err().code(), Some("last_admin"));
    assert_eq!(admin.client.add_staff("ROOT", StaffRole::Kiosk).await.unwrap_err().code(), Some("staff_exists"));
    let list = admin.client.staff_list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!((list[0].phone, list[0].signed_in), (Some(AuthenticatorKind::App), 1));
}

#[tokio::test]
async fn staff_phones_are_out_of_reach_of_the_application_users() {
    let k = Kit::start().await;
    let kiosk = k.staff("kiosk", StaffRole::Kiosk).await;
    let admin_added = add_staff(&k.app, "boss", StaffRole::Admin).await.0;
    // A kiosk cannot get a registration link for an admin's phone: staff are not users.
    for who in [admin_added.staff_id.as_str(), "boss"] {
        assert_eq!(kiosk.client.registration_link(who, None).await.unwrap_err().code(), Some("unknown_user"));
    }
    assert!(k.app.users(None, None).await.unwrap().users.is_empty());
    // The realm is not an application anyone can sign as or list.
    let apps = k.server.state.store.apps().await.unwrap();
    assert_eq!(apps.len(), 1);
}

#[tokio::test]
async fn a_staff_event_stream_ends_with_the_sign_in() {
    let k = Kit::start().await;
    add_staff(&k.app, "keeper", StaffRole::Admin).await;
    let desk = k.staff("desk", StaffRole::Helpdesk).await;
    k.enroll("emp").await;
    let mut stream = Box::pin(desk.client.events(None).await.unwrap());
    k.app.add_users(&["someone".to_owned()]).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap();
    assert!(matches!(first, Some(Ok(_))));
    k.app.remove_staff("desk").await.unwrap();
    // The stream closes within a few seconds (re-checked every 2 s), bounded here at 20.
    let end = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(item) = stream.next().await {
            if item.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the stream outlived the sign-in");
}

#[tokio::test]
async fn the_audit_log_names_the_staff_member() {
    let k = Kit::start().await;
    let desk = k.staff("Fay", StaffRole::Helpdesk).await;
    k.enroll("emp").await;
    desk.client.logout_user("emp").await.unwrap();
    let refused = desk.client.delete_users(&["emp".to_owned()]).await.unwrap_err();
    assert_eq!(refused.http_status(), Some(403));
    let page = k.app.audit(None, None).await.unwrap();
    let by_fay: Vec<_> = page.records.iter().filter(|r| r.actor_name.as_deref() == Some("Fay")).collect();
    let actions: Vec<(&str, u16)> = by_fay.iter().map(|r| (r.action.as_str(), r.status)).collect();
    assert!(actions.contains(&("sign_in", 200)), "{actions:?}");
    assert!(actions.contains(&("logout_user", 200)), "{actions:?}");
    assert!(actions.contains(&("delete_users", 403)), "{actions:?}");
    assert!(by_fay.iter().all(|r| r.actor == "staff" && r.actor_id.as_deref() == Some(desk.added.staff_id.as_str())));
    // No token or sign-in id is in any record.
    let all = format!("{:?}", page.records);
    assert!(!all.contains(&desk.token));
}

#[tokio::test]
async fn verification_through_the_console_routes() {
    let k = Kit::start().await;
    let phone = k.enroll("caller").await;
    let desk = k.staff("Gil", StaffRole::Helpdesk).await;
    let started = desk.client.start_verification("caller").await.unwrap();
    let id = started.verification_id.unwrap();
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(desk.client.verification(&id).await.unwrap().status, SessionStatus::Active);
    // Read once; the login it made is over.
    assert_eq!(desk.client.verification(&id).await.unwrap().status, SessionStatus::Closed);
    // Cancel withdraws a push.
    let second = desk.client.start_verification("caller").await.unwrap().verification_id.unwrap();
    assert_eq!(desk.client.cancel_verification(&second).await.unwrap().status, SessionStatus::Cancelled);
    // No phone: no push, and the reason says so.
    k.app.add_users(&["nophone".to_owned()]).await.unwrap();
    let none = desk.client.start_verification("nophone").await.unwrap();
    assert_eq!((none.verification_id, none.reason.as_deref()), (None, Some("no_device")));
    assert_eq!(desk.client.verification("unknown").await.unwrap_err().code(), Some("unknown_session"));
    // A login is not a verification: these routes can neither read nor end it.
    let (login, _) = k.login("caller", &[]).await;
    let login_id = login.session_id.unwrap();
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(desk.client.verification(&login_id).await.unwrap_err().code(), Some("unknown_session"));
    assert_eq!(desk.client.cancel_verification(&login_id).await.unwrap_err().code(), Some("unknown_session"));
    let still = k.app.sessions(&SessionsQuery::default()).await.unwrap();
    assert_eq!(still.sessions.iter().find(|s| s.session_id == login_id).unwrap().status, SessionStatus::Active);
}

#[tokio::test]
async fn a_waiting_status_answers_as_soon_as_the_phone_approves() {
    let k = Kit::start().await;
    let (_, phone) = add_staff(&k.app, "Ivy", StaffRole::Auditor).await;
    let c = sign_in_client(&k);
    let started = c.start("Ivy").await.unwrap();
    let waiting = {
        let (c, started) = (c.clone(), started.clone());
        tokio::spawn(async move { c.wait(&started, 20).await })
    };
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    // Bounded: the wait must end with the approval, well before its 20 s.
    let status = tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap().unwrap();
    assert_eq!(status.status, SignInState::Active);
    assert!(status.token.is_some());
    let r = k.http.get(format!("{}?wait=soon", started.status_url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn a_verification_is_its_own_kind_of_push_with_its_own_cap() {
    let k = Kit::start().await;
    let phone = k.enroll("caller").await;
    let desk = k.staff("Jo", StaffRole::Helpdesk).await;
    // Five verifications denied: none counts toward the logins' push cap (5), none is a failed login.
    for _ in 0..5 {
        desk.client.start_verification("caller").await.unwrap();
        let answered = phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(5)).await.unwrap();
        assert_eq!(answered[0].request.purpose, RequestPurpose::Verification);
        assert_eq!(answered[0].request.verifier.as_deref(), Some("Jo"));
    }
    // They have a cap of their own: a sixth is held back (a verification storm is push fatigue
    // through the help desk), with the console's alert, and no push reaches the phone.
    let held = desk.client.start_verification("caller").await.unwrap();
    assert_eq!((held.verification_id, held.reason.as_deref()), (None, Some("too_many_verifications")));
    let alerts = k.server.state.store.all_events_after(0, 1000).await.unwrap();
    assert!(
        alerts.iter().any(|(_, e)| matches!(&e.data, EventData::User(u)
            if u.user_id == "caller" && u.change == UserChange::PushCapped)),
        "no alert for the verification storm"
    );
    let (login, _) = k.login("caller", &[]).await;
    assert!(login.session_token.is_some(), "a login still goes out: {login:?}");
    let answered = phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!((answered[0].request.purpose, answered[0].request.verifier.as_deref()), (RequestPurpose::Login, None));
    let listed = k.app.sessions(&SessionsQuery::default()).await.unwrap();
    assert_eq!(listed.sessions.iter().filter(|s| s.purpose == RequestPurpose::Verification).count(), 5);
}

#[tokio::test]
async fn staff_clear_a_push_cap_with_a_reason_that_is_audited() {
    let k = Kit::start().await;
    let phone = k.enroll("flooded").await;
    for _ in 0..5 {
        k.login("flooded", &[]).await;
        phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(5)).await.unwrap();
    }
    let refused = k.app.authenticate_user("flooded", &[], None).await.unwrap().authentication_status;
    assert_eq!(refused.reason.as_deref(), Some("too_many_pushes"));
    let desk = k.staff("Kay", StaffRole::Helpdesk).await;
    // A verification is held back by the cap too: the push would only add to the flood.
    let held = desk.client.start_verification("flooded").await.unwrap();
    assert_eq!((held.verification_id, held.reason.as_deref()), (None, Some("too_many_pushes")));
    // No reason, no clearing; a kiosk may not; then Kay clears it.
    assert_eq!(desk.client.clear_push_cap("flooded", " ").await.unwrap_err().code(), Some("invalid_reason"));
    let kiosk = k.staff("Kit", StaffRole::Kiosk).await;
    assert_eq!(kiosk.client.clear_push_cap("flooded", "checked the badge").await.unwrap_err().http_status(), Some(403));
    desk.client.clear_push_cap("flooded", "called back on the number in the HR file").await.unwrap();
    let (again, _) = k.login("flooded", &[]).await;
    assert!(again.session_token.is_some());
    let page = k.app.audit(None, None).await.unwrap();
    let cleared = page.records.iter().find(|r| r.action == "clear_push_cap" && r.status == 200).unwrap();
    assert_eq!(cleared.actor_name.as_deref(), Some("Kay"));
    assert_eq!(cleared.subject.as_deref(), Some("flooded"));
    assert_eq!(cleared.detail.as_deref(), Some("called back on the number in the HR file"));
}

/// A setting changed through this server applies to the very next signed request, however many
/// came before it: the application cache drops its entry with the commit.
#[tokio::test]
async fn a_setting_applies_to_the_next_signed_request() {
    let k = Kit::start().await;
    k.enroll("ada").await;
    let admin = k.staff("Root", StaffRole::Admin).await;
    for number_matching in [true, false, true] {
        // Signed requests before the change, so the application is held in memory.
        for _ in 0..5 {
            assert!(k.app.has_registered_mobile_device("ada").await.unwrap());
        }
        let settings = AppSettings { number_matching, staff_token_seconds: 28800, staff_idle_seconds: 900 };
        admin.client.set_settings(&settings).await.unwrap();
        let started = k.app.authenticate_user("ada", &[], None).await.unwrap();
        assert_eq!(
            started.authentication_status.verification_code.is_some(),
            number_matching,
            "number matching {number_matching}"
        );
    }
}

/// Only a login the user approved resets the push cap, not an approved caller verification: the
/// attack is someone with the password pushing, the victim calling the help desk and approving the
/// verification, and the pushes starting over. Four refused pushes, a verification approved, then
/// five logins: the first pushes (the cap's fifth), the other four are refused.
#[tokio::test]
async fn an_approved_verification_does_not_reset_the_push_cap() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    for _ in 0..4 {
        k.login("ann", &[]).await;
        phone.answer(&Answer::Deny { fraud: false }, 1, Duration::from_secs(5)).await.unwrap();
    }
    let desk = k.staff("Hal", StaffRole::Helpdesk).await;
    let id = desk.client.start_verification("ann").await.unwrap().verification_id.expect("under the cap: a push");
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(desk.client.verification(&id).await.unwrap().status, SessionStatus::Active);
    let mut pushed = 0;
    for _ in 0..5 {
        let status = k.app.authenticate_user("ann", &[], None).await.unwrap().authentication_status;
        if status.session_token.is_some() {
            pushed += 1;
        } else {
            assert_eq!(status.reason.as_deref(), Some("too_many_pushes"), "{status:?}");
        }
    }
    assert_eq!(pushed, 1, "the verification reset the push cap");
}
