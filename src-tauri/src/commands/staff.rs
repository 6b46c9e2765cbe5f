//! Staff sign-in and staff management.

use iampass_desk::{ConnectionStatus, SignInPrompt, StaffEnrollment, UiError};
use iampass_proto::wire::{StaffRole, StaffSummary};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) async fn use_staff_sign_in(
    desk: State<'_, SharedDesk>,
    server_url: String,
    application_id: String,
) -> Result<ConnectionStatus, UiError> {
    ui(desk.use_staff_sign_in(&server_url, &application_id).await)
}

#[tauri::command]
pub(super) async fn switch_to_staff_sign_in(desk: State<'_, SharedDesk>) -> Result<ConnectionStatus, UiError> {
    ui(desk.switch_to_staff_sign_in().await)
}

#[tauri::command]
pub(super) async fn start_sign_in(desk: State<'_, SharedDesk>, name: String) -> Result<SignInPrompt, UiError> {
    ui(desk.start_sign_in(&name).await)
}

#[tauri::command]
pub(super) async fn finish_sign_in(desk: State<'_, SharedDesk>) -> Result<ConnectionStatus, UiError> {
    ui(desk.finish_sign_in().await)
}

#[tauri::command]
pub(super) async fn sign_out(desk: State<'_, SharedDesk>) -> Result<ConnectionStatus, UiError> {
    ui(desk.sign_out().await)
}

#[tauri::command]
pub(super) async fn staff_list(desk: State<'_, SharedDesk>) -> Result<Vec<StaffSummary>, UiError> {
    ui(desk.staff_list().await)
}

#[tauri::command]
pub(super) async fn add_staff(
    desk: State<'_, SharedDesk>,
    name: String,
    role: StaffRole,
) -> Result<StaffEnrollment, UiError> {
    ui(desk.add_staff(&name, role).await)
}

#[tauri::command]
pub(super) async fn staff_link(desk: State<'_, SharedDesk>, staff_id: String) -> Result<StaffEnrollment, UiError> {
    ui(desk.staff_link(&staff_id).await)
}

#[tauri::command]
pub(super) async fn set_staff_role(
    desk: State<'_, SharedDesk>,
    staff_id: String,
    role: StaffRole,
) -> Result<StaffSummary, UiError> {
    ui(desk.set_staff_role(&staff_id, role).await)
}

#[tauri::command]
pub(super) async fn remove_staff(desk: State<'_, SharedDesk>, staff_id: String) -> Result<(), UiError> {
    ui(desk.remove_staff(&staff_id).await)
}
