//! Bodies of the published Authentication API.

use serde::{Deserialize, Serialize};

use super::SessionStatus;

/// The `authentication_status` object of `authenticate_user`. All keys are always present
/// (null where they do not apply) because the official client indexes some of them directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticationStatus {
    /// The request was accepted and a session started (not: the user is logged in).
    pub authenticated: bool,
    pub session_status: SessionStatus,
    pub reason: Option<String>,
    pub status_url: Option<String>,
    pub logout_url: Option<String>,
    pub session_token: Option<String>,
    pub session_secret: Option<String>,
    /// Ours: the session's public id, as the console and the phone name it.
    #[serde(default)]
    pub session_id: Option<String>,
    /// Number matching: the login screen shows this; the user types it on the phone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticateResponse {
    pub authentication_status: AuthenticationStatus,
}

/// The status object inside a `status_url` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// The user is logged in: `active`, or `walkaway` (still logged in, phone not near).
    pub authenticated: bool,
    pub session_status: SessionStatus,
    pub reason: Option<String>,
}

/// `status_url` answer in both shapes: the official client reads `authentication_status`,
/// the published docs show the same keys at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStatusResponse {
    pub authenticated: bool,
    pub session_status: SessionStatus,
    pub reason: Option<String>,
    pub authentication_status: SessionState,
}

impl SessionStatusResponse {
    pub fn new(state: SessionState) -> Self {
        Self {
            authenticated: state.authenticated,
            session_status: state.session_status,
            reason: state.reason.clone(),
            authentication_status: state,
        }
    }
}
