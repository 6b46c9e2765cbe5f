//! The operator endpoint, guarded by the admin token: create and list applications (the console's
//! "Add application" uses it). A created secret is in this one answer and never again.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::auth::Operator;
use super::extract::JsonBody;
use crate::clock::rfc3339;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/operator/applications", get(list).post(create))
}

#[derive(Debug, Deserialize)]
struct CreateApp {
    name: String,
    #[serde(default)]
    number_matching: bool,
}

#[derive(Debug, Serialize)]
struct Created {
    application_id: String,
    application_secret: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct Listed {
    application_id: String,
    name: String,
    created_at: String,
    secret_rotated_at: String,
    users: u64,
}

async fn create(
    State(s): State<AppState>,
    _: Operator,
    JsonBody(req): JsonBody<CreateApp>,
) -> Result<impl IntoResponse, ServiceError> {
    let app = crate::service::apps::create(&s.store, &s.sealer, &req.name, req.number_matching, s.now()).await?;
    tracing::info!(application = %app.id, "application created through the operator API");
    let body = Created { application_id: app.id, application_secret: app.secret.to_string(), name: app.name };
    Ok((StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], Json(body)))
}

async fn list(State(s): State<AppState>, _: Operator) -> Result<Json<Vec<Listed>>, ServiceError> {
    let apps = s.store.apps().await?;
    Ok(Json(
        apps.into_iter()
            .map(|(a, users)| Listed {
                application_id: a.id,
                name: a.name,
                created_at: rfc3339(a.created_at),
                secret_rotated_at: rfc3339(a.secret_rotated_at),
                users,
            })
            .collect(),
    ))
}
