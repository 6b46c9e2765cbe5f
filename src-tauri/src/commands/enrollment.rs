//! Enrolling phones.

use std::time::Duration;

use iampass_desk::enroll::{EnrollmentOutcome, EnrollmentTicket};
use iampass_desk::{SmtpSettings, UiError};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) async fn start_enrollment(desk: State<'_, SharedDesk>, id: i64) -> Result<EnrollmentTicket, UiError> {
    ui(desk.start_enrollment(id).await)
}

/// Resolves when the phone binds, the link expires (`timeout_seconds`), or the wait is cancelled.
#[tauri::command]
pub(super) async fn wait_enrolled(
    desk: State<'_, SharedDesk>,
    id: i64,
    timeout_seconds: u64,
) -> Result<EnrollmentOutcome, UiError> {
    ui(desk.wait_enrolled(id, Duration::from_secs(timeout_seconds)).await)
}

#[tauri::command]
pub(super) fn cancel_wait(desk: State<'_, SharedDesk>, id: i64) {
    desk.cancel_wait(id);
}

#[tauri::command]
pub(super) async fn report_lost(desk: State<'_, SharedDesk>, id: i64) -> Result<Option<EnrollmentTicket>, UiError> {
    ui(desk.report_lost(id).await)
}

#[tauri::command]
pub(super) fn save_qr(desk: State<'_, SharedDesk>, id: i64, register_url: String) -> Result<String, UiError> {
    ui(desk.save_qr(id, &register_url))
}

#[tauri::command]
pub(super) fn smtp_settings(desk: State<'_, SharedDesk>) -> Result<Option<SmtpSettings>, UiError> {
    ui(desk.smtp_settings())
}

#[tauri::command]
pub(super) fn set_smtp_settings(
    desk: State<'_, SharedDesk>,
    settings: SmtpSettings,
    password: Option<String>,
) -> Result<SmtpSettings, UiError> {
    ui(desk.set_smtp_settings(settings, password))
}

#[tauri::command]
pub(super) async fn email_link(desk: State<'_, SharedDesk>, id: i64) -> Result<EnrollmentTicket, UiError> {
    ui(desk.email_link(id).await)
}
