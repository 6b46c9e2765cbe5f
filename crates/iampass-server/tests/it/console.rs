//! The console's endpoints: listings, remote logout, and the event stream.

use std::time::Duration;

use futures_util::StreamExt as _;
use iampass_device::Answer;
use iampass_proto::wire::{AuthenticatorKind, EventData, PageQuery, SessionStatus::*, SessionsQuery, UserChange};

use iampass_testkit::Kit;

#[tokio::test]
async fn users_are_listed_with_their_phone_and_paged() {
    let k = Kit::start().await;
    k.app.add_users(&(0..5).map(|i| format!("u{i}")).collect::<Vec<_>>()).await.unwrap();
    k.enroll("u9").await;
    let p1 = k.app.users(None, Some(4)).await.unwrap();
    assert_eq!(p1.users.len(), 4);
    let p2 = k.app.users(p1.next_cursor.as_deref(), Some(4)).await.unwrap();
    assert_eq!((p2.users.len(), p2.next_cursor.as_deref()), (2, None));
    let u9 = &p2.users[1];
    assert_eq!(u9.user_id, "u9");
    assert!(u9.device_registered && u9.device.as_ref().unwrap().name == "test phone");
    assert!(k.app.users(Some("-3"), None).await.is_err());

    // One user by id, with their phone's kind (the reference app: no synced flag).
    let one = k.app.user("u9").await.unwrap().unwrap();
    let device = one.device.unwrap();
    assert_eq!((one.user_id.as_str(), device.kind, device.synced), ("u9", AuthenticatorKind::App, None));
    assert_eq!(k.app.user("u1").await.unwrap().unwrap().device, None);
    assert_eq!(k.app.user("nobody").await.unwrap(), None);
    assert_eq!(k.app.user(&"x".repeat(300)).await.unwrap_err().code(), Some("invalid_user_id"));
}

#[tokio::test]
async fn sessions_are_filtered_paged_and_never_carry_secrets() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    k.enroll("bob").await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let (s, _) = k.login("ann", &[]).await;
        tokens.push(s.session_secret.unwrap());
        tokens.push(s.session_token.unwrap());
    }
    k.login("bob", &[]).await;
    phone.answer(&Answer::Approve(None), 3, Duration::from_secs(5)).await.unwrap();
    let all = k
        .app
        .sessions(&SessionsQuery { page: PageQuery { limit: Some(3), ..Default::default() }, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.sessions.len(), 3);
    let rest = k
        .app
        .sessions(&SessionsQuery {
            page: PageQuery { cursor: all.next_cursor.clone(), ..Default::default() },
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((rest.sessions.len(), rest.next_cursor), (1, None));
    let active = k.app.sessions(&SessionsQuery { status: Some(Active), ..Default::default() }).await.unwrap();
    assert_eq!(active.sessions.len(), 3);
    let counts = k.app.session_counts().await.unwrap().counts;
    assert_eq!((counts[&Active], counts[&Pending], counts[&Closed]), (3, 1, 0));
    assert_eq!(counts.len(), 8, "every status is present");
    let bobs = k.app.sessions(&SessionsQuery { user: Some("bob".into()), ..Default::default() }).await.unwrap();
    assert_eq!((bobs.sessions.len(), bobs.sessions[0].status), (1, Pending), "bob's phone never polled");
    let raw = k
        .signed(reqwest::Method::GET, &format!("/management/sessions/{}", k.app_id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for t in &tokens {
        assert!(!raw.contains(t.as_str()), "listing leaks a session token or secret");
    }
}

#[tokio::test]
async fn console_logout_of_one_session_and_of_a_user() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (s1, c1) = k.login("ann", &[]).await;
    let (_, c2) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 2, Duration::from_secs(5)).await.unwrap();
    let r = k.app.logout_session(s1.session_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(r.closed, 1);
    let st = c1.status().await.unwrap();
    assert_eq!((st.session_status, st.reason.as_deref()), (Closed, Some("console_logout")));
    assert_eq!(c2.status().await.unwrap().session_status, Active);
    assert_eq!(k.app.logout_user("ann").await.unwrap().closed, 1);
    assert_eq!(c2.status().await.unwrap().session_status, Closed);
    assert_eq!(k.app.logout_session("nope").await.unwrap_err().http_status(), Some(404));
}

#[tokio::test]
async fn another_applications_session_cannot_be_logged_out() {
    let k = Kit::start().await;
    let phone = k.enroll("ann").await;
    let (s, c) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    let other = k.server.state.create_app("other").await.unwrap();
    let client = iampass_proto::client::ManagementClient::new(k.server.public_url(), &other.id, &other.secret).unwrap();
    assert_eq!(client.logout_session(s.session_id.as_deref().unwrap()).await.unwrap_err().http_status(), Some(404));
    assert_eq!(c.status().await.unwrap().session_status, Active);
}

#[tokio::test]
async fn the_event_stream_sees_every_change_in_order_and_resumes_without_loss() {
    let k = Kit::start().await;
    let mut stream = Box::pin(k.app.events(None).await.unwrap());
    let phone = k.enroll("ann").await;
    let (_, session) = k.login("ann", &[]).await;
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await.unwrap();
    session.logout().await.unwrap();

    let mut seen = Vec::new();
    while seen.len() < 7 {
        let ev =
            tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("event in time").unwrap().unwrap();
        seen.push(ev);
    }
    let kinds: Vec<String> = seen
        .iter()
        .map(|e| match &e.data {
            EventData::User(u) => format!("{:?}", u.change),
            EventData::Session(s) => s.status.to_string(),
            other => other.kind().to_owned(),
        })
        .collect();
    assert_eq!(kinds, ["Added", "LinkIssued", "DeviceBound", "pending", "identifying", "active", "closed"]);
    assert!(seen.windows(2).all(|w| w[0].id < w[1].id));
    assert!(matches!(&seen[2].data, EventData::User(u) if u.change == UserChange::DeviceBound));
    drop(stream);

    // Changes made while nobody listens are delivered on resume, each once.
    let resume_from = seen[4].id;
    k.app.logout_user("ann").await.unwrap();
    k.app.add_users(&["bob".into()]).await.unwrap();
    let mut resumed = Box::pin(k.app.events(Some(resume_from)).await.unwrap());
    let mut ids = Vec::new();
    while ids.len() < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(5), resumed.next())
            .await
            .expect("event in time")
            .unwrap()
            .unwrap();
        ids.push(ev.id);
    }
    assert_eq!(&ids[..2], &[seen[5].id, seen[6].id]);
    assert!(ids[2] > seen[6].id);
}

#[tokio::test]
async fn management_actions_are_in_the_servers_audit_log() {
    let k = Kit::start().await;
    k.app.add_users(&["a b".into()]).await.unwrap();
    k.app.registration_link("a b", None).await.unwrap();
    k.app.has_registered_mobile_device("a b").await.unwrap();
    k.app.logout_user("a b").await.unwrap();
    assert!(k.app.lost_user_mobile_device("ghost").await.is_err());
    let unsigned = k
        .http
        .post(k.url(&format!("/management/delete_users/{}", k.app_id)))
        .json(&serde_json::json!({"users": ["a b"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);

    let page = k.app.audit(None, None).await.unwrap();
    let got: Vec<(&str, Option<&str>, u16)> =
        page.records.iter().map(|r| (r.action.as_str(), r.subject.as_deref(), r.status)).collect();
    assert_eq!(
        got,
        [
            ("lost_user_mobile_device", Some("ghost"), 404),
            ("logout_user", Some("a b"), 200),
            ("device_registration_link", Some("a b"), 200),
            ("add_users", None, 201)
        ],
        "reads and unauthenticated requests are not recorded; newest first"
    );
    assert!(page.records.iter().all(|r| r.source.as_deref() == Some("127.0.0.1")));
    assert!(
        page.records.iter().all(|r| r.actor == "application" && r.actor_id.as_deref() == Some(k.app_id.as_str())),
        "every record names the application as the actor"
    );

    let first = k.app.audit(None, Some(3)).await.unwrap();
    let rest = k.app.audit(first.next_cursor.as_deref(), Some(3)).await.unwrap();
    assert_eq!((first.records.len(), rest.records.len(), rest.next_cursor), (3, 1, None));

    let other = k.server.state.create_app("other").await.unwrap();
    let other = iampass_proto::client::ManagementClient::new(k.server.public_url(), &other.id, &other.secret).unwrap();
    assert!(other.audit(None, None).await.unwrap().records.is_empty(), "an application sees only its own log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_actions_are_each_recorded_once_when_grouped_into_one_write() {
    let k = Kit::start().await;
    let calls = (0..60).map(|i| {
        let app = k.app.clone();
        tokio::spawn(async move { app.registration_link(&format!("u{i}"), None).await })
    });
    k.app.add_users(&(0..60).map(|i| format!("u{i}")).collect::<Vec<_>>()).await.unwrap();
    // Each link call races the add (200 or 404); answered either way, each is in the log.
    for answered in futures_util::future::join_all(calls).await {
        let _ = answered.unwrap();
    }
    let mut expected: Vec<String> = (0..60).map(|i| format!("u{i}")).collect();
    let page = k.app.audit(None, Some(500)).await.unwrap();
    let mut subjects: Vec<String> = page
        .records
        .iter()
        .filter(|r| r.action == "device_registration_link")
        .filter_map(|r| r.subject.clone())
        .collect();
    subjects.sort();
    expected.sort();
    assert_eq!(subjects, expected, "60 answered calls, 60 records");
    assert_eq!(page.records.iter().filter(|r| r.action == "add_users").count(), 1);
}
