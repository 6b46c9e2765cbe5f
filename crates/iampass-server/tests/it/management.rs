//! The published Management API through the Rust client.

use iampass_proto::wire::*;

use iampass_testkit::{Kit, error_of};

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn add_users_reports_created_then_existing() {
    let k = Kit::start().await;
    let r = k.app.add_users(&ids(&["a", "b", "a"])).await.unwrap();
    assert_eq!(r.users.created, ids(&["a", "b"]));
    assert!(r.users.existing.is_empty());
    let r = k.app.add_users(&ids(&["b", "c"])).await.unwrap();
    assert_eq!((r.users.created, r.users.existing), (ids(&["c"]), ids(&["b"])));
    let raw = k
        .signed(reqwest::Method::POST, &format!("/management/add_users/{}", k.app_id))
        .json(&serde_json::json!({"users": ["d"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 201);
}

#[tokio::test]
async fn awkward_user_ids_round_trip_through_paths() {
    let k = Kit::start().await;
    let awkward = ids(&["user+1", "a b", "x/y", "mail@corp", "élève", "名前", "100%", &"z".repeat(256)]);
    k.app.add_users(&awkward).await.unwrap();
    for id in &awkward {
        assert!(!k.app.has_registered_mobile_device(id).await.unwrap(), "{id}");
    }
    // `user 1` and `user+1` are different users.
    let e = k.app.has_registered_mobile_device("user 1").await.unwrap_err();
    assert_eq!(e.http_status(), Some(404));
}

#[tokio::test]
async fn invalid_user_ids_are_refused_and_change_nothing() {
    let k = Kit::start().await;
    for bad in
        [vec!["ok".to_owned(), "z".repeat(257)], vec!["ok".into(), String::new()], vec!["ok".into(), "a\nb".into()]]
    {
        let e = k.app.add_users(&bad).await.unwrap_err();
        assert_eq!((e.http_status(), e.code()), (Some(400), Some("invalid_user_id")));
    }
    assert_eq!(k.app.has_registered_mobile_device("ok").await.unwrap_err().http_status(), Some(404));
    let e = k.app.add_users(&vec!["u".to_owned(); 10_001]).await.unwrap_err();
    assert_eq!(e.code(), Some("too_many_users"));
}

#[tokio::test]
async fn delete_users_reports_deleted_and_missing() {
    let k = Kit::start().await;
    k.app.add_users(&ids(&["a", "b"])).await.unwrap();
    let r = k.app.delete_users(&ids(&["a", "zz"])).await.unwrap();
    assert_eq!((r.deleted, r.missing), (ids(&["a"]), ids(&["zz"])));
    assert_eq!(k.app.has_registered_mobile_device("a").await.unwrap_err().http_status(), Some(404));
    // A deleted user can be added again, as a new user.
    assert_eq!(k.app.add_users(&ids(&["a"])).await.unwrap().users.created, ids(&["a"]));
}

/// Lookups made at once are each answered for their own user: a phone, none, a deleted user, an
/// unknown one, and the same user many times (on PostgreSQL, lookups that meet are answered by one
/// statement, its rows matched back to each request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_made_together_are_each_answered_for_their_own_user() {
    let k = Kit::start().await;
    k.enroll("phoned").await;
    k.app.add_users(&ids(&["bare", "gone"])).await.unwrap();
    k.app.delete_users(&ids(&["gone"])).await.unwrap();
    let expected = [("phoned", Some(true)), ("bare", Some(false)), ("gone", None), ("nobody", None)];
    let asked: Vec<_> = expected.iter().cycle().take(80).collect();
    let answers = futures_util::future::join_all(
        asked.iter().map(|(user, _)| async { k.app.has_registered_mobile_device(user).await.ok() }),
    )
    .await;
    for ((user, want), got) in asked.iter().zip(answers) {
        assert_eq!(got, *want, "{user}");
    }
}

#[tokio::test]
async fn registration_links_are_short_single_live_and_expiring() {
    // A short lifetime: the clients sign with the wall clock, so the server's may move only
    // within the timestamp window.
    let k = Kit::start_with(|c| c.link_lifetime_secs = 120).await;
    k.app.add_users(&ids(&["ann"])).await.unwrap();
    let first = k.app.registration_link("ann", Some("Ann Lée")).await.unwrap();
    let prefix = format!("{}/register/", k.server.public_url());
    let token = first.register_url.strip_prefix(&prefix).expect("link under the public URL");
    assert_eq!(token.len(), 22, "128-bit token, base64url");
    assert_eq!(first.expires_in_seconds, Some(120));
    let info = k.http.get(&first.register_url).header("Accept", "application/json").send().await.unwrap();
    let info: RegistrationInfo = info.json().await.unwrap();
    assert_eq!((info.application_name.as_str(), info.display_name.as_deref()), ("Kit app", Some("Ann Lée")));
    // A person's browser is sent to the web phone's enrollment page on the passkeys' origin, with no
    // fragment in the address, so the browser keeps the link's own (the console's `#name=…`).
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = no_redirects.get(&first.register_url).send().await.unwrap();
    assert_eq!(page.status(), 303);
    let port = k.server.addr.port();
    let expected = format!("http://localhost:{port}/phone/enroll/{token}");
    assert_eq!(page.headers()["location"].to_str().unwrap(), expected);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let landing = k.http.get(k.url(&format!("/phone/enroll/{token}"))).send().await.unwrap();
    assert_eq!(landing.headers()["cache-control"], "no-store", "the page at the code's address is never cached");
    assert_eq!(landing.headers()["referrer-policy"], "no-referrer");

    let second = k.app.registration_link("ann", None).await.unwrap();
    let (status, e) =
        error_of(k.http.get(&first.register_url).header("Accept", "application/json").send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (410, "link_revoked"));
    k.advance(121);
    let (status, e) =
        error_of(k.http.get(&second.register_url).header("Accept", "application/json").send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (410, "link_expired"));
    assert!(iampass_device::Phone::enroll(&second.register_url, "p", "t").await.is_err());
    assert!(!k.app.has_registered_mobile_device("ann").await.unwrap());
}

#[tokio::test]
async fn unknown_application_and_user_are_404() {
    let k = Kit::start().await;
    let other = iampass_proto::client::ManagementClient::new(k.server.public_url(), &"0".repeat(32), "X").unwrap();
    let e = other.add_users(&ids(&["a"])).await.unwrap_err();
    assert_eq!((e.http_status(), e.code()), (Some(404), Some("unknown_application")));
    for e in [
        k.app.registration_link("ghost", None).await.unwrap_err(),
        k.app.lost_user_mobile_device("ghost").await.unwrap_err(),
        k.app.authenticate_user("ghost", &[], None).await.unwrap_err(),
    ] {
        assert_eq!((e.http_status(), e.code()), (Some(404), Some("unknown_user")));
    }
}

#[tokio::test]
async fn lost_device_disables_the_phone_closes_sessions_and_issues_a_link() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    assert!(k.app.has_registered_mobile_device("ann").await.unwrap());
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&iampass_device::Answer::Approve(None), 1, std::time::Duration::from_secs(5)).await.unwrap();
    assert_eq!(session.status().await.unwrap().session_status, SessionStatus::Active);

    let link = k.app.lost_user_mobile_device("ann").await.unwrap();
    assert!(link.register_url.contains("/register/"));
    assert!(!k.app.has_registered_mobile_device("ann").await.unwrap());
    let st = session.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (SessionStatus::Closed, Some("device_lost")));
    let e = phone.sessions().await.unwrap_err();
    assert!(e.to_string().contains("disabled"), "{e}");
    // The new link binds a new phone.
    iampass_device::Phone::enroll(&link.register_url, "new phone", "t").await.unwrap();
    assert!(k.app.has_registered_mobile_device("ann").await.unwrap());
}

#[tokio::test]
async fn sms_validates_then_says_it_is_not_configured() {
    let k = Kit::start().await;
    k.app.add_users(&ids(&["ann"])).await.unwrap();
    let bad = SendSmsRequest { phone_number: "555".into(), display_name: None, message: None };
    assert_eq!(k.app.send_registration_sms("ann", &bad).await.unwrap_err().code(), Some("invalid_phone_number"));
    let ok = SendSmsRequest { phone_number: "+15551234567".into(), display_name: Some("Ann".into()), message: None };
    let r = k.app.send_registration_sms("ann", &ok).await.unwrap();
    assert!(!r.status && r.reason.unwrap().contains("not configured"));
}

#[tokio::test]
async fn operator_endpoint_needs_the_admin_token() {
    use sha2::Digest as _;
    let disabled = Kit::start().await;
    let r = disabled
        .http
        .post(disabled.url("/operator/applications"))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1.error, "operator_api_disabled");

    let token = "an-operator-token-of-some-length";
    let k = Kit::start_with(|c| c.admin_token_sha256 = Some(sha2::Sha256::digest(token).into())).await;
    let url = k.url("/operator/applications");
    let r = k
        .http
        .post(&url)
        .bearer_auth("wrong-token-wrong-token")
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = k.http.post(&url).bearer_auth(token).json(&serde_json::json!({"name": "Payroll"})).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    let (id, secret) = (created["application_id"].as_str().unwrap(), created["application_secret"].as_str().unwrap());
    let client = iampass_proto::client::ManagementClient::new(k.server.public_url(), id, secret).unwrap();
    client.add_users(&ids(&["u"])).await.unwrap();
    let list = k.http.get(&url).bearer_auth(token).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("Payroll") && !list.contains(secret));
}
