//! The web phone's API without a browser: what it offers before a passkey exists, every refusal
//! (forged or foreign tickets, garbage credentials, tokens of the wrong kind, an IP-literal public
//! URL, oversized bodies) changing nothing, and, with a software passkey, what the server itself
//! refuses that a browser would never send (an unverified user, another site's assertion, another
//! key). The ceremonies in a real browser run in Chromium (tests/webphone).

use iampass_proto::wire::{Ceremony, EnrollInfo, PhoneInfo, PhoneSignedIn};
use iampass_testkit::passkey::SoftPasskey;
use iampass_testkit::{Kit, error_of};
use serde_json::json;

async fn link(k: &Kit, user: &str) -> String {
    k.app.add_users(&[user.to_owned()]).await.unwrap();
    let url = k.app.registration_link(user, Some("Ann Lée")).await.unwrap().register_url;
    url.rsplit('/').next().unwrap().to_owned()
}

fn api(k: &Kit, path: &str) -> String {
    k.url(&format!("/phone/api/{path}"))
}

#[tokio::test]
async fn a_link_offers_a_resident_verified_passkey_for_its_user() {
    let k = Kit::start().await;
    let token = link(&k, "ann").await;
    let info: EnrollInfo = k.http.get(api(&k, &format!("enroll/{token}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!((info.link.user_id.as_str(), info.link.display_name.as_deref()), ("ann", Some("Ann Lée")));
    assert!(info.passkeys.available);
    assert_eq!(info.passkeys.origin, Some(format!("http://localhost:{}", k.server.addr.port())));

    let c: Ceremony =
        k.http.post(api(&k, &format!("enroll/{token}/options"))).send().await.unwrap().json().await.unwrap();
    let pk = &c.options["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["attestation"], "none");
    assert_eq!(pk["user"]["name"], "ann · Kit app");
    // Sealed: nothing of what it binds reads through (a 3-letter id could appear in random
    // base64 by chance, so look for longer plain text).
    assert!(!c.ticket.contains(&token) && !c.ticket.contains("Kit app"), "the ticket is sealed");
}

#[tokio::test]
async fn forged_tickets_and_garbage_credentials_bind_nothing() {
    let k = Kit::start().await;
    let token = link(&k, "ann").await;
    let other = link(&k, "bob").await;
    let finish = api(&k, &format!("enroll/{token}"));
    let c: Ceremony =
        k.http.post(api(&k, &format!("enroll/{token}/options"))).send().await.unwrap().json().await.unwrap();
    let c_other: Ceremony =
        k.http.post(api(&k, &format!("enroll/{other}/options"))).send().await.unwrap().json().await.unwrap();
    let credential = json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"attestationObject": "AAAA", "clientDataJSON": "AAAA"}
    });
    let cases = [
        ("not json at all".to_owned(), 400, "malformed_json"),
        (json!({"ticket": c.ticket, "credential": {"id": 1}}).to_string(), 400, "invalid_credential"),
        (json!({"ticket": "forged", "credential": credential}).to_string(), 403, "invalid_ticket"),
        // Another link's ticket: sealed for that link, it does not open for this one.
        (json!({"ticket": c_other.ticket, "credential": credential}).to_string(), 403, "invalid_ticket"),
        (json!({"ticket": c.ticket, "credential": credential}).to_string(), 403, "passkey_refused"),
    ];
    for (body, status, code) in cases {
        let r = k.http.post(&finish).header("content-type", "application/json").body(body.clone()).send().await;
        let (got, e) = error_of(r.unwrap()).await;
        assert_eq!((got, e.error.as_str()), (status, code), "{body}");
        assert!(!e.reason.contains(&c.ticket), "no ticket echoed");
    }
    // The link is untouched: still usable, nothing bound.
    assert_eq!(k.http.get(&finish).send().await.unwrap().status(), 200);
    assert!(!k.app.has_registered_mobile_device("ann").await.unwrap());
}

#[tokio::test]
async fn the_phone_api_wants_a_web_phones_token() {
    let k = Kit::start().await;
    let token = link(&k, "ann").await;
    let c: Ceremony =
        k.http.post(api(&k, &format!("enroll/{token}/options"))).send().await.unwrap().json().await.unwrap();
    // None, garbage, the application's secret, and a sealed ticket of another kind.
    for bearer in [None, Some("garbage".to_owned()), Some(k.secret.clone()), Some(c.ticket.clone())] {
        for path in ["me", "requests", "sessions"] {
            let mut req = k.http.get(api(&k, path));
            if let Some(b) = &bearer {
                req = req.bearer_auth(b);
            }
            let (status, e) = error_of(req.send().await.unwrap()).await;
            assert_eq!((status, e.error.as_str()), (403, "phone_signed_out"), "{path} {bearer:?}");
        }
    }
    let (status, e) = error_of(k.http.post(api(&k, "requests/x/deny")).json(&json!({})).send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (403, "phone_signed_out"));
}

#[tokio::test]
async fn sign_in_refuses_garbage_and_oversized_bodies() {
    let k = Kit::start().await;
    let c: Ceremony = k.http.post(api(&k, "sign-in/options")).send().await.unwrap().json().await.unwrap();
    assert_eq!(c.options["publicKey"]["userVerification"], "required");
    let no_handle = json!({"ticket": c.ticket, "credential": {
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA"}}});
    let (status, e) = error_of(k.http.post(api(&k, "sign-in")).json(&no_handle).send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (403, "passkey_refused"));
    let huge = "x".repeat(k.server.state.config.body_limit_bytes + 1);
    let r = k.http.post(api(&k, "sign-in")).header("content-type", "application/json").body(huge).send().await;
    assert_eq!(error_of(r.unwrap()).await.0, 413);
}

#[tokio::test]
async fn an_ip_literal_public_url_serves_the_cli_phone_but_no_web_phone() {
    let k = Kit::start_with(|c| c.public_url = Some("http://10.1.2.3:8080".into())).await;
    let token = link(&k, "ann").await;
    let info: EnrollInfo = k.http.get(api(&k, &format!("enroll/{token}"))).send().await.unwrap().json().await.unwrap();
    assert!(!info.passkeys.available);
    assert!(info.passkeys.reason.as_deref().unwrap().contains("IP address"));
    let r = k.http.post(api(&k, &format!("enroll/{token}/options"))).send().await.unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!((status, e.error.as_str()), (403, "passkeys_unavailable"));
    // The reference phone enrolls as before (reached at the loopback address).
    let again = k.app.registration_link("ann", None).await.unwrap().register_url;
    let loopback = again.replace("http://10.1.2.3:8080", &iampass_testkit::base_url(&k.server));
    iampass_device::Phone::enroll(&loopback, "cli phone", "test").await.unwrap();
    assert!(k.app.has_registered_mobile_device("ann").await.unwrap());
}

/// Enrolls a software passkey at a fresh link for `user`; returns it and the phone's token.
async fn enroll_passkey(k: &Kit, user: &str) -> (SoftPasskey, String) {
    let token = link(k, user).await;
    let mut passkey = SoftPasskey::new(&format!("http://localhost:{}", k.server.addr.port()));
    let c: Ceremony =
        k.http.post(api(k, &format!("enroll/{token}/options"))).send().await.unwrap().json().await.unwrap();
    let answer = json!({"ticket": c.ticket, "credential": passkey.register(&c.options)});
    let r = k.http.post(api(k, &format!("enroll/{token}"))).json(&answer).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let signed_in: PhoneSignedIn = r.json().await.unwrap();
    (passkey, signed_in.phone_token)
}

/// Starts the approval of `session` and answers it with `passkey`: the approve call's status and body.
async fn approve(k: &Kit, phone: &str, session: &str, passkey: &mut SoftPasskey) -> (u16, serde_json::Value) {
    let c: Ceremony = k
        .http
        .post(api(k, &format!("requests/{session}/options")))
        .bearer_auth(phone)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let answer = json!({"ticket": c.ticket, "credential": passkey.assert(&c.options)});
    let r = k.http.post(api(k, &format!("requests/{session}/approve"))).bearer_auth(phone).json(&answer).send().await;
    let r = r.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn only_a_verified_assertion_from_the_enrolled_passkey_approves() {
    let k = Kit::start().await;
    let (mut passkey, phone) = enroll_passkey(&k, "ann").await;
    let (started, session) = k.login("ann", &[]).await;
    let id = started.session_id.unwrap();

    // Not verified (no face, fingerprint or PIN): refused, and the login still waits.
    passkey.verifies_user = false;
    let (status, body) = approve(&k, &phone, &id, &mut passkey).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("user_not_verified")));
    // Made for another site: refused.
    passkey.verifies_user = true;
    passkey.origin = "https://evil.example".into();
    let (status, body) = approve(&k, &phone, &id, &mut passkey).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("passkey_refused")));
    // Another key claiming the enrolled credential: its signature does not verify.
    let mut impostor = SoftPasskey::new(&format!("http://localhost:{}", k.server.addr.port()));
    impostor.impersonate(&passkey);
    let (status, body) = approve(&k, &phone, &id, &mut impostor).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("passkey_refused")));
    assert_eq!(session.status().await.unwrap().session_status, iampass_proto::wire::SessionStatus::Pending);

    passkey.origin = format!("http://localhost:{}", k.server.addr.port());
    let (status, body) = approve(&k, &phone, &id, &mut passkey).await;
    assert_eq!((status, body["session"]["status"].as_str()), (200, Some("active")), "{body}");
    assert_eq!(session.status().await.unwrap().session_status, iampass_proto::wire::SessionStatus::Active);
}

#[tokio::test]
async fn a_web_phone_answers_no_signed_device_request_and_dies_with_its_device() {
    let k = Kit::start().await;
    let (_, phone) = enroll_passkey(&k, "ann").await;
    let me: PhoneInfo = k.http.get(api(&k, "me")).bearer_auth(&phone).send().await.unwrap().json().await.unwrap();
    assert_eq!((me.user_id.as_str(), me.synced), ("ann", Some(false)));
    k.app.lost_user_mobile_device("ann").await.unwrap();
    let (status, e) = error_of(k.http.get(api(&k, "me")).bearer_auth(&phone).send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (403, "device_disabled"));
}
