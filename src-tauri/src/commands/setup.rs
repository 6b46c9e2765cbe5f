//! Connecting the console.

use iampass_desk::{AppCreated, ConnectionStatus, UiError};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) fn status(desk: State<'_, SharedDesk>) -> ConnectionStatus {
    desk.status()
}

#[tauri::command]
pub(super) async fn connect(
    desk: State<'_, SharedDesk>,
    server_url: String,
    application_id: String,
    secret: String,
) -> Result<ConnectionStatus, UiError> {
    ui(desk.connect(&server_url, &application_id, &secret).await)
}

#[tauri::command]
pub(super) async fn add_application(
    desk: State<'_, SharedDesk>,
    server_url: String,
    admin_token: String,
    name: String,
) -> Result<AppCreated, UiError> {
    ui(desk.add_application(&server_url, &admin_token, &name).await)
}

#[tauri::command]
pub(super) async fn start_local_server(desk: State<'_, SharedDesk>) -> Result<ConnectionStatus, UiError> {
    ui(desk.start_local_server().await)
}
