//! Kiosk mode.

use iampass_desk::UiError;
use iampass_desk::book::Employee;
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub fn kiosk_queue(desk: State<'_, SharedDesk>) -> Result<Vec<Employee>, UiError> {
    ui(desk.kiosk_queue())
}

#[tauri::command]
pub fn kiosk_pin_set(desk: State<'_, SharedDesk>) -> Result<bool, UiError> {
    ui(desk.kiosk_pin_set())
}

#[tauri::command]
pub fn set_kiosk_pin(desk: State<'_, SharedDesk>, pin: String) -> Result<(), UiError> {
    ui(desk.set_kiosk_pin(&pin))
}

#[tauri::command]
pub fn check_kiosk_pin(desk: State<'_, SharedDesk>, pin: String) -> Result<(), UiError> {
    ui(desk.check_kiosk_pin(&pin))
}
