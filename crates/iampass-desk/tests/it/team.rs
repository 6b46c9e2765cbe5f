//! The team book with two real desks on one real server: the server never holds a name, an edit
//! on one desk reaches the other live, two edits at once are one win and one told, a removed desk
//! reads nothing written after, and bytes the server alters are refused with nothing overwritten.

use std::sync::Arc;
use std::time::Duration;

use iampass_desk::book::{EmployeeQuery, NewEmployee};
use iampass_desk::monitor::MonitorEvent;
use iampass_desk::{Desk, TeamState};
use iampass_proto::client::ManagementClient;

use super::dashboard::monitor;
use super::{desk, person};

/// Two desks on one server and application: `a` made the book, `b` was approved by `a`.
struct Team {
    a: Arc<Desk>,
    b: Arc<Desk>,
    app: ManagementClient,
    server: iampass_server::Running,
    dir: tempfile::TempDir,
    _b_dir: tempfile::TempDir,
}

async fn team() -> Team {
    let dir = tempfile::tempdir().unwrap();
    let server = iampass_testkit::start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |_| {}).await;
    let (created, app) = iampass_testkit::new_app(&server, "Help desk", false).await;
    let a = Arc::new(desk(&dir.path().join("a")).await);
    a.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    assert_eq!(a.team_status().state, TeamState::Ready, "the first desk makes the book");
    let b_dir = tempfile::tempdir().unwrap();
    let b = Arc::new(desk(b_dir.path()).await);
    b.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    let waiting = b.team_status();
    assert_eq!(waiting.state, TeamState::Waiting);
    let request = a.team_desks().await.unwrap().into_iter().find(|d| !d.this_desk).unwrap();
    a.approve_desk(&request.desk.desk_id, &waiting.desk_fingerprint).await.unwrap();
    assert_eq!(b.join_team().await.unwrap().state, TeamState::Ready);
    Team { a, b, app, server, dir, _b_dir: b_dir }
}

fn named(b: &Desk, name: &str) -> Option<iampass_desk::book::Employee> {
    b.employees(&EmployeeQuery::default()).unwrap().into_iter().find(|e| e.name == name)
}

/// Every byte the server keeps: on PostgreSQL a dump of its database, on SQLite the files (the
/// database and its log) as a file reader would see them.
fn server_bytes(dir: &std::path::Path) -> Vec<u8> {
    if let (iampass_server::store::Location::Postgres(url), _) = iampass_testkit::database(dir) {
        let out = std::process::Command::new("pg_dump").arg(url.as_str()).output().expect("pg_dump runs");
        assert!(out.status.success(), "pg_dump: {}", String::from_utf8_lossy(&out.stderr));
        return out.stdout;
    }
    let mut all = Vec::new();
    for entry in walk(dir) {
        let name = entry.to_string_lossy().into_owned();
        if name.contains("/a/") || name.ends_with(".secret") {
            continue;
        }
        all.extend(std::fs::read(&entry).unwrap_or_default());
    }
    all
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

/// Names, e-mails, departments and notes typed on a desk never reach the server's database: not
/// when added, edited, imported or rotated.
#[tokio::test(flavor = "multi_thread")]
async fn the_servers_database_holds_no_name_email_or_note() {
    let t = team().await;
    let secret = NewEmployee {
        name: "Zebulon Quixote-Marlowe".into(),
        email: "zebulon.marlowe@secret-corp.example".into(),
        employee_number: "SN-778812".into(),
        department: "Skunkworks Division".into(),
        notes: "Prefers a callback on 07700 900461".into(),
    };
    let zeb = t.a.add_employee(secret.clone()).await.unwrap();
    let edited = NewEmployee { notes: "Moved to building Octarine".into(), ..secret.clone() };
    t.b.join_team().await.unwrap();
    let on_b = named(&t.b, "Zebulon Quixote-Marlowe").unwrap();
    t.b.update_employee(on_b.id, edited.clone(), None).await.unwrap();
    t.a.import_employees(
        "name,email,department,notes\nYolanda Verity-Okafor,yolanda@secret-corp.example,Vault,Knows the PIN\n",
    )
    .await
    .unwrap();
    let gone = t.a.team_desks().await.unwrap().into_iter().find(|d| !d.this_desk).unwrap();
    t.a.remove_desk(&gone.desk.desk_id).await.unwrap();
    assert_eq!(t.a.employee(zeb.id).unwrap().state, iampass_desk::book::EnrollmentState::NotEnrolled);
    t.server.stop().await.unwrap();
    let bytes = server_bytes(t.dir.path());
    assert!(bytes.len() > 10_000, "the database was read ({} bytes)", bytes.len());
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    for needle in [
        "zebulon",
        "quixote",
        "secret-corp",
        "sn-778812",
        "skunkworks",
        "prefers a callback",
        "octarine",
        "yolanda",
        "verity",
        "knows the pin",
    ] {
        assert!(!text.contains(needle), "the server's database holds {needle:?}");
    }
    // The server did keep the entries, sealed.
    assert!(text.contains(&zeb.token), "the user id is the one thing the server knows");
}

/// Waits (15 s at most) for the monitor to say the book changed here.
async fn book_changed(rx: &mut tokio::sync::mpsc::UnboundedReceiver<MonitorEvent>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await.expect("a book change within 15 s") {
            Some(MonitorEvent::Book { changed }) if changed > 0 => return,
            Some(_) => {}
            None => panic!("the monitor ended"),
        }
    }
}

/// Waits (bounded) for book changes on the monitor until `done` holds.
async fn until(rx: &mut tokio::sync::mpsc::UnboundedReceiver<MonitorEvent>, done: impl Fn() -> bool) {
    for _ in 0..20 {
        if done() {
            return;
        }
        book_changed(rx).await;
    }
    assert!(done(), "not after 20 changes");
}

/// A change on one desk reaches the other's copy through the event stream, without a reload;
/// a removal too.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_one_desk_reaches_the_other_live() {
    let t = team().await;
    let (stop, mut rx, task) = monitor(&t.b);
    // The stream is up once the monitor has caught up.
    while !matches!(
        tokio::time::timeout(Duration::from_secs(15), rx.recv()).await.unwrap().unwrap(),
        MonitorEvent::Connection { connected: true, .. }
    ) {}
    let dana = t.a.add_employee(person("Dana Live", "L1")).await.unwrap();
    until(&mut rx, || named(&t.b, "Dana Live").is_some()).await;
    let there = named(&t.b, "Dana Live").expect("desk B has Dana without a reload");
    assert_eq!((there.token.as_str(), there.version, there.edited_by.as_str()), (dana.token.as_str(), 1, "tester"));
    // Her phone enrolled from desk A's code shows as enrolled on desk B too (the stream's user
    // events, whichever desk issued the link).
    let ticket = t.a.start_enrollment(dana.id).await.unwrap();
    iampass_device::Phone::enroll(&super::scan(&ticket), "dana's phone", "test").await.unwrap();
    let enrolled =
        || named(&t.b, "Dana Live").is_some_and(|e| e.state == iampass_desk::book::EnrollmentState::Enrolled);
    until(&mut rx, enrolled).await;
    assert_eq!(named(&t.b, "Dana Live").unwrap().phone_kind, Some(iampass_proto::wire::AuthenticatorKind::App));
    t.a.update_employee(dana.id, person("Dana Livingstone", "L1"), None).await.unwrap();
    until(&mut rx, || named(&t.b, "Dana Livingstone").is_some()).await;
    t.a.remove_employee(dana.id).await.unwrap();
    until(&mut rx, || named(&t.b, "Dana Livingstone").is_none()).await;
    assert_eq!(t.app.user(&dana.token).await.unwrap(), None, "and the IAMPASS user went with the entry");
    stop.send(true).unwrap();
    task.await.unwrap();
    t.server.stop().await.unwrap();
}

/// Two desks edit one employee from the same version: the first save wins, the second is told
/// who changed it, its desk shows their version, and saving again over it keeps the second text.
#[tokio::test(flavor = "multi_thread")]
async fn two_edits_at_once_one_wins_and_the_other_is_told_and_keeps_its_text() {
    let t = team().await;
    let ann = t.a.add_employee(person("Ann", "A1")).await.unwrap();
    t.b.sync_book().await.unwrap();
    let on_b = named(&t.b, "Ann").unwrap();
    assert_eq!(on_b.version, 1);
    t.a.update_employee(ann.id, NewEmployee { notes: "from A".into(), ..person("Ann", "A1") }, Some(1)).await.unwrap();
    let mine = NewEmployee { notes: "from B".into(), ..person("Ann", "A1") };
    let told = t.b.update_employee(on_b.id, mine.clone(), Some(on_b.version)).await.unwrap_err();
    assert_eq!(told.to_ui().code, "edit_conflict");
    assert!(told.to_string().contains("tester"), "{told}");
    let theirs = t.b.employee(on_b.id).unwrap();
    assert_eq!((theirs.notes.as_str(), theirs.version), ("from A", 2), "desk B now shows A's version");
    let kept = t.b.update_employee(on_b.id, mine, Some(theirs.version)).await.unwrap();
    assert_eq!((kept.notes.as_str(), kept.version), ("from B", 3));
    t.a.sync_book().await.unwrap();
    assert_eq!(t.a.employee(ann.id).unwrap().notes, "from B");
    t.server.stop().await.unwrap();
}

/// Removing a desk rotates the key: the removed desk's keys open nothing written after, its
/// writes are refused, and the desks that stay read on.
#[tokio::test(flavor = "multi_thread")]
async fn a_removed_desk_reads_nothing_written_after() {
    let t = team().await;
    let ann = t.a.add_employee(person("Ann", "A1")).await.unwrap();
    t.b.sync_book().await.unwrap();
    let b_id = t.a.team_desks().await.unwrap().into_iter().find(|d| !d.this_desk).unwrap().desk.desk_id;
    let before = t.a.team_status();
    t.a.remove_desk(&b_id).await.unwrap();
    let after = t.a.team_status();
    assert_eq!(after.generation, before.generation + 1);
    assert_ne!(after.book_fingerprint, before.book_fingerprint);
    assert!(t.a.team_desks().await.unwrap().iter().all(|d| d.desk.desk_id != b_id), "its wrapped key is gone");
    t.a.update_employee(ann.id, person("Ann After", "A1"), None).await.unwrap();

    // Desk B still has what it had, and refuses (rather than believes) what it cannot open.
    let stale = named(&t.b, "Ann").unwrap();
    assert_eq!(t.b.sync_book().await.unwrap_err().to_ui().code, "stale_key");
    assert!(named(&t.b, "Ann After").is_none());
    assert_eq!(
        t.b.update_employee(stale.id, person("Ann B", "A1"), None).await.unwrap_err().to_ui().code,
        "stale_key",
        "a write under the old key is refused by the server"
    );
    // Asking again makes it a new request, which gives nothing until an admin approves it; the
    // old key, now useless, is forgotten.
    let again = t.b.join_team().await.unwrap();
    assert_eq!((again.state, again.book_fingerprint), (TeamState::Waiting, None));
    assert!(t.a.team_desks().await.unwrap().iter().any(|d| d.desk.state == iampass_proto::wire::DeskState::Pending));
    assert_eq!(t.a.employee(ann.id).unwrap().name, "Ann After");
    t.server.stop().await.unwrap();
}

/// The server (or whoever holds its database) alters what it relays: bytes of another employee
/// put in this one's place, or a tampered byte. The desk refuses them with a clear message and
/// changes nothing in its copy.
#[tokio::test(flavor = "multi_thread")]
async fn altered_entries_are_refused_and_change_nothing() {
    let t = team().await;
    let ann = t.a.add_employee(person("Ann", "A1")).await.unwrap();
    let bob = t.a.add_employee(person("Bob", "B1")).await.unwrap();
    t.b.sync_book().await.unwrap();
    let db = rusqlite::Connection::open(t.dir.path().join("iampass.db")).unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let sealed_of = |user: &str| -> Vec<u8> {
        db.query_row("SELECT sealed FROM book_entries WHERE user_id = ?1", [user], |r| r.get(0)).unwrap()
    };
    // Puts `sealed` in Ann's entry as a newer version at a newer revision, so the desk fetches it.
    let serve_as_ann = |sealed: Vec<u8>| {
        db.execute_batch("BEGIN IMMEDIATE; UPDATE books SET revision = revision + 1;").unwrap();
        db.execute(
            "UPDATE book_entries SET sealed = ?2, version = version + 1, revision = (SELECT revision FROM books)
             WHERE user_id = ?1",
            rusqlite::params![ann.token, sealed],
        )
        .unwrap();
        db.execute_batch("COMMIT").unwrap();
    };
    // Bob's sealed entry served as Ann's.
    serve_as_ann(sealed_of(&bob.token));
    let refused = t.b.sync_book().await.unwrap_err();
    assert_eq!(refused.to_ui().code, "tampered", "{refused}");
    assert!(refused.to_ui().action.contains("Nothing was changed"));
    assert_eq!(named(&t.b, "Ann").unwrap().version, 1, "desk B keeps the Ann it had");
    assert!(named(&t.b, "Bob").is_some());
    // One flipped bit of Ann's own entry.
    let mut flipped = sealed_of(&ann.token);
    flipped[30] ^= 1;
    serve_as_ann(flipped);
    assert_eq!(t.b.sync_book().await.unwrap_err().to_ui().code, "tampered");
    assert_eq!(named(&t.b, "Ann").unwrap().name, "Ann");
    assert_eq!(named(&t.b, "Ann").unwrap().version, 1);
    t.server.stop().await.unwrap();
}

/// A console from before the team book has its employees only in its local book; its first admin
/// connection makes the book's key and puts every one of them in the team book, where a second
/// desk finds them.
#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_puts_the_existing_local_book_in_the_team_book() {
    let dir = tempfile::tempdir().unwrap();
    let server = iampass_testkit::start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |_| {}).await;
    let (created, app) = iampass_testkit::new_app(&server, "Help desk", false).await;
    // The old console's book: two employees, their users on the server, nothing sealed anywhere.
    let old = dir.path().join("a");
    {
        let mut book = iampass_desk::book::Book::open(&old.join("data/book.db")).unwrap();
        let list = vec![(person("Olga Old", "O1"), "a".repeat(32)), (person("Piet Prior", "O2"), "b".repeat(32))];
        book.insert_employees(&list, 0, "", 1).unwrap();
        app.add_users(&["a".repeat(32), "b".repeat(32)]).await.unwrap();
    }
    let a = desk(&old).await;
    a.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    assert_eq!(a.team_status().state, TeamState::Ready);
    let kept = a.employees(&EmployeeQuery::default()).unwrap();
    assert_eq!(
        kept.iter().map(|e| (e.name.as_str(), e.version)).collect::<Vec<_>>(),
        [("Olga Old", 1), ("Piet Prior", 1)]
    );
    assert_eq!(app.book(0, None).await.unwrap().entries.len(), 2, "both are in the team book, sealed");

    let b_dir = tempfile::tempdir().unwrap();
    let b = desk(b_dir.path()).await;
    b.connect(server.public_url(), &created.id, &created.secret).await.unwrap();
    let fingerprint = b.team_status().desk_fingerprint;
    let request = a.team_desks().await.unwrap().into_iter().find(|d| !d.this_desk).unwrap();
    a.approve_desk(&request.desk.desk_id, &fingerprint).await.unwrap();
    b.join_team().await.unwrap();
    assert!(named(&b, "Olga Old").is_some() && named(&b, "Piet Prior").is_some());
    server.stop().await.unwrap();
}
