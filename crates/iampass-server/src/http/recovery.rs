//! Recovery routes (`/console/v1/{app}/recoveries`, `stop_phone`, holds): moving an employee who
//! has or had a phone to a new one on evidence the server checks (`service/recovery.rs`).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{Manager, RequestContext};
use super::extract::{JsonBody, Origin, RecoveryPath, UserPath};
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/v1/{app}/stop_phone/{user}", post(stop_phone))
        .route("/console/v1/{app}/recoveries", post(start))
        .route("/console/v1/{app}/recoveries/{recovery}", get(status))
        .route("/console/v1/{app}/recoveries/{recovery}/link", post(link))
        .route("/console/v1/{app}/recovery_history/{user}", get(history))
        .route("/console/v1/{app}/clear_recovery_hold/{user}", post(clear_hold))
}

async fn stop_phone(
    s: State<AppState>,
    auth: Manager<act::StopPhone>,
    UserPath(user): UserPath,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.stop_phone(&auth.actor, &user).await?))
}

async fn start(
    s: State<AppState>,
    auth: Manager<act::StartRecovery>,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    Origin(origin): Origin,
    JsonBody(req): JsonBody<StartRecovery>,
) -> Result<(StatusCode, Json<RecoveryStatus>), ServiceError> {
    ctx.note_detail(&format!("for {}: {}; {}", req.user_id, req.check.words(), req.reason.trim()));
    Ok((StatusCode::CREATED, Json(s.start_recovery(&auth.actor, &req, origin).await?)))
}

async fn status(
    s: State<AppState>,
    auth: Manager<act::ReadRecovery>,
    RecoveryPath(id): RecoveryPath,
) -> Result<Json<RecoveryStatus>, ServiceError> {
    Ok(Json(s.recovery(&auth.actor, &id).await?))
}

async fn link(
    s: State<AppState>,
    auth: Manager<act::RecoveryLink>,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    RecoveryPath(id): RecoveryPath,
) -> Result<Json<RegistrationLinkResponse>, ServiceError> {
    let (link, evidence) = s.recovery_link(&auth.actor, &id).await?;
    ctx.note_detail(&evidence);
    Ok(Json(link))
}

async fn history(
    s: State<AppState>,
    auth: Manager<act::RecoveryHistory>,
    UserPath(user): UserPath,
) -> Result<Json<RecoveryHistory>, ServiceError> {
    Ok(Json(s.recovery_history(&auth.actor, &user).await?))
}

async fn clear_hold(
    s: State<AppState>,
    auth: Manager<act::ClearRecoveryHold>,
    UserPath(user): UserPath,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    JsonBody(req): JsonBody<ClearRecoveryHold>,
) -> Result<Json<StatusReply>, ServiceError> {
    let reason = crate::service::staff::validate_reason(&req.reason)?;
    ctx.note_detail(&reason);
    Ok(Json(s.clear_recovery_hold(&auth.actor, &user, &reason).await?))
}
