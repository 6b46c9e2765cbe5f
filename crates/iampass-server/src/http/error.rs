//! How a [`ServiceError`] goes on the wire: its status code, and the JSON body with the stable
//! code and the reason. Causes of 500s are logged here and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use iampass_proto::AuthError;
use iampass_proto::wire::ErrorBody;

use crate::error::ServiceError;

/// The HTTP status for each kind of failure.
pub(super) fn status(error: &ServiceError) -> StatusCode {
    match error {
        ServiceError::Invalid(_) => StatusCode::BAD_REQUEST,
        ServiceError::Unauthorized(AuthError::ReplayCacheFull) => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        ServiceError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
        ServiceError::Forbidden { .. } | ServiceError::RoleRequired { .. } => StatusCode::FORBIDDEN,
        ServiceError::NotFound { .. } => StatusCode::NOT_FOUND,
        ServiceError::Conflict { .. } => StatusCode::CONFLICT,
        ServiceError::Gone { .. } => StatusCode::GONE,
        ServiceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ServiceError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ServiceError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
        ServiceError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ServiceError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        if let ServiceError::Internal(cause) = &self {
            tracing::error!(%cause, "request failed");
        }
        let required_role = match &self {
            ServiceError::RoleRequired { role } => Some(*role),
            _ => None,
        };
        let body = ErrorBody { status: false, reason: self.to_string(), error: self.code().to_owned(), required_role };
        let mut response = (status(&self), Json(body)).into_response();
        if let ServiceError::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after));
        }
        response
    }
}
