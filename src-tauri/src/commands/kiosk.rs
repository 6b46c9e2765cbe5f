//! Kiosk mode.

use iampass_desk::book::Employee;
use iampass_desk::enroll::EnrollmentTicket;
use iampass_desk::{KioskAction, UiError};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) fn kiosk_queue(desk: State<'_, SharedDesk>) -> Result<Vec<Employee>, UiError> {
    ui(desk.kiosk_queue())
}

#[tauri::command]
pub(super) fn kiosk_pin_set(desk: State<'_, SharedDesk>) -> Result<bool, UiError> {
    ui(desk.kiosk_pin_set())
}

#[tauri::command]
pub(super) fn set_kiosk_pin(desk: State<'_, SharedDesk>, pin: String) -> Result<(), UiError> {
    ui(desk.set_kiosk_pin(&pin))
}

#[tauri::command]
pub(super) fn check_kiosk_pin(desk: State<'_, SharedDesk>, pin: String, action: KioskAction) -> Result<(), UiError> {
    ui(desk.check_kiosk_pin(&pin, action))
}

#[tauri::command]
pub(super) async fn kiosk_enroll(
    desk: State<'_, SharedDesk>,
    id: i64,
    pin: String,
    replace: bool,
) -> Result<EnrollmentTicket, UiError> {
    ui(desk.kiosk_enroll(id, &pin, replace).await)
}
