//! The console pointed at one node of several on PostgreSQL sees what happens on the others: a
//! login started and approved through another node reaches its dashboard live. Needs
//! `IAMPASS_TEST_POSTGRES` (scripts/test runs it in its PostgreSQL pass).

use std::sync::Arc;

use iampass_device::Answer;
use iampass_proto::clock::SystemClock;
use iampass_proto::wire::SessionStatus::{self, *};
use iampass_server::store::Location;
use iampass_testkit::{base_url, database, enroll_cli_phone, new_app, start_server};

use super::dashboard::{monitor, rows_until, wait_connected};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs IAMPASS_TEST_POSTGRES"]
async fn the_console_on_one_node_sees_logins_on_another() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        matches!(database(dir.path()).0, Location::Postgres(_)),
        "needs IAMPASS_TEST_POSTGRES (a PostgreSQL cluster: scripts/test starts one)"
    );
    let a = start_server(dir.path(), Arc::new(SystemClock), |_| {}).await;
    let b = start_server(dir.path(), Arc::new(SystemClock), |_| {}).await;
    let (app, on_a) = new_app(&a, "Two nodes", false).await;

    let desk_dir = tempfile::tempdir().unwrap();
    let d = Arc::new(super::desk(desk_dir.path()).await);
    let status = d.connect(&base_url(&b), &app.id, &app.secret).await.unwrap();
    assert!(status.connected);
    let (stop, mut rx, task) = monitor(&d);
    wait_connected(&mut rx, true).await;

    let phone = enroll_cli_phone(&on_a, "ann").await;
    let started = on_a.authenticate_user("ann", &[], None).await.unwrap().authentication_status;
    let session = started.session_id.unwrap();
    phone.answer(&Answer::Approve(None), 1, std::time::Duration::from_secs(10)).await.unwrap();

    let (mut seen, mut alerts) = (Vec::new(), Vec::new());
    rows_until(&mut rx, &mut seen, &mut alerts, |s| s.iter().any(|(id, st, _)| id == &session && *st == Active)).await;
    let statuses: Vec<SessionStatus> = seen.iter().filter(|(id, ..)| id == &session).map(|(_, st, _)| *st).collect();
    assert_eq!(statuses.first(), Some(&Pending), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&Active), "{statuses:?}");
    let _ = stop.send(true);
    task.await.unwrap();
}
