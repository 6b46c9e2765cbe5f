//! The one error every handler returns: a status, a stable code and a reason that is safe to show.
//! Causes of 500s are logged here and never sent; no variant carries a secret.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use iampass_proto::AuthError;
use iampass_proto::wire::ErrorBody;

use crate::crypto::CryptoError;
use crate::domain::Invalid;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    Unauthorized(#[from] AuthError),
    #[error("{reason}")]
    Forbidden { code: &'static str, reason: String },
    #[error("{reason}")]
    NotFound { code: &'static str, reason: String },
    #[error("{reason}")]
    Conflict { code: &'static str, reason: String },
    #[error("{reason}")]
    Gone { code: &'static str, reason: String },
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

impl ApiError {
    pub fn not_found(code: &'static str, reason: impl Into<String>) -> Self {
        Self::NotFound { code, reason: reason.into() }
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

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(AuthError::ReplayCacheFull) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid(i) => i.code,
            ApiError::Unauthorized(a) => a.code(),
            ApiError::Forbidden { code, .. }
            | ApiError::NotFound { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Gone { code, .. } => code,
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::BodyTimeout { .. } => "body_timeout",
            ApiError::HeadersTooLarge { .. } => "headers_too_large",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let body = ErrorBody { status: false, reason: self.to_string(), error: self.code().to_owned() };
        let mut response = (self.status(), Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after));
        }
        response
    }
}
