//! Routes of the console extensions: listings, remote logout (the event stream is in events.rs).

use axum::Json;
use axum::Router;
use axum::extract::{RawPathParams, State};
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::AppAuth;
use super::extract::{QueryMap, UserPath};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/management/users/{app}", get(users))
        .route("/management/sessions/{app}", get(sessions))
        .route("/management/session_counts/{app}", get(session_counts))
        .route("/management/logout_session/{app}/{session}", post(logout_session))
        .route("/management/logout_user/{app}/{user}", post(logout_user))
}

async fn users(s: State<AppState>, auth: AppAuth, q: QueryMap) -> Result<Json<UsersPage>, ApiError> {
    Ok(Json(s.list_users(&auth.app.id, q.get("cursor"), q.u32("limit")?).await?))
}

async fn sessions(s: State<AppState>, auth: AppAuth, q: QueryMap) -> Result<Json<SessionsPage>, ApiError> {
    Ok(Json(s.list_sessions(&auth.app.id, q.get("status"), q.get("user"), q.get("cursor"), q.u32("limit")?).await?))
}

async fn session_counts(s: State<AppState>, auth: AppAuth) -> Result<Json<SessionCounts>, ApiError> {
    Ok(Json(s.session_counts(&auth.app.id).await?))
}

async fn logout_session(
    s: State<AppState>,
    auth: AppAuth,
    params: RawPathParams,
) -> Result<Json<LogoutReply>, ApiError> {
    let id = params.iter().find(|(k, _)| *k == "session").map(|(_, v)| v.to_owned()).unwrap_or_default();
    Ok(Json(s.console_logout_session(&auth.app.id, &id).await?))
}

async fn logout_user(
    s: State<AppState>,
    auth: AppAuth,
    UserPath(user): UserPath,
) -> Result<Json<LogoutReply>, ApiError> {
    Ok(Json(s.console_logout_user(&auth.app.id, &user).await?))
}
