//! Builds the UI if its bundle is missing (a fresh clone), then runs tauri-build with the app's command manifest, from which the `allow-*` permissions
//! that the capability in tauri.conf.json grants are generated.

use std::path::Path;
use std::process::Command;

const COMMANDS: &[&str] = &[
    "status",
    "connect",
    "add_application",
    "start_local_server",
    "list_employees",
    "add_employee",
    "update_employee",
    "remove_employee",
    "preview_import",
    "import_employees",
    "export_employees",
    "employee_page",
    "start_enrollment",
    "wait_enrolled",
    "cancel_wait",
    "report_lost",
    "save_qr",
    "smtp_settings",
    "set_smtp_settings",
    "email_link",
    "kiosk_queue",
    "kiosk_pin_set",
    "set_kiosk_pin",
    "check_kiosk_pin",
    "kiosk_enroll",
    "audit_entries",
    "export_audit",
    "dashboard_page",
    "session_counts",
    "monitor_state",
    "logout_session",
    "logout_employee",
    "start_verification",
    "finish_verification",
    "server_audit",
    "cancel_verification",
    "clear_push_cap",
    "use_staff_sign_in",
    "switch_to_staff_sign_in",
    "start_sign_in",
    "finish_sign_in",
    "sign_out",
    "staff_list",
    "add_staff",
    "staff_link",
    "set_staff_role",
    "remove_staff",
    "team_status",
    "join_team",
    "team_desks",
    "approve_desk",
    "refuse_desk",
    "remove_desk",
    "start_recovery",
    "recovery_status",
    "recovery_ticket",
    "recovery_history",
    "clear_recovery_hold",
];

fn npm(ui: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(ui).status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            panic!("`npm {}` in ui/ failed ({other:?}); install Node.js and npm, or run scripts/test", args.join(" "))
        }
    }
}

fn main() {
    let ui = Path::new("../ui");
    if !ui.join("dist/index.html").exists() {
        if !ui.join("node_modules").exists() {
            npm(ui, &["ci", "--no-audit", "--no-fund"]);
        }
        npm(ui, &["run", "build"]);
    }
    let attrs = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        panic!("tauri-build failed: {e:#}");
    }
}
