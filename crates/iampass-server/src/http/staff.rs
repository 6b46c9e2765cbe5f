//! The console's own management routes (`/console/v1/{app}/...`): staff, application settings and
//! caller verification. Each takes a [`Manager`]: the application, or staff whose role allows it.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{Manager, RequestContext};
use super::extract::{JsonBody, Origin, SessionPath, StaffPath, UserPath};
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/v1/{app}/staff", get(list).post(add))
        .route("/console/v1/{app}/staff/{staff}/role", post(set_role))
        .route("/console/v1/{app}/staff/{staff}/link", post(new_link))
        .route("/console/v1/{app}/staff/{staff}", axum::routing::delete(remove))
        .route("/console/v1/{app}/settings", get(settings).put(set_settings))
        .route("/console/v1/{app}/verifications/{user}", post(verify))
        .route("/console/v1/{app}/clear_push_cap/{user}", post(clear_push_cap))
        .route("/console/v1/{app}/verification/{session}", get(verification).delete(cancel_verification))
}

async fn list(s: State<AppState>, auth: Manager<act::ListStaff>) -> Result<Json<Vec<StaffSummary>>, ServiceError> {
    Ok(Json(s.list_staff(&auth.actor).await?))
}

async fn add(
    s: State<AppState>,
    auth: Manager<act::AddStaff>,
    JsonBody(req): JsonBody<AddStaff>,
) -> Result<(StatusCode, Json<StaffAdded>), ServiceError> {
    Ok((StatusCode::CREATED, Json(s.add_staff(&auth.actor, &req).await?)))
}

async fn set_role(
    s: State<AppState>,
    auth: Manager<act::ChangeStaffRole>,
    StaffPath(who): StaffPath,
    JsonBody(req): JsonBody<SetRole>,
) -> Result<Json<StaffSummary>, ServiceError> {
    Ok(Json(s.set_staff_role(&auth.actor, &who, req.role).await?))
}

async fn new_link(
    s: State<AppState>,
    auth: Manager<act::StaffLink>,
    StaffPath(who): StaffPath,
) -> Result<Json<StaffAdded>, ServiceError> {
    Ok(Json(s.staff_link(&auth.actor, &who).await?))
}

async fn remove(
    s: State<AppState>,
    auth: Manager<act::RemoveStaff>,
    StaffPath(who): StaffPath,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.remove_staff(&auth.actor, &who).await?))
}

async fn settings(s: State<AppState>, auth: Manager<act::ReadSettings>) -> Result<Json<AppSettings>, ServiceError> {
    Ok(Json(s.app_settings(&auth.actor).await?))
}

async fn set_settings(
    s: State<AppState>,
    auth: Manager<act::ChangeSettings>,
    JsonBody(req): JsonBody<AppSettings>,
) -> Result<Json<AppSettings>, ServiceError> {
    Ok(Json(s.set_app_settings(&auth.actor, &req).await?))
}

async fn verify(
    s: State<AppState>,
    auth: Manager<act::VerifyCaller>,
    UserPath(user): UserPath,
    Origin(origin): Origin,
) -> Result<Json<VerificationStarted>, ServiceError> {
    Ok(Json(s.start_verification(&auth.actor, &user, origin).await?))
}

async fn verification(
    s: State<AppState>,
    auth: Manager<act::ReadVerification>,
    SessionPath(id): SessionPath,
) -> Result<Json<VerificationStatus>, ServiceError> {
    Ok(Json(s.verification_status(&auth.actor, &id).await?))
}

async fn cancel_verification(
    s: State<AppState>,
    auth: Manager<act::CancelVerification>,
    SessionPath(id): SessionPath,
) -> Result<Json<VerificationStatus>, ServiceError> {
    Ok(Json(s.cancel_verification(&auth.actor, &id).await?))
}

async fn clear_push_cap(
    s: State<AppState>,
    auth: Manager<act::ClearPushCap>,
    UserPath(user): UserPath,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    JsonBody(req): JsonBody<ClearPushCap>,
) -> Result<Json<StatusReply>, ServiceError> {
    let reason = crate::service::staff::validate_reason(&req.reason)?;
    ctx.note_detail(&reason);
    Ok(Json(s.clear_push_cap(&auth.actor, &user).await?))
}
