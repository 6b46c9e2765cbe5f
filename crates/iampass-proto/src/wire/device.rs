//! Bodies of the reference phone's protocol (ours), documented in docs/PROTOCOL.md.

use serde::{Deserialize, Serialize};

use super::{Method, SessionSummary};

/// What a registration link says about itself before the phone binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RegistrationInfo {
    pub application_name: String,
    /// The user's id in the application: whom the phone is enrolled for.
    #[serde(default)]
    pub user_id: String,
    pub display_name: Option<String>,
    pub expires_at: String,
    pub expires_in_seconds: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterDeviceRequest {
    /// base64 Ed25519 public key (32 bytes).
    pub public_key: String,
    /// base64 signature proving possession of the private key (see `device_v1::registration_proof`).
    pub proof: String,
    pub name: String,
    pub platform: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RegisterDeviceResponse {
    pub device_id: String,
    pub application_id: String,
    pub application_name: String,
    pub user_id: String,
    pub display_name: Option<String>,
}

/// A login the phone is asked to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LoginRequest {
    pub session_id: String,
    pub application_name: String,
    pub user_id: String,
    pub methods: Vec<Method>,
    pub created_at: String,
    /// After this the login times out.
    pub answer_by: String,
    /// The user must type the code the login screen shows (number matching).
    #[serde(default)]
    pub code_required: bool,
    /// The address the login was requested from, as the server saw it (the application's).
    #[serde(default)]
    pub requested_from: Option<String>,
    /// The user agent of the request that started the login.
    #[serde(default)]
    pub requested_by: Option<String>,
    /// What the push is for: a login to the application, the help desk verifying the person's
    /// identity, or a staff member signing in to the help-desk console.
    #[serde(default)]
    pub purpose: RequestPurpose,
    /// For a verification: the staff member verifying (`None`: the help desk, unnamed).
    #[serde(default)]
    pub verifier: Option<String>,
    /// For a recovery's approval: what the asking staff member asks and checked.
    #[serde(default)]
    pub recovery: Option<super::RecoveryAsk>,
}

/// What a push asks the person to confirm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RequestPurpose {
    /// A login to the application (the published Authentication API).
    #[default]
    Login,
    /// The help desk is verifying the caller's identity; nothing is signed in.
    Verification,
    /// A staff member signing in to the help-desk console.
    ConsoleSignIn,
    /// A second staff member approving another's recovery of an employee (moving them to a new
    /// phone); nothing is signed in.
    RecoveryApproval,
}

impl RequestPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Verification => "verification",
            Self::ConsoleSignIn => "console_sign_in",
            Self::RecoveryApproval => "recovery_approval",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Login, Self::Verification, Self::ConsoleSignIn, Self::RecoveryApproval]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PendingRequests {
    pub requests: Vec<LoginRequest>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerRequest {
    pub decision: Decision,
    /// The methods the phone satisfied (approve only).
    #[serde(default)]
    pub methods: Vec<Method>,
    /// "This was not me": the login fails with reason `fraud`.
    #[serde(default)]
    pub fraud: bool,
    /// The number-matching code the user typed (approve only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceRequest {
    pub nearby: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionReply {
    pub session: SessionSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceSessions {
    pub sessions: Vec<SessionSummary>,
}

/// Presence answer: the sessions whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceReply {
    pub nearby: bool,
    pub changed: Vec<SessionSummary>,
}
