//! Recovering an employee's phone on evidence (`iampass_desk` `desk/recovery.rs`).

use iampass_desk::UiError;
use iampass_desk::enroll::EnrollmentTicket;
use iampass_proto::wire::{RecoveryCheck, RecoveryEvidence, RecoveryHistory, RecoveryStatus};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) async fn start_recovery(
    desk: State<'_, SharedDesk>,
    id: i64,
    evidence: RecoveryEvidence,
    check: RecoveryCheck,
    reason: String,
) -> Result<RecoveryStatus, UiError> {
    ui(desk.start_recovery(id, evidence, check, &reason).await)
}

#[tauri::command]
pub(super) async fn recovery_status(
    desk: State<'_, SharedDesk>,
    recovery_id: String,
) -> Result<RecoveryStatus, UiError> {
    ui(desk.recovery_status(&recovery_id).await)
}

#[tauri::command]
pub(super) async fn recovery_ticket(
    desk: State<'_, SharedDesk>,
    id: i64,
    recovery_id: String,
) -> Result<EnrollmentTicket, UiError> {
    ui(desk.recovery_ticket(id, &recovery_id).await)
}

#[tauri::command]
pub(super) async fn recovery_history(desk: State<'_, SharedDesk>, id: i64) -> Result<RecoveryHistory, UiError> {
    ui(desk.recovery_history(id).await)
}

#[tauri::command]
pub(super) async fn clear_recovery_hold(desk: State<'_, SharedDesk>, id: i64, reason: String) -> Result<(), UiError> {
    ui(desk.clear_recovery_hold(id, &reason).await)
}
