//! Routes of the published Management API.

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{Manager, ReadOnly};
use super::extract::{JsonBody, Query, UserPath};
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/management/add_users/{app}", post(add_users))
        .route("/management/delete_users/{app}", post(delete_users))
        .route("/management/device_registration_link/{app}/{user}", get(registration_link))
        .route("/management/has_registered_mobile_device/{app}/{user}", get(has_device))
        .route("/management/lost_user_mobile_device/{app}/{user}", get(lost_device))
        .route("/management/send_registration_sms/{app}/{user}", post(send_sms))
}

async fn add_users(
    s: axum::extract::State<AppState>,
    auth: Manager<act::AddUsers>,
    JsonBody(req): JsonBody<UsersRequest>,
) -> Result<(StatusCode, Json<AddUsersResponse>), ServiceError> {
    Ok((StatusCode::CREATED, Json(s.add_users(&auth.actor, &req.users).await?)))
}

async fn delete_users(
    s: axum::extract::State<AppState>,
    auth: Manager<act::DeleteUsers>,
    JsonBody(req): JsonBody<UsersRequest>,
) -> Result<Json<DeleteUsersResponse>, ServiceError> {
    Ok(Json(s.delete_users(&auth.actor, &req.users).await?))
}

async fn registration_link(
    s: axum::extract::State<AppState>,
    auth: Manager<act::RegistrationLink>,
    UserPath(user): UserPath,
    Query(q): Query<RegistrationLinkQuery>,
) -> Result<Json<RegistrationLinkResponse>, ServiceError> {
    Ok(Json(s.registration_link(&auth.actor, &user, q.display_name).await?))
}

async fn has_device(
    s: axum::extract::State<AppState>,
    auth: ReadOnly<Manager<act::DeviceCheck>>,
    UserPath(user): UserPath,
) -> Result<Json<DeviceRegisteredResponse>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.has_registered_mobile_device(&m.actor, &user).await?)) }).await
}

async fn lost_device(
    s: axum::extract::State<AppState>,
    auth: Manager<act::LostDevice>,
    UserPath(user): UserPath,
) -> Result<Json<RegistrationLinkResponse>, ServiceError> {
    Ok(Json(s.lost_user_mobile_device(&auth.actor, &user).await?))
}

async fn send_sms(
    s: axum::extract::State<AppState>,
    auth: Manager<act::SendRegistrationSms>,
    UserPath(user): UserPath,
    JsonBody(req): JsonBody<SendSmsRequest>,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.send_registration_sms(&auth.actor, &user, &req).await?))
}
