//! Bodies of the staff routes (`/console/v1/...`, ours): help-desk staff sign in with a push to
//! their own phone and act with a bearer token, limited by their role.

use serde::{Deserialize, Serialize};

use super::{AuthenticatorKind, SessionStatus};

/// What a staff member may do. `kiosk` ⊂ `helpdesk` ⊂ `admin`; `auditor` reads only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum StaffRole {
    Kiosk,
    Helpdesk,
    Auditor,
    Admin,
}

impl StaffRole {
    pub const ALL: [StaffRole; 4] = [StaffRole::Kiosk, StaffRole::Helpdesk, StaffRole::Auditor, StaffRole::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Kiosk => "kiosk",
            StaffRole::Helpdesk => "helpdesk",
            StaffRole::Auditor => "auditor",
            StaffRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl std::fmt::Display for StaffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /console/v1/{app}/sign_in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    /// The staff member's name or id.
    pub staff: String,
}

/// The answer to a sign-in request: the same shape whether or not the name is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStarted {
    pub sign_in_id: String,
    pub status_url: String,
    /// The code to choose on the phone, when the application uses number matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<String>,
}

/// Where a sign-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SignInState {
    Pending,
    Active,
    Cancelled,
    Failed,
    Timeout,
}

impl SignInState {
    /// A sign-in as its login session stands.
    pub fn of(status: SessionStatus) -> Self {
        match status {
            SessionStatus::Pending | SessionStatus::Identifying => SignInState::Pending,
            SessionStatus::Active | SessionStatus::Walkaway => SignInState::Active,
            SessionStatus::Cancelled | SessionStatus::Closed => SignInState::Cancelled,
            SessionStatus::Failed => SignInState::Failed,
            SessionStatus::Timeout => SignInState::Timeout,
        }
    }
}

/// `GET status_url`: the token is in exactly one answer, the first once the phone approved.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStatus {
    pub status: SignInState,
    #[serde(default)]
    pub token: Option<String>,
    /// Why it failed or was cancelled (`denied`, `wrong_code`, `no_answer`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl std::fmt::Debug for SignInStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInStatus")
            .field("status", &self.status)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

/// `GET /console/v1/{app}/me`: who the token belongs to and until when it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StaffSelf {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub application_id: String,
    pub application_name: String,
    /// The token's absolute end.
    pub expires_at: String,
    /// Seconds without a request after which the token ends.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub idle_seconds: u64,
}

/// One staff member as the admin's list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StaffSummary {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: String,
    /// Whether their phone is enrolled, and of what kind.
    pub phone: Option<AuthenticatorKind>,
    /// Live console sign-ins.
    pub signed_in: u32,
}

/// `POST /console/v1/{app}/staff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddStaff {
    pub name: String,
    pub role: StaffRole,
}

/// A staff member just added (or given a new phone link): the link enrolls their phone.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StaffAdded {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub registration_link: String,
    pub expires_at: String,
}

impl std::fmt::Debug for StaffAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffAdded").field("staff_id", &self.staff_id).field("role", &self.role).finish_non_exhaustive()
    }
}

/// `POST /console/v1/{app}/staff/{staff}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRole {
    pub role: StaffRole,
}

/// An application's settings that an admin may change from the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AppSettings {
    pub number_matching: bool,
    /// A console sign-in's absolute lifetime.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub staff_token_seconds: u64,
    /// A console sign-in ends after this long without a request.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub staff_idle_seconds: u64,
}

/// `POST /console/v1/{app}/verifications/{user}`: a push to verify a caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationStarted {
    /// `None` when no push went out (no phone, push cap); `status` says why.
    pub verification_id: Option<String>,
    pub verification_code: Option<String>,
    pub status: SessionStatus,
    pub reason: Option<String>,
    /// When the push stops waiting for an answer.
    #[serde(default)]
    pub answer_by: Option<String>,
}

/// `POST /console/v1/{app}/clear_push_cap/{user}`: staff verified the person another way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearPushCap {
    /// Why (for the audit log): how the person was verified.
    pub reason: String,
}

/// `GET /console/v1/{app}/verifications/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationStatus {
    pub status: SessionStatus,
    pub reason: Option<String>,
}
