//! The team book's routes as the server enforces them: versions and key generations (a stale write
//! is a 409 that changes nothing), bad input refused with a reason, the book of one application
//! closed to another's staff, a kiosk's stream that carries the book and no sessions, and the
//! audit log naming the writer and the user id.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use iampass_proto::wire::*;
use iampass_testkit::{Kit, error_of};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn write(user: &str, replaces: u64, sealed: &[u8]) -> BookWrite {
    BookWrite { user_id: user.into(), replaces, sealed: b64(sealed) }
}

/// A book with its first key: one approved desk.
async fn with_key(k: &Kit) -> String {
    let desk =
        k.app.request_desk_key(&DeskRequest { name: "desk one".into(), public_key: b64(&[7; 32]) }).await.unwrap();
    let wrapped = vec![WrappedKey { desk_id: desk.desk_id.clone(), wrapped: b64(&[1; 80]) }];
    k.app.rotate_book(&BookRotation { generation: 1, wrapped, entries: vec![] }).await.unwrap();
    desk.desk_id
}

#[tokio::test]
async fn writes_name_the_version_they_replace_and_a_stale_one_changes_nothing() {
    let k = Kit::start().await;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await.client;
    // No key yet: nothing can be written.
    let e = hal.write_book(&BookWrites { generation: 0, entries: vec![write("u1", 0, b"x")] }).await.unwrap_err();
    assert_eq!(e.code(), Some("stale_key"));
    with_key(&k).await;

    let first =
        hal.write_book(&BookWrites { generation: 1, entries: vec![write("u1", 0, b"sealed-1")] }).await.unwrap();
    assert_eq!((first.entries[0].version, first.entries[0].generation), (1, 1));
    assert!(k.app.user("u1").await.unwrap().is_some(), "a help-desk member's new entry adds the IAMPASS user");
    hal.write_book(&BookWrites { generation: 1, entries: vec![write("u1", 1, b"sealed-2")] }).await.unwrap();

    // A second write from version 1 (a colleague who opened it before) is refused, whole.
    let stale = BookWrites { generation: 1, entries: vec![write("u2", 0, b"new"), write("u1", 1, b"late")] };
    let e = hal.write_book(&stale).await.unwrap_err();
    assert_eq!((e.http_status(), e.code()), (Some(409), Some("stale_version")));
    let now = k.app.book_entry("u1").await.unwrap().unwrap();
    assert_eq!((now.version, now.sealed.as_deref()), (2, Some(b64(b"sealed-2").as_str())));
    assert_eq!(k.app.book_entry("u2").await.unwrap(), None, "nothing of a refused call is kept");
    assert_eq!(k.app.user("u2").await.unwrap(), None);
    // A write under an old key generation is refused too.
    let e = hal.write_book(&BookWrites { generation: 2, entries: vec![write("u1", 2, b"x")] }).await.unwrap_err();
    assert_eq!(e.code(), Some("stale_key"));

    // Catching up: entries after a revision, oldest first.
    let page = hal.book(0, None).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(hal.book(page.entries[0].revision, None).await.unwrap().entries, vec![]);
    // One large write, read back in small pages: each entry has its own revision, none is skipped.
    let many: Vec<BookWrite> = (0..12).map(|i| write(&format!("p{i}"), 0, b"s")).collect();
    hal.write_book(&BookWrites { generation: 1, entries: many }).await.unwrap();
    let (mut since, mut seen) = (page.entries[0].revision, Vec::new());
    loop {
        let p = hal.book(since, Some(5)).await.unwrap();
        since = p.entries.last().map_or(since, |e| e.revision);
        seen.extend(p.entries.into_iter().map(|e| e.user_id));
        if !p.more {
            break;
        }
    }
    assert_eq!(seen, (0..12).map(|i| format!("p{i}")).collect::<Vec<_>>());

    // Removing takes the user with it and leaves an empty entry for desks that were away.
    let e = k.app.remove_book_entry("u1", 1).await.unwrap_err();
    assert_eq!(e.code(), Some("stale_version"));
    k.app.remove_book_entry("u1", 2).await.unwrap();
    assert_eq!(k.app.user("u1").await.unwrap(), None);
    let gone = k.app.book_entry("u1").await.unwrap().unwrap();
    assert_eq!((gone.version, gone.sealed), (3, None));
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_changes_nothing() {
    let k = Kit::start().await;
    with_key(&k).await;
    let admin = k.staff("Ada", StaffRole::Admin).await;
    let cases = [
        (
            serde_json::json!({"generation": 1, "entries": [{"user_id": "u", "replaces": 0, "sealed": "not base64!"}]}),
            "invalid_encoding",
        ),
        (
            serde_json::json!({"generation": 1, "entries": [{"user_id": "u", "replaces": 0, "sealed": b64(&vec![0; 16 * 1024 + 1])}]}),
            "invalid_size",
        ),
        (
            serde_json::json!({"generation": 1, "entries": [{"user_id": "u", "replaces": 0, "sealed": ""}]}),
            "invalid_size",
        ),
        (serde_json::json!({"generation": 1, "entries": []}), "invalid_size"),
        (
            serde_json::json!({"generation": 1, "entries": [{"user_id": "u", "replaces": 0, "sealed": "AA"}, {"user_id": "u", "replaces": 0, "sealed": "AA"}]}),
            "duplicate_entry",
        ),
        (
            serde_json::json!({"generation": 1, "entries": [{"user_id": "", "replaces": 0, "sealed": "AA"}]}),
            "invalid_user_id",
        ),
        (serde_json::json!({"generation": "one"}), "malformed_json"),
    ];
    for (body, code) in cases {
        let r = k
            .http
            .put(k.url(&format!("/console/v1/{}/book", k.app_id)))
            .bearer_auth(&admin.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let (status, err) = error_of(r).await;
        assert_eq!((status, err.error.as_str()), (400, code), "{body}");
    }
    assert_eq!(k.app.book(0, None).await.unwrap().entries, vec![]);
    // A desk key that is not 32 bytes, a name with a control character.
    for (name, key) in [("desk", b64(&[1; 31])), ("bad\u{7}", b64(&[1; 32]))] {
        let e = admin.client.request_desk_key(&DeskRequest { name: name.into(), public_key: key }).await.unwrap_err();
        assert_eq!(e.http_status(), Some(400));
    }
    // An approval for a desk nobody asked for, a refusal of one that holds the key.
    let e =
        admin.client.approve_desk("nope", &DeskApproval { generation: 1, wrapped: b64(&[1; 80]) }).await.unwrap_err();
    assert_eq!(e.code(), Some("unknown_desk"));
    let first = admin.client.desks().await.unwrap().remove(0);
    assert_eq!(admin.client.refuse_desk(&first.desk_id).await.unwrap_err().code(), Some("desk_approved"));
    // A rotation that leaves an entry behind is refused whole.
    admin.client.write_book(&BookWrites { generation: 1, entries: vec![write("u", 0, b"s")] }).await.unwrap();
    let wrapped = vec![WrappedKey { desk_id: first.desk_id.clone(), wrapped: b64(&[2; 80]) }];
    let e = admin.client.rotate_book(&BookRotation { generation: 2, wrapped, entries: vec![] }).await.unwrap_err();
    assert_eq!(e.code(), Some("incomplete_rotation"));
    assert_eq!(k.app.book(0, None).await.unwrap().generation, 1);
}

#[tokio::test]
async fn another_applications_staff_cannot_read_the_book() {
    let k = Kit::start().await;
    with_key(&k).await;
    k.app.write_book(&BookWrites { generation: 1, entries: vec![write("u1", 0, b"sealed")] }).await.unwrap();
    let (other, _) = iampass_testkit::new_app(&k.server, "Other", false).await;
    let (_, phone) = iampass_testkit::add_staff(
        &iampass_proto::client::ManagementClient::new(&iampass_testkit::base_url(&k.server), &other.id, &other.secret)
            .unwrap(),
        "Mallory",
        StaffRole::Admin,
    )
    .await;
    let (_, token) = iampass_testkit::sign_in_staff(&k.server, &other.id, "Mallory", &phone).await;
    for path in ["book", "book/u1", "desks"] {
        let r =
            k.http.get(k.url(&format!("/console/v1/{}/{path}", k.app_id))).bearer_auth(&token).send().await.unwrap();
        let (status, err) = error_of(r).await;
        assert_eq!((status, err.error.as_str()), (403, "wrong_application"), "{path}");
    }
}

/// A kiosk follows the book on the stream (to find an employee's name), never the sessions; the
/// audit log names who wrote which user's entry, and nothing of what it holds.
#[tokio::test]
async fn a_kiosks_stream_carries_the_book_and_no_sessions_and_the_audit_names_the_writer() {
    let k = Kit::start().await;
    with_key(&k).await;
    k.enroll("emp").await;
    let kiosk = k.staff("Kiosk", StaffRole::Kiosk).await.client;
    let hal = k.staff("Hal", StaffRole::Helpdesk).await.client;
    let mut stream = Box::pin(kiosk.events(None).await.unwrap());
    k.login("emp", &[]).await;
    hal.write_book(&BookWrites { generation: 1, entries: vec![write("u9", 0, b"sealed-u9")] }).await.unwrap();
    let mut kinds = Vec::new();
    while !kinds.contains(&"book") {
        let e = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("an event").unwrap().unwrap();
        kinds.push(e.data.kind());
        if let EventData::Book(entry) = &e.data {
            assert_eq!((entry.user_id.as_str(), entry.sealed.as_deref()), ("u9", Some(b64(b"sealed-u9").as_str())));
        }
    }
    assert!(!kinds.contains(&"session"), "a kiosk's stream carries no sessions: {kinds:?}");
    let audit = k.app.audit(None, Some(50)).await.unwrap();
    let rec = audit.records.iter().find(|r| r.action == "book_write").expect("the write is audited");
    assert_eq!(rec.actor_name.as_deref(), Some("Hal"));
    assert_eq!(rec.detail.as_deref(), Some("entry u9"));
    // Writing the book is not the kiosk's.
    let e = kiosk.write_book(&BookWrites { generation: 1, entries: vec![write("u8", 0, b"s")] }).await.unwrap_err();
    assert_eq!(e.http_status(), Some(403));
}
