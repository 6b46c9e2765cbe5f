//! The wire is hostile: every malformed, forged, stale or replayed request gets a clear JSON
//! refusal that names no secret, and changes nothing.

use iampass_proto::hmac_v1;
use iampass_server::store::prelude::*;
use reqwest::Method;

use iampass_server::store::Location;
use iampass_testkit::{Kit, alter_database, error_of};

fn add_path(k: &Kit) -> String {
    format!("/management/add_users/{}", k.app_id)
}

async fn exists(k: &Kit, user: &str) -> bool {
    k.app.has_registered_mobile_device(user).await.is_ok()
}

#[tokio::test]
async fn missing_and_malformed_headers_are_401() {
    let k = Kit::start().await;
    let url = k.url(&add_path(&k));
    let body = serde_json::json!({"users": ["u"]});
    let (_, ts) = k.sign(&add_path(&k));
    for (auth, code) in [
        (None, "missing_authentication"),
        (Some("Bearer abc"), "malformed_authentication"),
        (Some("hmac x:notanumber:AAAAAAAAAAAAAAAAAAAAAA=="), "malformed_authentication"),
    ] {
        let mut req = k.http.post(&url).header("X-IAMPASS-Authentication-Timestamp", &ts).json(&body);
        if let Some(a) = auth {
            req = req.header("Authentication", a);
        }
        let (status, e) = error_of(req.send().await.unwrap()).await;
        assert_eq!((status, e.error.as_str(), e.status), (401, code, false));
    }
    let (auth, _) = k.sign(&add_path(&k));
    let (status, e) =
        error_of(k.http.post(&url).header("Authentication", auth).json(&body).send().await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (401, "missing_timestamp"));
    assert!(!exists(&k, "u").await);
}

#[tokio::test]
async fn wrong_secret_is_refused_without_echoing_anything() {
    let k = Kit::start().await;
    let path = add_path(&k);
    let h = hmac_v1::sign(
        &k.app_id,
        "WRONGSECRETWRONGSECRET",
        &k.url(&path),
        iampass_proto::clock::Clock::now_secs(&*k.clock),
    );
    let r = k
        .http
        .post(k.url(&path))
        .header("Authentication", &h.authentication)
        .header("X-IAMPASS-Authentication-Timestamp", h.timestamp.to_string())
        .json(&serde_json::json!({"users": ["u"]}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(status, 401);
    assert!(text.contains("bad_signature"));
    assert!(
        !text.contains(&k.secret)
            && !text.contains("WRONGSECRET")
            && !text.contains(h.authentication.rsplit(':').next().unwrap())
    );
    assert!(!exists(&k, "u").await);
}

#[tokio::test]
async fn a_replayed_request_is_refused_and_changes_nothing() {
    let k = Kit::start().await;
    let path = add_path(&k);
    let (auth, ts) = k.sign(&path);
    let send = |users: serde_json::Value| {
        k.http
            .post(k.url(&path))
            .header("Authentication", &auth)
            .header("X-IAMPASS-Authentication-Timestamp", &ts)
            .json(&serde_json::json!({"users": users}))
            .send()
    };
    assert_eq!(send(serde_json::json!(["first"])).await.unwrap().status().as_u16(), 201);
    let (status, e) = error_of(send(serde_json::json!(["second"])).await.unwrap()).await;
    assert_eq!((status, e.error.as_str()), (401, "replayed_nonce"));
    assert!(exists(&k, "first").await && !exists(&k, "second").await);
}

/// The same signed request sent many times at once is answered once; every other copy is a
/// replay (on PostgreSQL the copies' nonces meet in concurrent inserts, several rows each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_a_request_sent_at_once_are_answered_once() {
    let k = Kit::start().await;
    let path = format!("/management/users/{}", k.app_id);
    let (auth, ts) = k.sign(&path);
    let copies = (0..24).map(|_| {
        let req = k
            .http
            .get(k.url(&path))
            .header("Authentication", &auth)
            .header("X-IAMPASS-Authentication-Timestamp", &ts)
            .send();
        async move { req.await.unwrap().status().as_u16() }
    });
    let mut statuses = futures_util::future::join_all(copies).await;
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(statuses[1..].iter().all(|s| *s == 401), "{statuses:?}");
}

/// A read-only route reads while its nonce is being spent: a copy is refused all the same, and
/// the refusal is what the copy gets, whatever its read found (a user, or no such user).
#[tokio::test]
async fn a_replayed_read_is_refused_whatever_its_read_found() {
    let k = Kit::start().await;
    k.app.add_users(&["known".to_owned()]).await.unwrap();
    for (user, first) in [("known", 200), ("nobody", 404)] {
        let path = format!("/management/has_registered_mobile_device/{}/{user}", k.app_id);
        let (auth, ts) = k.sign(&path);
        let send = || {
            k.http
                .get(k.url(&path))
                .header("Authentication", &auth)
                .header("X-IAMPASS-Authentication-Timestamp", &ts)
                .send()
        };
        assert_eq!(send().await.unwrap().status().as_u16(), first, "{user}");
        let (status, e) = error_of(send().await.unwrap()).await;
        assert_eq!((status, e.error.as_str()), (401, "replayed_nonce"), "{user}");
    }
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused() {
    let k = Kit::start().await;
    let path = add_path(&k);
    let now = iampass_proto::clock::Clock::now_secs(&*k.clock);
    for ts in [now - 301, now + 301] {
        let h = hmac_v1::sign(&k.app_id, &k.secret, &k.url(&path), ts);
        let r = k
            .http
            .post(k.url(&path))
            .header("Authentication", h.authentication)
            .header("X-IAMPASS-Authentication-Timestamp", ts.to_string())
            .json(&serde_json::json!({"users": ["u"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(r).await.1.error, "stale_timestamp");
    }
}

#[tokio::test]
async fn another_applications_signature_is_refused() {
    let k = Kit::start().await;
    let other = k.server.state.create_app("other").await.unwrap();
    let path = add_path(&k);
    let h = hmac_v1::sign(&other.id, &other.secret, &k.url(&path), iampass_proto::clock::Clock::now_secs(&*k.clock));
    let r = k
        .http
        .post(k.url(&path))
        .header("Authentication", h.authentication)
        .header("X-IAMPASS-Authentication-Timestamp", h.timestamp.to_string())
        .json(&serde_json::json!({"users": ["u"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(r).await,
        (
            401,
            iampass_proto::wire::ErrorBody {
                status: false,
                reason: "the client in the signature does not match the one in the path".into(),
                error: "client_mismatch".into(),
                required_role: None
            }
        )
    );
}

#[tokio::test]
async fn documented_header_spellings_are_accepted_and_other_versions_refused() {
    let k = Kit::start().await;
    let path = add_path(&k);
    let (auth, ts) = k.sign(&path);
    let r = k
        .http
        .post(k.url(&path))
        .header("Authorization", auth)
        .header("X-IAMPASS-Authentiaction-Timestamp", ts)
        .header("X-IAMPASS-Authentication-Version", "1")
        .json(&serde_json::json!({"users": ["a"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let (auth, ts) = k.sign(&path);
    let r = k
        .http
        .post(k.url(&path))
        .header("Authentication", auth)
        .header("X-IAMPASS-Authentication-Timestamp", ts)
        .header("X-IAMOASS-Authentication-Version", "2")
        .json(&serde_json::json!({"users": ["b"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1.error, "unsupported_version");
}

#[tokio::test]
async fn malformed_json_and_oversized_bodies_are_refused() {
    let k = Kit::start_with(|c| c.body_limit_bytes = 4096).await;
    let path = add_path(&k);
    for (body, code, status) in [
        ("{\"users\": [", "malformed_json", 400),
        ("{\"users\": \"a\"}", "malformed_json", 400),
        ("[]", "malformed_json", 400),
    ] {
        let r =
            k.signed(Method::POST, &path).header("Content-Type", "application/json").body(body).send().await.unwrap();
        let (s, e) = error_of(r).await;
        assert_eq!((s, e.error.as_str()), (status, code), "{body}");
    }
    let big = serde_json::json!({"users": vec!["x".repeat(200); 50]});
    let (s, e) = error_of(k.signed(Method::POST, &path).json(&big).send().await.unwrap()).await;
    assert_eq!((s, e.error.as_str()), (413, "payload_too_large"));
    assert!(k.server.state.store.apps().await.unwrap().iter().all(|(_, users)| *users == 0));
}

#[tokio::test]
async fn bad_query_values_are_400() {
    let k = Kit::start().await;
    k.app.add_users(&["u".to_owned()]).await.unwrap();
    for q in ["methods=acceptance,retina", "duration_seconds=0", "duration_seconds=abc", "duration_seconds=99999999999"]
    {
        let path = format!("/authentication/authenticate_user/{}/u?{q}", k.app_id);
        let (s, e) = error_of(k.signed(Method::POST, &path).json(&serde_json::json!({})).send().await.unwrap()).await;
        assert_eq!(s, 400, "{q}: {}", e.reason);
    }
}

#[tokio::test]
async fn unknown_routes_and_sessions_are_json_404() {
    let k = Kit::start().await;
    let (s, e) = error_of(k.http.get(k.url("/nope")).send().await.unwrap()).await;
    assert_eq!((s, e.error.as_str()), (404, "unknown_route"));
    let token = "f".repeat(32);
    let path = format!("/authentication/session_status/{token}");
    let h = hmac_v1::sign(&token, "x", &k.url(&path), iampass_proto::clock::Clock::now_secs(&*k.clock));
    let r = k
        .http
        .get(k.url(&path))
        .header("Authentication", h.authentication)
        .header("X-IAMPASS-Authentication-Timestamp", h.timestamp.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.1.error, "unknown_session");
}

#[tokio::test]
async fn an_application_over_its_rate_gets_429_with_retry_after() {
    let k = Kit::start_with(|c| {
        c.rate_limit_per_sec = 2;
        c.rate_limit_burst = 3;
    })
    .await;
    k.app.add_users(&["u".to_owned()]).await.unwrap();
    for _ in 0..2 {
        k.app.has_registered_mobile_device("u").await.unwrap();
    }
    let r = k
        .signed(Method::GET, &format!("/management/has_registered_mobile_device/{}/u", k.app_id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert_eq!(
        error_of(r).await,
        (
            429,
            iampass_proto::wire::ErrorBody {
                status: false,
                reason: "too many requests; retry in 1 s".into(),
                error: "rate_limited".into(),
                required_role: None,
            }
        )
    );
    // Another application is not affected, and time refills the bucket.
    let other = k.server.state.create_app("other").await.unwrap();
    let c = iampass_proto::client::ManagementClient::new(k.server.public_url(), &other.id, &other.secret).unwrap();
    c.add_users(&["v".to_owned()]).await.unwrap();
    k.advance(1);
    assert!(k.app.has_registered_mobile_device("u").await.is_ok());
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let k = Kit::start().await;
    k.app.add_users(&["u".to_owned()]).await.unwrap();
    assert_eq!(k.http.get(k.url("/healthz")).send().await.unwrap().text().await.unwrap(), "ok");
    let m = k.http.get(k.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("iampass_http_requests_total"), "{m}");
}

/// `/readyz` is 200 while the database answers with this server's schema; a database migrated by a
/// newer release (a rolling upgrade) makes it 503 with the reason, while `/healthz` stays 200.
#[tokio::test]
async fn readiness_follows_the_database_schema() {
    let k = Kit::start().await;
    let ready = k.http.get(k.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
    let db = &k.server.state.config.db;
    let set_version = |v: usize| match db {
        Location::Sqlite(_) => format!("PRAGMA user_version = {v}"),
        Location::Postgres(_) => format!("UPDATE schema_version SET version = {v}"),
    };
    let known = k.server.state.store.schema_version().await.unwrap().known;
    alter_database(db, &set_version(known + 1));
    let r = k.http.get(k.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "schema_mismatch");
    assert!(body["reason"].as_str().unwrap().contains(&format!("version {}", known + 1)), "{body}");
    assert_eq!(k.http.get(k.url("/healthz")).send().await.unwrap().status(), 200);
    alter_database(db, &set_version(known));
    assert_eq!(k.http.get(k.url("/readyz")).send().await.unwrap().status(), 200);
}

/// Reads until the server closes the connection, within a bounded wait (so a server that never
/// closes fails the test instead of hanging it).
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server kept a dawdling connection open; it sent {:?}", String::from_utf8_lossy(&got));
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test]
async fn a_client_that_dawdles_over_its_headers_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let k = Kit::start_with(|c| c.header_read_timeout_secs = 1).await;
    let mut slow = tokio::net::TcpStream::connect(k.server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A kept-alive connection that goes quiet after a request is closed the same way.
    let mut idle = tokio::net::TcpStream::connect(k.server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut idle).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // Everyone else is served as usual.
    let r = k.http.get(k.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_body_that_trickles_past_its_deadline_gets_408_and_changes_nothing() {
    use tokio::io::AsyncWriteExt;
    let k = Kit::start_with(|c| c.body_read_timeout_secs = 1).await;
    let path = add_path(&k);
    let (auth, ts) = k.sign(&path);
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthentication: {auth}\r\nX-IAMPASS-Authentication-Timestamp: {ts}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"users\": [\"trickle\"",
        k.server.addr
    );
    let mut slow = tokio::net::TcpStream::connect(k.server.addr).await.unwrap();
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"body_timeout\""), "{answer}");
    assert!(!exists(&k, "trickle").await);
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let k = Kit::start().await;
    // Just over the limit (one read of the connection's buffer): our JSON refusal.
    let r = k.http.get(k.url("/healthz")).header("X-Padding", "a".repeat(70 * 1024)).send().await.unwrap();
    let (status, e) = error_of(r).await;
    assert_eq!((status, e.error.as_str()), (431, "headers_too_large"));
    // Far over it: the connection's read buffer refuses it before any parsing.
    let r = k.http.get(k.url("/healthz")).header("X-Padding", "a".repeat(1024 * 1024)).send().await.unwrap();
    assert_eq!(r.status(), 431);
    let r = k.http.get(k.url("/healthz")).header("X-Padding", "a".repeat(8 * 1024)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

/// A request with more than one credential is refused before any route reads one: a valid
/// signature beside a staff member's bearer token, or two `Authorization` headers, would otherwise
/// be answered as whichever the route's extractor read first. Nothing is changed.
#[tokio::test]
async fn ambiguous_credentials_are_refused_and_change_nothing() {
    let k = Kit::start().await;
    let path = add_path(&k);
    let staff = k.staff("Hal", iampass_proto::wire::StaffRole::Admin).await;
    let (auth, ts) = k.sign(&path);
    let body = serde_json::json!({"users": ["twice"]});
    let both = k
        .http
        .post(k.url(&path))
        .header("Authentication", &auth)
        .header("X-IAMPASS-Authentication-Timestamp", &ts)
        .bearer_auth(&staff.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, e) = error_of(both).await;
    assert_eq!((status, e.error.as_str()), (400, "ambiguous_credentials"));
    let mut headers = reqwest::header::HeaderMap::new();
    for token in [staff.token.as_str(), "someone-else"] {
        headers.append(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    }
    let two = k.http.post(k.url(&path)).headers(headers).json(&body).send().await.unwrap();
    let (status, e) = error_of(two).await;
    assert_eq!((status, e.error.as_str()), (400, "ambiguous_credentials"));
    assert!(!exists(&k, "twice").await);
    // One credential of either kind still works.
    assert_eq!(staff.client.add_users(&["once".to_owned()]).await.unwrap().users.created, ["once"]);
}
