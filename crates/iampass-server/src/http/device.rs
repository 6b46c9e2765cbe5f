//! Routes of the phone's signed protocol (docs/PROTOCOL.md).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use iampass_proto::wire::*;

use super::auth::Device;
use super::extract::Query;
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/device/v1/requests", get(requests))
        .route("/device/v1/requests/{session}", post(answer))
        .route("/device/v1/presence", post(presence))
        .route("/device/v1/sessions", get(sessions))
        .route("/device/v1/sessions/{session}/logout", post(logout))
        .route("/device/v1/device", delete(forget))
}

async fn requests(
    State(s): State<AppState>,
    Query(q): Query<RequestsQuery>,
    Device(call): Device,
) -> Result<Json<PendingRequests>, ServiceError> {
    let known = q.known_ids();
    Ok(Json(s.pending_requests(&call.device, u64::from(q.wait.unwrap_or(0)), known.as_deref()).await?))
}

async fn answer(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Device(call): Device,
) -> Result<Json<SessionReply>, ServiceError> {
    let body: AnswerRequest = call.json()?;
    Ok(Json(s.answer_request(&call.device, &session, body).await?))
}

async fn presence(State(s): State<AppState>, Device(call): Device) -> Result<Json<PresenceReply>, ServiceError> {
    let body: PresenceRequest = call.json()?;
    Ok(Json(s.report_presence(&call.device, body.nearby).await?))
}

async fn sessions(State(s): State<AppState>, Device(call): Device) -> Result<Json<DeviceSessions>, ServiceError> {
    Ok(Json(s.phone_sessions(&call.device).await?))
}

async fn logout(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Device(call): Device,
) -> Result<Json<SessionReply>, ServiceError> {
    Ok(Json(s.phone_logout(&call.device, &session).await?))
}

async fn forget(State(s): State<AppState>, Device(call): Device) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.forget_device(&call.device).await?))
}
