//! The book of employees.

use iampass_desk::UiError;
use iampass_desk::book::{Employee, EmployeeQuery, NewEmployee};
use iampass_desk::csv_io::ImportPreview;
use tauri::State;

use super::ui;
use crate::SharedDesk;

#[tauri::command]
pub(super) fn list_employees(desk: State<'_, SharedDesk>, query: EmployeeQuery) -> Result<Vec<Employee>, UiError> {
    ui(desk.employees(&query))
}

#[tauri::command]
pub(super) async fn add_employee(desk: State<'_, SharedDesk>, employee: NewEmployee) -> Result<Employee, UiError> {
    ui(desk.add_employee(employee).await)
}

/// `version` is the version the form opened, so that a colleague's edit meanwhile is noticed.
#[tauri::command]
pub(super) async fn update_employee(
    desk: State<'_, SharedDesk>,
    id: i64,
    employee: NewEmployee,
    version: Option<u64>,
) -> Result<Employee, UiError> {
    ui(desk.update_employee(id, employee, version).await)
}

#[tauri::command]
pub(super) async fn remove_employee(desk: State<'_, SharedDesk>, id: i64) -> Result<(), UiError> {
    ui(desk.remove_employee(id).await)
}

#[tauri::command]
pub(super) fn preview_import(desk: State<'_, SharedDesk>, csv: String) -> Result<ImportPreview, UiError> {
    ui(desk.preview_import(&csv))
}

#[tauri::command]
pub(super) async fn import_employees(desk: State<'_, SharedDesk>, csv: String) -> Result<Vec<Employee>, UiError> {
    ui(desk.import_employees(&csv).await)
}

#[tauri::command]
pub(super) fn export_employees(desk: State<'_, SharedDesk>) -> Result<String, UiError> {
    ui(desk.export_employees())
}

#[tauri::command]
pub(super) async fn employee_page(desk: State<'_, SharedDesk>, id: i64) -> Result<iampass_desk::EmployeePage, UiError> {
    ui(desk.employee_page(id).await)
}
