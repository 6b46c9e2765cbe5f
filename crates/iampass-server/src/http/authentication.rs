//! Routes of the published Authentication API.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{AppAuth, SessionAuthed};
use super::extract::{Origin, Query, UserPath};
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/authentication/authenticate_user/{app}/{user}", post(authenticate_user))
        .route("/authentication/session_status/{token}", get(session_status))
        .route("/authentication/logout/{token}", post(logout))
}

/// 202 when the login started, 200 when it did not (with `authenticated` false and a reason).
async fn authenticate_user(
    s: State<AppState>,
    auth: AppAuth,
    UserPath(user): UserPath,
    Origin(origin): Origin,
    Query(q): Query<AuthenticateQuery>,
) -> Result<(StatusCode, Json<AuthenticateResponse>), ServiceError> {
    let (methods, duration) = s.login_options(q.methods.as_deref(), q.duration_seconds.as_deref())?;
    let ask = crate::service::login::Ask::login(methods, duration, origin);
    let out = s.authenticate_user(&auth.app.record, &user, ask).await?;
    Ok((if out.started { StatusCode::ACCEPTED } else { StatusCode::OK }, Json(out.response)))
}

async fn session_status(s: State<AppState>, auth: SessionAuthed) -> Result<Json<SessionStatusResponse>, ServiceError> {
    Ok(Json(s.session_status(&auth.session_id).await?))
}

async fn logout(s: State<AppState>, auth: SessionAuthed) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.logout_session_by_app(&auth.session_id).await?))
}
