//! The outgoing webhook against a real receiver on loopback: every event arrives signed, in
//! order, with its id; a fraud report is among them; a receiver that fails gets the same event
//! again until it takes it, and nothing after it is skipped.

use iampass_server::store::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use iampass_device::Answer;
use iampass_proto::clock::Clock as _;
use iampass_proto::webhook;
use iampass_proto::wire::{EventData, Method, WebhookDelivery};
use iampass_server::config::{Redacted, WebhookConfig};
use tokio::sync::mpsc;

use iampass_testkit::Kit;

const SECRET: &str = "webhook-secret-for-tests-0123";

/// One POST the receiver got, and whether it accepted it.
struct Received {
    headers: HeaderMap,
    body: Bytes,
    accepted: bool,
}

/// A receiver that refuses (503) its first `refuse_first` deliveries.
async fn receiver(refuse_first: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook?token=receiver-own-token", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    let seen = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let accepted = seen.fetch_add(1, Ordering::SeqCst) >= refuse_first;
            let _ = tx.send(Received { headers, body, accepted });
            async move { if accepted { StatusCode::NO_CONTENT } else { StatusCode::SERVICE_UNAVAILABLE } }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn kit_with_webhook(url: &str) -> Kit {
    let url = url.parse().unwrap();
    Kit::start_with(|c| c.webhook = Some(WebhookConfig { url, secret: Redacted(SECRET.to_owned().into()) })).await
}

/// The next POST, checked: signature, id and type headers agree with the body.
async fn next(k: &Kit, rx: &mut mpsc::UnboundedReceiver<Received>) -> (WebhookDelivery, bool) {
    let got = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("a delivery").expect("open");
    let header = |name: &str| got.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let signature = header(webhook::HEADER_SIGNATURE);
    webhook::verify(SECRET.as_bytes(), &signature, &got.body, k.clock.now_secs(), 300).expect("signed");
    assert!(webhook::verify(b"not-the-secret-at-all", &signature, &got.body, k.clock.now_secs(), 300).is_err());
    let delivery: WebhookDelivery = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(header(webhook::HEADER_EVENT_ID), delivery.event.id.to_string());
    assert_eq!(header(webhook::HEADER_EVENT_TYPE), delivery.event.data.kind());
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(delivery.application_id, k.app_id);
    (delivery, got.accepted)
}

#[tokio::test]
async fn every_event_is_delivered_signed_in_order_and_fraud_reports_with_them() {
    let (url, mut rx) = receiver(0).await;
    let k = kit_with_webhook(&url).await;
    let phone = k.enroll("alice").await;
    let (_, _) = k.login("alice", &[Method::Acceptance]).await;
    phone.answer(&Answer::Deny { fraud: true }, 1, Duration::from_secs(5)).await.unwrap();

    let mut last_id = 0;
    let mut saw_user = false;
    loop {
        let (d, accepted) = next(&k, &mut rx).await;
        assert!(accepted);
        assert!(d.event.id > last_id, "in order, each once");
        last_id = d.event.id;
        match d.event.data {
            EventData::User(u) => saw_user |= u.user_id == "alice",
            EventData::Session(s) if s.reason.as_deref() == Some("fraud") => {
                assert_eq!(s.user_id, "alice");
                break;
            }
            EventData::Session(_) => {}
            EventData::Book(_) | EventData::Desk(_) | EventData::Recovery(_) => {
                panic!("a console-only change reached a webhook: {:?}", d.event)
            }
        }
    }
    assert!(saw_user, "user changes are delivered too");
    // The position is saved, so a restart resumes after the last delivered event.
    let mut saved = 0;
    for _ in 0..100 {
        saved = k.server.state.store.webhook_cursor().await.unwrap().unwrap_or(0);
        if saved >= last_id {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(saved >= last_id, "saved position {saved}, delivered through {last_id}");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_again_until_it_takes_it_and_nothing_is_skipped() {
    let (url, mut rx) = receiver(2).await;
    let k = kit_with_webhook(&url).await;
    let users: Vec<String> = ["u1", "u2", "u3"].map(str::to_owned).to_vec();
    k.app.add_users(&users).await.unwrap();

    let mut attempts_of_first = 0;
    let mut first_id = None;
    let mut accepted_users = Vec::new();
    while accepted_users.len() < users.len() {
        let (d, accepted) = next(&k, &mut rx).await;
        if first_id.is_none_or(|id| id == d.event.id) {
            first_id = Some(d.event.id);
            attempts_of_first += 1;
        }
        if accepted && let EventData::User(u) = d.event.data {
            accepted_users.push(u.user_id);
        }
    }
    assert_eq!(attempts_of_first, 3, "refused twice, then taken");
    assert_eq!(accepted_users, users, "every event, in order, none skipped");
}
