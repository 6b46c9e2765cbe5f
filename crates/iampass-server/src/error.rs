//! The one error every service call returns: what went wrong, a stable code and a reason that is
//! safe to show. It knows nothing of HTTP (the CLI and the console's embedded server use it as it
//! is); `http/error.rs` gives each variant its status code. No variant carries a secret.

use iampass_proto::AuthError;

use crate::crypto::CryptoError;
use crate::domain::Invalid;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Unauthorized(#[from] AuthError),
    /// No valid credentials (a staff token that ended, was never issued, or was revoked).
    #[error("{reason}")]
    Unauthenticated { code: &'static str, reason: String },
    #[error("{reason}")]
    Forbidden { code: &'static str, reason: String },
    /// A staff member's role does not allow the action; `role` is the least one that would.
    #[error("forbidden")]
    RoleRequired { role: iampass_proto::wire::StaffRole },
    #[error("{reason}")]
    NotFound { code: &'static str, reason: String },
    #[error("{reason}")]
    Conflict { code: &'static str, reason: String },
    #[error("{reason}")]
    Gone { code: &'static str, reason: String },
    /// The server cannot serve now (its database does not answer, or has another schema).
    #[error("{reason}")]
    Unavailable { code: &'static str, reason: String },
    #[error("too many requests; retry in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("the request body is larger than the server accepts ({limit} bytes)")]
    PayloadTooLarge { limit: usize },
    #[error("the request's headers are larger than the server accepts ({limit} bytes)")]
    HeadersTooLarge { limit: usize },
    #[error("the request body did not arrive within {secs} s")]
    BodyTimeout { secs: u64 },
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    pub fn not_found(code: &'static str, reason: impl Into<String>) -> Self {
        Self::NotFound { code, reason: reason.into() }
    }

    /// A staff member's token used on another application's routes.
    pub fn wrong_application() -> Self {
        Self::Forbidden { code: "wrong_application", reason: "this sign-in is for another application".into() }
    }

    pub fn unknown_application() -> Self {
        Self::not_found("unknown_application", "no application has this id")
    }

    pub fn unknown_user() -> Self {
        Self::not_found("unknown_user", "this application has no user with this id")
    }

    pub fn unknown_session() -> Self {
        Self::not_found("unknown_session", "no session has this id")
    }

    /// A phone that was lost, replaced or removed (and whose user may have been deleted).
    pub fn device_disabled() -> Self {
        Self::Forbidden {
            code: "device_disabled",
            reason: "this phone has been disabled (lost, replaced or removed); ask the help desk for a new \
                     registration code to enroll it again"
                .into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid(i) => i.code,
            ServiceError::Unauthorized(a) => a.code(),
            ServiceError::Unauthenticated { code, .. }
            | ServiceError::Forbidden { code, .. }
            | ServiceError::NotFound { code, .. }
            | ServiceError::Conflict { code, .. }
            | ServiceError::Gone { code, .. }
            | ServiceError::Unavailable { code, .. } => code,
            ServiceError::RoleRequired { .. } => "forbidden",
            ServiceError::PayloadTooLarge { .. } => "payload_too_large",
            ServiceError::BodyTimeout { .. } => "body_timeout",
            ServiceError::HeadersTooLarge { .. } => "headers_too_large",
            ServiceError::TooManyRequests { .. } => "rate_limited",
            ServiceError::Internal(_) => "internal_error",
        }
    }
}

impl From<crate::store::NonceError> for ServiceError {
    fn from(e: crate::store::NonceError) -> Self {
        match e {
            crate::store::NonceError::Refused(a) => ServiceError::Unauthorized(a),
            crate::store::NonceError::Store(s) => s.into(),
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<CryptoError> for ServiceError {
    fn from(e: CryptoError) -> Self {
        ServiceError::Internal(e.to_string())
    }
}
