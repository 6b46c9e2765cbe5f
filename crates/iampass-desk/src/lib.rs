//! The console's core, with no Tauri in it, so all of it is tested headless against a real
//! server and phone: the employee/token book, connections (remote, or an embedded server),
//! enrollment with QR codes, kiosk PIN, CSV import/export, and the audit log. The Tauri crate
//! only adapts [`Desk`]'s methods to commands.

pub mod book;
pub mod csv_io;
mod desk;
pub mod enroll;
pub mod error;
pub mod monitor;
pub mod qr;
pub mod secrets;

pub use desk::{
    Access, AppCreated, ConnectionStatus, DashboardPage, Desk, DeskOptions, EmployeePage, KioskAction, ServerAuditPage,
    ServerAuditRow, SignInPrompt, SmtpSecurity, SmtpSettings, StaffEnrollment, VerifyResult, VerifyStarted,
};
pub use error::{DeskError, DeskResult, UiError};
