//! Staff sign-in (`/console/v1/...`): no signature, a push to the staff member's phone, a bearer
//! token once approved; and the signed-in member's own calls (who am I, sign out).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::StaffBearer;
use super::extract::{JsonBody, Origin, Query};
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/v1/{app}/sign_in", post(sign_in))
        .route("/console/v1/{app}/sign_in/{sign_in_id}", get(status))
        .route("/console/v1/{app}/me", get(me))
        .route("/console/v1/sign_out", post(sign_out))
}

async fn sign_in(
    s: State<AppState>,
    Path(app): Path<String>,
    Origin(origin): Origin,
    JsonBody(req): JsonBody<SignInRequest>,
) -> Result<impl IntoResponse, ServiceError> {
    let started = s.staff_sign_in(&app, &req.staff, origin).await?;
    Ok((StatusCode::ACCEPTED, [(header::CACHE_CONTROL, "no-store")], Json(started)))
}

async fn status(
    s: State<AppState>,
    Path((app, sign_in_id)): Path<(String, String)>,
    Origin(origin): Origin,
    Query(q): Query<SignInStatusQuery>,
) -> Result<impl IntoResponse, ServiceError> {
    let wait = u64::from(q.wait.unwrap_or(0));
    let status = s.staff_sign_in_wait(&app, &sign_in_id, wait, origin).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(status)))
}

async fn me(s: State<AppState>, Path(app): Path<String>, staff: StaffBearer) -> Result<Json<StaffSelf>, ServiceError> {
    if staff.record.staff.app_id != app {
        return Err(ServiceError::wrong_application());
    }
    Ok(Json(s.staff_self(&staff.record)))
}

async fn sign_out(
    s: State<AppState>,
    staff: StaffBearer,
    Origin(origin): Origin,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.staff_sign_out(&staff.token, origin).await?))
}
