//! The audit log.

use iampass_desk::book::AuditEntry;
use iampass_desk::{ServerAuditPage, UiError};
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) fn audit_entries(desk: State<'_, SharedDesk>, limit: u32) -> Result<Vec<AuditEntry>, UiError> {
    ui(desk.audit_entries(limit))
}

/// The server's own log of management actions (this console's and everyone else's).
#[tauri::command]
pub(super) async fn server_audit(
    desk: State<'_, SharedDesk>,
    cursor: Option<String>,
    limit: u32,
) -> Result<ServerAuditPage, UiError> {
    ui(desk.server_audit(cursor, limit).await)
}

#[tauri::command]
pub(super) fn export_audit(desk: State<'_, SharedDesk>) -> Result<String, UiError> {
    ui(desk.export_audit())
}
