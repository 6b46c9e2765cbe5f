//! The team book's numbers (docs/BENCHMARKS.md), with two real desks on a real server on loopback:
//! a change on desk A on desk B's screen (p50, p99, max over a run of edits), a new desk's first
//! full sync of 10,000 employees, removing a desk (a key rotation over 10,000 entries), and the
//! book's size on the server per employee. Run: `cargo bench -p iampass-desk --bench team_book`.
//! Wall times, printed, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use iampass_desk::book::{EmployeeQuery, NewEmployee};
use iampass_desk::monitor::MonitorEvent;
use iampass_desk::{Desk, DeskOptions};
use tokio::sync::{mpsc, watch};

const EMPLOYEES: usize = 10_000;
const EDITS: usize = 200;

async fn desk(dir: &std::path::Path) -> Arc<Desk> {
    let options = DeskOptions {
        data_dir: dir.join("data"),
        operator: "bench".into(),
        secrets_in_file: true,
        idle_lock_secs: None,
        clock: std::sync::Arc::new(iampass_proto::clock::SystemClock),
        save_dir: dir.join("saved"),
    };
    Arc::new(Desk::open(options).await.unwrap())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

async fn approve(a: &Desk, b: &Desk) {
    let fingerprint = b.team_status().desk_fingerprint;
    let request = a.team_desks().await.unwrap().into_iter().find(|d| d.fingerprint == fingerprint).unwrap();
    a.approve_desk(&request.desk.desk_id, &fingerprint).await.unwrap();
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let server = iampass_testkit::start_server(dir.path(), Arc::new(iampass_proto::clock::SystemClock), |_| {}).await;
    let (app, _) = iampass_testkit::new_app(&server, "Bench", false).await;
    let a = desk(&dir.path().join("a")).await;
    a.connect(server.public_url(), &app.id, &app.secret).await.unwrap();

    // 10,000 employees, added as one import (one sealed write).
    let mut csv = String::from("name,email,employee_number,department,notes\n");
    for i in 0..EMPLOYEES {
        csv.push_str(&format!(
            "Employee {i:05} Example,employee.{i}@corp.example,E{i:05},Department {},Desk {} on floor {}\n",
            i % 40,
            i % 300,
            i % 12
        ));
    }
    let t = Instant::now();
    a.import_employees(&csv).await.unwrap();
    println!("BENCH team book: import of {EMPLOYEES} employees on desk A (seal + one write): {}", ms(t.elapsed()));

    // Desk B: approved, then its first full sync.
    let b = desk(&dir.path().join("b")).await;
    b.connect(server.public_url(), &app.id, &app.secret).await.unwrap();
    approve(&a, &b).await;
    let t = Instant::now();
    b.join_team().await.unwrap();
    let first_sync = t.elapsed();
    assert_eq!(b.employees(&EmployeeQuery::default()).unwrap().len(), EMPLOYEES);
    println!(
        "BENCH team book: desk B's first full sync of {EMPLOYEES} employees (key, fetch, open, write its copy): {}",
        ms(first_sync)
    );

    // A change on A, on B's copy: B's monitor says "book changed" once it has applied it.
    let (stop, stop_rx) = watch::channel(false);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let follower = b.clone();
    let task = tokio::spawn(async move { follower.run_monitor(move |e| drop(tx.send(e)), stop_rx).await });
    while !matches!(rx.recv().await, Some(MonitorEvent::Connection { connected: true, .. })) {}
    let ids: Vec<i64> = a.employees(&EmployeeQuery::default()).unwrap().iter().take(EDITS).map(|e| e.id).collect();
    let mut seen = Vec::with_capacity(EDITS);
    for (n, id) in ids.iter().enumerate() {
        let fields = NewEmployee {
            name: format!("Edited {n:05} Example"),
            email: String::new(),
            employee_number: String::new(),
            department: "Edited".into(),
            notes: String::new(),
        };
        let t = Instant::now();
        a.update_employee(*id, fields, None).await.unwrap();
        loop {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap() {
                Some(MonitorEvent::Book { changed }) if changed > 0 => break,
                Some(_) => {}
                None => panic!("monitor ended"),
            }
        }
        seen.push(t.elapsed());
        // Bursts are throttled to a batch per 100 ms; edits a person makes are further apart.
        tokio::time::sleep(Duration::from_millis(120)).await;
    }
    seen.sort();
    println!(
        "BENCH team book: a change on desk A on desk B ({EDITS} edits, save to applied): p50 {}, p99 {}, max {}",
        ms(percentile(&seen, 0.5)),
        ms(percentile(&seen, 0.99)),
        ms(*seen.last().unwrap())
    );
    stop.send(true).unwrap();
    task.await.unwrap();

    // The book's size on the server.
    let db = rusqlite::Connection::open(dir.path().join("iampass.db")).unwrap();
    let (count, sealed): (i64, i64) = db
        .query_row("SELECT COUNT(*), SUM(LENGTH(sealed)) FROM book_entries WHERE sealed IS NOT NULL", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    println!(
        "BENCH team book: on the server, {count} entries, {} bytes sealed per employee on average (24-byte nonce + 16-byte tag included)",
        sealed / count.max(1)
    );

    // Removing desk B: a new key, every entry sealed again, in one call.
    let b_id = a.team_desks().await.unwrap().into_iter().find(|d| !d.this_desk).unwrap().desk.desk_id;
    let t = Instant::now();
    a.remove_desk(&b_id).await.unwrap();
    println!(
        "BENCH team book: removing a desk (key rotation over {EMPLOYEES} entries, catch-up included): {}",
        ms(t.elapsed())
    );
    server.stop().await.unwrap();
}
