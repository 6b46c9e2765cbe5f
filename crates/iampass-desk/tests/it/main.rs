//! The console's core against a real server (the embedded one, or one started here) and the real
//! phone library. The phone reads its link from the QR picture, so the test proves the picture
//! carries it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod connection;
mod dashboard;
mod employees;
mod enrollment;
mod recovery;
mod staff;
mod team;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use iampass_desk::book::{EmployeeQuery, EnrollmentState, NewEmployee};
use iampass_desk::enroll::{EnrollmentOutcome, EnrollmentTicket};
use iampass_desk::{Desk, DeskError, DeskOptions};
use iampass_device::Phone;

pub async fn desk(dir: &std::path::Path) -> Desk {
    desk_with_clock(dir, Arc::new(iampass_proto::clock::SystemClock)).await
}

/// A desk whose time is `clock`'s, so a test passes time without waiting.
pub async fn desk_with_clock(dir: &std::path::Path, clock: iampass_proto::clock::SharedClock) -> Desk {
    Desk::open(DeskOptions {
        data_dir: dir.join("data"),
        operator: "tester".into(),
        secrets_in_file: true,
        idle_lock_secs: None,
        clock,
        save_dir: dir.join("saved"),
    })
    .await
    .unwrap()
}

pub async fn local_desk() -> (Desk, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let d = desk(dir.path()).await;
    let status = d.start_local_server().await.unwrap();
    assert!(status.connected && status.profile.as_ref().unwrap().embedded);
    assert!(status.warning.unwrap().contains("private file"));
    (d, dir)
}

pub fn person(name: &str, number: &str) -> NewEmployee {
    NewEmployee {
        name: name.into(),
        employee_number: number.into(),
        email: String::new(),
        department: "Ops".into(),
        notes: String::new(),
    }
}

/// Reads the link back out of the ticket's PNG, as a phone's camera would.
pub fn scan(ticket: &EnrollmentTicket) -> String {
    let b64 = ticket.qr_png.strip_prefix("data:image/png;base64,").unwrap();
    let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    assert!(img.width() >= 720, "large enough to scan across a desk");
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    grids[0].decode().unwrap().1
}

pub fn actions(d: &Desk) -> Vec<String> {
    d.audit_entries(100).unwrap().into_iter().rev().map(|a| format!("{} {}", a.action, a.result)).collect()
}
