//! The audit log.

use iampass_desk::UiError;
use iampass_desk::book::AuditEntry;
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub fn audit_entries(desk: State<'_, SharedDesk>, limit: u32) -> Result<Vec<AuditEntry>, UiError> {
    ui(desk.audit_entries(limit))
}

#[tauri::command]
pub fn export_audit(desk: State<'_, SharedDesk>) -> Result<String, UiError> {
    ui(desk.export_audit())
}
