//! The commands the UI calls, one file per area; each a line or two over `Desk`. Errors reach the
//! UI as `UiError` (code, message, action).

mod audit;
mod employees;
mod enrollment;
mod kiosk;
mod recovery;
mod sessions;
mod setup;
mod staff;
mod team;

use iampass_desk::{DeskResult, UiError};

/// The command table, shared by the real app and the mock-runtime test.
pub(crate) fn handler<R: tauri::Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        setup::status,
        setup::connect,
        setup::add_application,
        setup::start_local_server,
        employees::list_employees,
        employees::add_employee,
        employees::update_employee,
        employees::remove_employee,
        employees::preview_import,
        employees::import_employees,
        employees::export_employees,
        employees::employee_page,
        enrollment::start_enrollment,
        enrollment::wait_enrolled,
        enrollment::cancel_wait,
        enrollment::report_lost,
        enrollment::save_qr,
        enrollment::smtp_settings,
        enrollment::set_smtp_settings,
        enrollment::email_link,
        kiosk::kiosk_queue,
        kiosk::kiosk_pin_set,
        kiosk::set_kiosk_pin,
        kiosk::check_kiosk_pin,
        kiosk::kiosk_enroll,
        audit::audit_entries,
        audit::export_audit,
        audit::server_audit,
        sessions::dashboard_page,
        sessions::session_counts,
        sessions::monitor_state,
        sessions::logout_session,
        sessions::logout_employee,
        sessions::start_verification,
        sessions::finish_verification,
        sessions::cancel_verification,
        sessions::clear_push_cap,
        staff::use_staff_sign_in,
        staff::switch_to_staff_sign_in,
        staff::start_sign_in,
        staff::finish_sign_in,
        staff::sign_out,
        staff::staff_list,
        staff::add_staff,
        staff::staff_link,
        staff::set_staff_role,
        staff::remove_staff,
        team::team_status,
        team::join_team,
        team::team_desks,
        team::approve_desk,
        team::refuse_desk,
        team::remove_desk,
        recovery::start_recovery,
        recovery::recovery_status,
        recovery::recovery_ticket,
        recovery::recovery_history,
        recovery::clear_recovery_hold,
    ]
}

/// `DeskResult` → what a command returns.
fn ui<T>(r: DeskResult<T>) -> Result<T, UiError> {
    r.map_err(|e| e.to_ui())
}
