//! The live session dashboard: pages, counts, remote logout, caller verification. Live changes
//! reach the UI as `monitor` events (see `lib.rs`), not through these.

use std::collections::BTreeMap;

use iampass_desk::monitor::MonitorEvent;
use iampass_desk::{DashboardPage, UiError, VerifyResult, VerifyStarted};
use iampass_proto::wire::SessionStatus;
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) async fn dashboard_page(
    desk: State<'_, SharedDesk>,
    status: Option<SessionStatus>,
    employee_id: Option<i64>,
    cursor: Option<String>,
    limit: u32,
) -> Result<DashboardPage, UiError> {
    ui(desk.dashboard_page(status, employee_id, cursor, limit).await)
}

#[tauri::command]
pub(super) fn monitor_state(desk: State<'_, SharedDesk>) -> MonitorEvent {
    desk.monitor_state()
}

#[tauri::command]
pub(super) async fn session_counts(desk: State<'_, SharedDesk>) -> Result<BTreeMap<SessionStatus, u64>, UiError> {
    ui(desk.session_counts().await)
}

#[tauri::command]
pub(super) async fn logout_session(
    desk: State<'_, SharedDesk>,
    session_id: String,
    employee_id: Option<i64>,
) -> Result<(), UiError> {
    ui(desk.logout_session(&session_id, employee_id).await)
}

#[tauri::command]
pub(super) async fn logout_employee(desk: State<'_, SharedDesk>, id: i64) -> Result<u32, UiError> {
    ui(desk.logout_employee(id).await)
}

#[tauri::command]
pub(super) async fn start_verification(desk: State<'_, SharedDesk>, id: i64) -> Result<VerifyStarted, UiError> {
    ui(desk.start_verification(id).await)
}

#[tauri::command]
pub(super) async fn finish_verification(
    desk: State<'_, SharedDesk>,
    verification_id: String,
) -> Result<VerifyResult, UiError> {
    ui(desk.finish_verification(&verification_id).await)
}

#[tauri::command]
pub(super) async fn cancel_verification(desk: State<'_, SharedDesk>, verification_id: String) -> Result<(), UiError> {
    ui(desk.cancel_verification(&verification_id).await)
}

#[tauri::command]
pub(super) async fn clear_push_cap(desk: State<'_, SharedDesk>, id: i64, reason: String) -> Result<(), UiError> {
    ui(desk.clear_push_cap(id, &reason).await)
}
