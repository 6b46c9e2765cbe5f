//! The team book's routes (`/console/v1/{app}/book`, `/desks`): sealed entries, desks and their
//! wrapped keys. The audit log records each change by staff member and user id (no entry is
//! readable here).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::auth::{Manager, RequestContext};
use super::extract::{BodyLimit, DeskPath, JsonBody, Query, UserPath};
use super::permissions::act;
use crate::error::ServiceError;
use crate::service::book::BOOK_BODY_LIMIT;
use crate::state::AppState;

pub(super) fn routes() -> Router<AppState> {
    let big = BodyLimit(BOOK_BODY_LIMIT);
    Router::new()
        .route("/console/v1/{app}/book", big.on(get(page).put(write)))
        .route("/console/v1/{app}/book/{user}", get(entry).delete(remove))
        .route("/console/v1/{app}/book_rotation", big.on(post(rotate)))
        .route("/console/v1/{app}/desks", get(desks).post(request))
        .route("/console/v1/{app}/desks/{desk}", get(desk_key).delete(refuse))
        .route("/console/v1/{app}/desks/{desk}/approve", post(approve))
}

/// Names what a call wrote for the audit record: the one user, or how many and the first few.
fn note_written(ctx: &RequestContext, users: &[&str]) {
    match users {
        [one] => ctx.note_detail(&format!("entry {one}")),
        many => {
            let first: Vec<&str> = many.iter().take(10).copied().collect();
            let rest = many.len().saturating_sub(first.len());
            let more = if rest > 0 { format!(" and {rest} more") } else { String::new() };
            ctx.note_detail(&format!("{} entries: {}{more}", many.len(), first.join(", ")));
        }
    }
}

async fn page(
    s: State<AppState>,
    auth: Manager<act::ReadBook>,
    Query(q): Query<BookQuery>,
) -> Result<Json<BookPage>, ServiceError> {
    Ok(Json(s.book_page(&auth.actor, &q).await?))
}

async fn entry(
    s: State<AppState>,
    auth: Manager<act::ReadBookEntry>,
    UserPath(user): UserPath,
) -> Result<Json<BookEntry>, ServiceError> {
    Ok(Json(s.book_entry(&auth.actor, &user).await?))
}

async fn write(
    s: State<AppState>,
    auth: Manager<act::WriteBook>,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    JsonBody(req): JsonBody<BookWrites>,
) -> Result<Json<BookWritten>, ServiceError> {
    note_written(&ctx, &req.entries.iter().map(|e| e.user_id.as_str()).collect::<Vec<_>>());
    Ok(Json(s.write_book(&auth.actor, &req).await?))
}

async fn remove(
    s: State<AppState>,
    auth: Manager<act::RemoveBookEntry>,
    UserPath(user): UserPath,
    Query(q): Query<BookRemove>,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.remove_book_entry(&auth.actor, &user, q.version).await?))
}

async fn rotate(
    s: State<AppState>,
    auth: Manager<act::RotateBookKey>,
    axum::Extension(ctx): axum::Extension<RequestContext>,
    JsonBody(req): JsonBody<BookRotation>,
) -> Result<Json<StatusReply>, ServiceError> {
    let desks: Vec<&str> = req.wrapped.iter().map(|w| w.desk_id.as_str()).collect();
    ctx.note_detail(&format!(
        "generation {}: {} entries sealed again, kept by desks {}",
        req.generation,
        req.entries.len(),
        desks.join(", ")
    ));
    Ok(Json(s.rotate_book(&auth.actor, &req).await?))
}

async fn desks(s: State<AppState>, auth: Manager<act::ListDesks>) -> Result<Json<Vec<DeskSummary>>, ServiceError> {
    Ok(Json(s.desks(&auth.actor).await?))
}

async fn request(
    s: State<AppState>,
    auth: Manager<act::RequestDeskKey>,
    JsonBody(req): JsonBody<DeskRequest>,
) -> Result<(StatusCode, Json<DeskSummary>), ServiceError> {
    Ok((StatusCode::CREATED, Json(s.request_desk(&auth.actor, &req).await?)))
}

async fn desk_key(
    s: State<AppState>,
    auth: Manager<act::ReadDeskKey>,
    DeskPath(desk): DeskPath,
) -> Result<Json<DeskKey>, ServiceError> {
    Ok(Json(s.desk_key(&auth.actor, &desk).await?))
}

async fn approve(
    s: State<AppState>,
    auth: Manager<act::ApproveDesk>,
    DeskPath(desk): DeskPath,
    JsonBody(req): JsonBody<DeskApproval>,
) -> Result<Json<DeskSummary>, ServiceError> {
    Ok(Json(s.approve_desk(&auth.actor, &desk, &req).await?))
}

async fn refuse(
    s: State<AppState>,
    auth: Manager<act::RefuseDesk>,
    DeskPath(desk): DeskPath,
) -> Result<Json<StatusReply>, ServiceError> {
    Ok(Json(s.refuse_desk(&auth.actor, &desk).await?))
}
