//! Crash safety: the real binary is killed with SIGKILL in the middle of a bounded burst of writes,
//! 20 times, restarted each time. Every write the server acknowledged (users added, phones bound,
//! logins approved) must still be there, and SQLite's integrity check must pass.

use iampass_server::store::prelude::*;
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use iampass_device::{Answer, Phone};
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::SessionStatus;
use iampass_proto::wire::SessionsQuery;
use tokio::sync::Mutex;

const ROUNDS: usize = 20;

fn serve(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iampass-server"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"])
        .env("IAMPASS_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().rsplit(' ').next().unwrap().to_owned())
}

#[derive(Default)]
struct Acknowledged {
    users: Vec<String>,
    bound: Vec<String>,
    active: Vec<(String, String)>,
}

/// Writes until the server dies: user batches, and phones that bind and approve a login.
async fn burst(client: ManagementClient, round: usize, acked: Arc<Mutex<Acknowledged>>) {
    let users = {
        let (client, acked) = (client.clone(), acked.clone());
        async move {
            for batch in 0.. {
                let ids: Vec<String> = (0..20).map(|i| format!("r{round}-b{batch}-u{i}")).collect();
                match client.add_users(&ids).await {
                    Ok(r) => acked.lock().await.users.extend(r.users.created),
                    Err(_) => return,
                }
            }
        }
    };
    let phones = async move {
        for p in 0.. {
            let user = format!("r{round}-phone{p}");
            if client.add_users(std::slice::from_ref(&user)).await.is_err() {
                return;
            }
            let Ok(link) = client.registration_link(&user, None).await else { return };
            let Ok(phone) = Phone::enroll(&link.register_url, "p", "t").await else { return };
            acked.lock().await.bound.push(user.clone());
            let Ok(started) = client.authenticate_user(&user, &[], None).await else { return };
            let Ok(answered) = phone.answer(&Answer::Approve(None), 1, Duration::from_secs(5)).await else { return };
            if answered[0].session.status == SessionStatus::Active {
                acked.lock().await.active.push((user, started.authentication_status.session_id.unwrap_or_default()));
            }
        }
    };
    tokio::join!(users, phones);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let out = Command::new(env!("CARGO_BIN_EXE_iampass-server"))
        .arg("--db")
        .arg(&db)
        .args(["app", "create", "--name", "crash", "--json"])
        .output()
        .unwrap();
    let app: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) =
        (app["application_id"].as_str().unwrap().to_owned(), app["application_secret"].as_str().unwrap().to_owned());
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    for round in 0..ROUNDS {
        let (mut child, url) = tokio::task::spawn_blocking({
            let db = db.clone();
            move || serve(&db)
        })
        .await
        .unwrap();
        let client = ManagementClient::new(&url, &id, &secret).unwrap();
        let writes = tokio::spawn(burst(client, round, acked.clone()));
        // Somewhere between 40 and 240 ms into the burst: mid-write, at a different point each time.
        tokio::time::sleep(Duration::from_millis(40 + (round as u64 * 37) % 200)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        tokio::time::timeout(Duration::from_secs(30), writes)
            .await
            .expect("the burst stops once the server is gone")
            .unwrap();
    }

    let acked = acked.lock().await;
    assert!(
        acked.users.len() > 100 && !acked.bound.is_empty() && !acked.active.is_empty(),
        "the bursts wrote little: {} users, {} phones, {} logins",
        acked.users.len(),
        acked.bound.len(),
        acked.active.len()
    );
    let (mut child, url) = tokio::task::spawn_blocking(move || serve(&db)).await.unwrap();
    let client = ManagementClient::new(&url, &id, &secret).unwrap();
    for user in &acked.users {
        assert!(client.has_registered_mobile_device(user).await.is_ok(), "acknowledged user {user} is missing");
    }
    for user in &acked.bound {
        assert!(client.has_registered_mobile_device(user).await.unwrap(), "acknowledged binding of {user} is missing");
    }
    for (user, session) in &acked.active {
        let page = client.sessions(&SessionsQuery { user: Some(user.clone()), ..Default::default() }).await.unwrap();
        let s = page.sessions.iter().find(|s| &s.session_id == session).expect("acknowledged session");
        assert_eq!(s.status, SessionStatus::Active, "acknowledged approval of {user} is missing");
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let store = iampass_server::store::Db::open(
        &dir.path().join("crash.db").into(),
        Arc::new(iampass_server::hub::Hub::new(0)),
    )
    .unwrap();
    assert_eq!(store.check().await.unwrap(), "ok");
    println!(
        "{ROUNDS} SIGKILLs: {} users, {} bindings, {} approved logins acknowledged, all present",
        acked.users.len(),
        acked.bound.len(),
        acked.active.len()
    );
}
