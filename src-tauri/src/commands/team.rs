//! The team book: this desk's standing, and the admin's desk list (approve, refuse, remove).

use iampass_desk::{DeskListing, TeamStatus, UiError};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) fn team_status(desk: State<'_, SharedDesk>) -> TeamStatus {
    desk.team_status()
}

/// Asks for the book key again, or takes it if an admin has approved this desk meanwhile.
#[tauri::command]
pub(super) async fn join_team(desk: State<'_, SharedDesk>) -> Result<TeamStatus, UiError> {
    ui(desk.join_team().await)
}

#[tauri::command]
pub(super) async fn team_desks(desk: State<'_, SharedDesk>) -> Result<Vec<DeskListing>, UiError> {
    ui(desk.team_desks().await)
}

/// `fingerprint` is what the new desk shows, typed or confirmed by the admin.
#[tauri::command]
pub(super) async fn approve_desk(
    desk: State<'_, SharedDesk>,
    desk_id: String,
    fingerprint: String,
) -> Result<DeskListing, UiError> {
    ui(desk.approve_desk(&desk_id, &fingerprint).await)
}

#[tauri::command]
pub(super) async fn refuse_desk(desk: State<'_, SharedDesk>, desk_id: String) -> Result<(), UiError> {
    ui(desk.refuse_desk(&desk_id).await)
}

#[tauri::command]
pub(super) async fn remove_desk(desk: State<'_, SharedDesk>, desk_id: String) -> Result<(), UiError> {
    ui(desk.remove_desk(&desk_id).await)
}
