//! Routes of the console extensions: listings, remote logout (the event stream is in events.rs).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{Manager, ReadOnly};
use super::extract::{Query, SessionPath, UserPath};
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/management/users/{app}", get(users))
        .route("/management/sessions/{app}", get(sessions))
        .route("/management/session_counts/{app}", get(session_counts))
        .route("/management/logout_session/{app}/{session}", post(logout_session))
        .route("/management/logout_user/{app}/{user}", post(logout_user))
}

async fn users(
    s: State<AppState>,
    auth: ReadOnly<Manager<act::ListUsers>>,
    Query(q): Query<UsersQuery>,
) -> Result<Json<UsersPage>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.list_users(&m.actor, &q).await?)) }).await
}

async fn sessions(
    s: State<AppState>,
    auth: ReadOnly<Manager<act::ListSessions>>,
    Query(q): Query<SessionsQuery>,
) -> Result<Json<SessionsPage>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.list_sessions(&m.actor, &q).await?)) }).await
}

async fn session_counts(
    s: State<AppState>,
    auth: ReadOnly<Manager<act::SessionCounts>>,
) -> Result<Json<SessionCounts>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.session_counts(&m.actor).await?)) }).await
}

async fn logout_session(
    s: State<AppState>,
    auth: Manager<act::LogoutSession>,
    SessionPath(id): SessionPath,
) -> Result<Json<LogoutReply>, ServiceError> {
    Ok(Json(s.console_logout_session(&auth.actor, &id).await?))
}

async fn logout_user(
    s: State<AppState>,
    auth: Manager<act::LogoutUser>,
    UserPath(user): UserPath,
) -> Result<Json<LogoutReply>, ServiceError> {
    Ok(Json(s.console_logout_user(&auth.actor, &user).await?))
}
