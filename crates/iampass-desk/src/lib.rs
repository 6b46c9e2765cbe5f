//! The console's core, with no Tauri in it, so all of it is tested headless against a real
//! server and phone: the employee/token book, connections (remote, or an embedded server),
//! enrollment with QR codes, kiosk PIN, CSV import/export, the audit log, and the team book
//! shared end to end encrypted with every other desk. The Tauri crate
//! only adapts [`Desk`]'s methods to commands.

pub mod book;
pub mod csv_io;
mod desk;
pub mod enroll;
pub mod error;
pub mod monitor;
pub mod qr;
pub mod secrets;
pub mod team;

pub use desk::{
    Access, AppCreated, ConnectionStatus, DashboardPage, Desk, DeskListing, DeskOptions, EmployeePage, KioskAction,
    ServerAuditPage, ServerAuditRow, SignInPrompt, SmtpSecurity, SmtpSettings, StaffEnrollment, TeamState, TeamStatus,
    VerifyResult, VerifyStarted,
};
pub use error::{DeskError, DeskResult, UiError};
