//! The login lifecycle with the real phone library: approve, deny, fraud, timeout, walkaway,
//! expiry, logout from every side; and the phone's signatures refused when forged or replayed.

use iampass_server::store::prelude::*;
use std::time::Duration;

use iampass_device::Answer;
use iampass_proto::wire::{Method, SessionStatus::*};

use iampass_testkit::{Kit, error_of};

const FIVE: Duration = Duration::from_secs(5);

#[tokio::test]
async fn approve_then_logout_by_the_application() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (started, session) = k.login("ann", &[Method::Acceptance, Method::Device]).await;
    assert_eq!((started.authenticated, started.session_status), (true, Pending));
    assert!(started.status_url.as_deref().unwrap().starts_with(k.server.public_url()));
    let answered = phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    assert_eq!(answered[0].request.methods, vec![Method::Acceptance, Method::Device]);
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.authenticated), (Active, true));
    assert_eq!(st.authentication_status.session_status, Active);
    assert!(session.logout().await.unwrap().status);
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref(), st.authenticated), (Closed, Some("logout"), false));
    assert!(session.logout().await.unwrap().status, "logging out twice is harmless");
}

#[tokio::test]
async fn no_device_means_the_login_does_not_start() {
    let k = Kit::start().await;
    k.app.add_users(&["bob".into()]).await.unwrap();
    let r = k
        .signed(reqwest::Method::POST, &format!("/authentication/authenticate_user/{}/bob", k.app_id))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: iampass_proto::wire::AuthenticateResponse = r.json().await.unwrap();
    let s = body.authentication_status;
    assert_eq!((s.authenticated, s.reason.as_deref(), s.session_token), (false, Some("no_device"), None));
}

#[tokio::test]
async fn deny_fraud_and_unsatisfied_methods() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (_, s1) = k.login("ann", &[]).await;
    phone.answer(&Answer::Deny { fraud: false }, 1, FIVE).await.unwrap();
    assert_eq!(s1.status().await.unwrap().session_status, Cancelled);
    let (_, s2) = k.login("ann", &[]).await;
    phone.answer(&Answer::Deny { fraud: true }, 1, FIVE).await.unwrap();
    let st = s2.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Failed, Some("fraud")));
    let (_, s3) = k.login("ann", &[Method::Acceptance, Method::Facial]).await;
    phone.answer(&Answer::Approve(Some(vec![Method::Acceptance])), 1, FIVE).await.unwrap();
    let st = s3.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Failed, Some("method_not_satisfied")));
}

#[tokio::test]
async fn silence_times_out_and_a_late_answer_is_refused() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (started, session) = k.login("ann", &[]).await;
    k.advance(59);
    k.sweep().await;
    assert_eq!(session.status().await.unwrap().session_status, Pending);
    k.advance(2);
    assert_eq!(k.sweep().await, 1);
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Timeout, Some("no_answer")));
    let client = phone_client(&k, &phone);
    let late = client.answer(started.session_id.as_deref().unwrap(), &approve()).await.unwrap_err();
    assert_eq!(late.http_status(), Some(409));
}

fn approve() -> iampass_proto::wire::AnswerRequest {
    iampass_proto::wire::AnswerRequest {
        decision: iampass_proto::wire::Decision::Approve,
        methods: vec![Method::Acceptance],
        fraud: false,
        code: None,
    }
}

fn phone_client(k: &Kit, phone: &iampass_device::Phone) -> iampass_proto::client::DeviceClient {
    let s = phone.state();
    iampass_proto::client::DeviceClient::new(k.http.clone(), &s.server, &s.device_id, s.signing_key().unwrap()).unwrap()
}

#[tokio::test]
async fn number_matching_needs_the_code_from_the_login_screen() {
    let k = Kit::start().await;
    let state = &k.server.state;
    let app = iampass_server::service::apps::create(&state.store, &state.sealer, "Matching", true, state.now())
        .await
        .unwrap();
    let client = iampass_proto::client::ManagementClient::new(k.server.public_url(), &app.id, &app.secret).unwrap();
    client.add_users(&["ann".into()]).await.unwrap();
    let link = client.registration_link("ann", None).await.unwrap();
    let phone = iampass_device::Phone::enroll(&link.register_url, "p", "t").await.unwrap();
    let start = || async {
        let s = client.authenticate_user("ann", &[], None).await.unwrap().authentication_status;
        let code = s.verification_code.clone().expect("a code for the login screen");
        assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()));
        (iampass_proto::client::SessionClient::from_status(k.http.clone(), &s).unwrap(), code)
    };
    let (s1, _) = start().await;
    let answered = phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    assert!(answered[0].request.code_required);
    let st = s1.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Failed, Some("wrong_code")), "approve-only is refused");
    let (s2, code) = start().await;
    let wrong = format!("{:02}", (code.parse::<u32>().unwrap() + 1) % 100);
    phone.answer(&Answer::ApproveWithCode { methods: None, code: wrong }, 1, FIVE).await.unwrap();
    assert_eq!(s2.status().await.unwrap().reason.as_deref(), Some("wrong_code"));
    let (s3, code) = start().await;
    phone.answer(&Answer::ApproveWithCode { methods: None, code }, 1, FIVE).await.unwrap();
    assert_eq!(s3.status().await.unwrap().session_status, Active);
    // Applications without number matching hand out no code and ask for none.
    let phone2 = k.enroll("bob").await;
    let plain = k.app.authenticate_user("bob", &[], None).await.unwrap().authentication_status;
    assert_eq!(plain.verification_code, None);
    assert!(!phone2.answer(&Answer::Approve(None), 1, FIVE).await.unwrap()[0].request.code_required);
}

#[tokio::test]
async fn the_push_cap_stops_a_flood_and_a_successful_login_resets_it() {
    let k = Kit::start_with(|c| c.push_cap_window_secs = 120).await;
    let phone = k.enroll("ann").await;
    for _ in 0..5 {
        k.login("ann", &[]).await;
        phone.answer(&Answer::Deny { fraud: false }, 1, FIVE).await.unwrap();
    }
    let refused = k.app.authenticate_user("ann", &[], None).await.unwrap().authentication_status;
    assert_eq!((refused.authenticated, refused.reason.as_deref()), (false, Some("too_many_pushes")));
    k.app.authenticate_user("ann", &[], None).await.unwrap();
    // One `push_capped` event (the console's alert) for the window, however many refusals.
    let capped = |events: Vec<(String, iampass_proto::wire::Event)>| {
        events
            .into_iter()
            .filter(|(_, e)| {
                matches!(&e.data, iampass_proto::wire::EventData::User(u)
                    if u.user_id == "ann" && u.change == iampass_proto::wire::UserChange::PushCapped)
            })
            .count()
    };
    assert_eq!(capped(k.server.state.store.all_events_after(0, 1000).await.unwrap()), 1);
    // Issuing pushes never resets the count; the window passing does.
    k.advance(121);
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    assert_eq!(session.status().await.unwrap().session_status, Active);
    // After a successful login, the earlier refusals no longer count.
    for _ in 0..4 {
        k.login("ann", &[]).await;
        phone.answer(&Answer::Deny { fraud: false }, 1, FIVE).await.unwrap();
    }
    assert!(k.app.authenticate_user("ann", &[], None).await.unwrap().authentication_status.authenticated);
}

#[tokio::test]
async fn walkaway_and_back_then_grace_closes() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    let away = phone.presence(false).await.unwrap();
    assert_eq!(away.changed.len(), 1);
    assert_eq!(session.status().await.unwrap().session_status, Walkaway);
    assert!(session.status().await.unwrap().authenticated, "walkaway is still logged in");
    phone.presence(true).await.unwrap();
    assert_eq!(session.status().await.unwrap().session_status, Active);
    phone.presence(false).await.unwrap();
    k.advance(31);
    k.sweep().await;
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Closed, Some("walkaway")));
}

#[tokio::test]
async fn duration_over_closes_the_session() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let r = k.app.authenticate_user("ann", &[], Some(60)).await.unwrap();
    let session = iampass_proto::client::SessionClient::from_status(k.http.clone(), &r.authentication_status).unwrap();
    phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    k.advance(61);
    // The status read itself applies the due deadline, without waiting for a sweep.
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Closed, Some("duration_elapsed")));
}

#[tokio::test]
async fn the_phone_lists_and_ends_its_sessions_and_can_unregister() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (started, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    let list = phone.sessions().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(Some(list[0].session_id.as_str()), started.session_id.as_deref());
    let ended = phone.logout(&list[0].session_id).await.unwrap();
    assert_eq!((ended.status, ended.reason.as_deref()), (Closed, Some("phone_logout")));
    assert_eq!(session.status().await.unwrap().session_status, Closed);
    phone.forget().await.unwrap();
    assert!(!k.app.has_registered_mobile_device("ann").await.unwrap());
}

#[tokio::test]
async fn deleting_a_user_closes_their_sessions() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, FIVE).await.unwrap();
    k.app.delete_users(&["ann".into()]).await.unwrap();
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Closed, Some("user_deleted")));
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_login_arrives() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let waiting = tokio::spawn({
        let phone = phone.clone();
        async move { phone.answer(&Answer::Approve(None), 1, Duration::from_secs(20)).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, session) = k.login("ann", &[]).await;
    let answered =
        tokio::time::timeout(Duration::from_secs(10), waiting).await.expect("woken, not timed out").unwrap().unwrap();
    assert_eq!(answered.len(), 1);
    assert_eq!(session.status().await.unwrap().session_status, Active);
}

#[tokio::test]
async fn a_phone_may_hold_two_long_polls_and_no_more() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let client = phone_client(&k, &phone);
    let polls: Vec<_> = (0..2)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.pending(Duration::from_secs(3)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = client.pending(Duration::from_secs(3)).await.unwrap_err();
    assert_eq!((third.http_status(), third.code()), (Some(429), Some("rate_limited")));
    for p in polls {
        assert!(p.await.unwrap().unwrap().requests.is_empty());
    }
    assert!(client.pending(Duration::from_secs(0)).await.is_ok(), "a poll ended frees its place");
}

#[tokio::test]
async fn a_link_binds_once_and_replaces_the_previous_phone() {
    let k = Kit::start().await;
    let old = k.enroll("ann").await;
    let link = k.app.registration_link("ann", None).await.unwrap();
    let new = iampass_device::Phone::enroll(&link.register_url, "second", "t").await.unwrap();
    let again = iampass_device::Phone::enroll(&link.register_url, "third", "t").await.unwrap_err();
    assert!(again.to_string().contains("link_used"), "{again}");
    assert!(old.sessions().await.is_err(), "the replaced phone is disabled");
    assert!(new.sessions().await.is_ok());
}

#[tokio::test]
async fn forged_and_replayed_device_requests_are_refused() {
    use iampass_proto::device_v1;
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let id = phone.state().device_id.clone();
    let now = iampass_proto::clock::Clock::now_secs(&*k.clock);
    let forged_key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
    let forged = device_v1::sign(&forged_key, &id, "GET", "/device/v1/sessions", now, b"");
    let (s, e) =
        error_of(k.http.get(k.url("/device/v1/sessions")).header("Authorization", forged).send().await.unwrap()).await;
    assert_eq!((s, e.error.as_str()), (401, "bad_signature"));

    let key = phone.state().signing_key().unwrap();
    let genuine = device_v1::sign(&key, &id, "GET", "/device/v1/sessions", now, b"");
    let first = k.http.get(k.url("/device/v1/sessions")).header("Authorization", &genuine).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let (s, e) =
        error_of(k.http.get(k.url("/device/v1/sessions")).header("Authorization", &genuine).send().await.unwrap())
            .await;
    assert_eq!((s, e.error.as_str()), (401, "replayed_nonce"));

    // A signature over one body does not cover another.
    let signed_for = device_v1::sign(&key, &id, "POST", "/device/v1/presence", now, br#"{"nearby":true}"#);
    let r = k
        .http
        .post(k.url("/device/v1/presence"))
        .header("Authorization", signed_for)
        .body(r#"{"nearby":false}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1.error, "bad_signature");
    let stale = device_v1::sign(&key, &id, "GET", "/device/v1/sessions", now - 301, b"");
    let r = k.http.get(k.url("/device/v1/sessions")).header("Authorization", stale).send().await.unwrap();
    assert_eq!(error_of(r).await.1.error, "stale_timestamp");
}

#[tokio::test]
async fn a_registration_without_proof_of_the_key_is_refused() {
    let k = Kit::start().await;
    k.app.add_users(&["ann".into()]).await.unwrap();
    let link = k.app.registration_link("ann", None).await.unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let other = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    use base64::Engine as _;
    let body = serde_json::json!({
        "public_key": base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes()),
        "proof": iampass_proto::device_v1::registration_proof(&other, "whatever"),
        "name": "p", "platform": "t"
    });
    let r = k.http.post(&link.register_url).json(&body).send().await.unwrap();
    assert_eq!(error_of(r).await.1.error, "bad_signature");
    assert!(!k.app.has_registered_mobile_device("ann").await.unwrap());
}
