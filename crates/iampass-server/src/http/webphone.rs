//! The web phone: its pages (the embedded Svelte app under `/phone/`) and its API under
//! `/phone/api/`. Calls after sign-in carry the phone's bearer token (the `Phone` extractor).

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iampass_proto::wire::*;

use super::extract::{JsonBody, Origin, Query};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::DeviceRecord;

/// `(path under /phone/, bytes, gzipped bytes, ETag)`, written by build.rs from `ui/dist-phone`.
static ASSETS: &[(&str, &[u8], &[u8], &str)] = include!(concat!(env!("OUT_DIR"), "/phone_assets.rs"));

/// The phone's pages may run only their own scripts and may not be framed (an approve button in
/// someone else's frame is a click-jacking target).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Whether the web phone was embedded at build time (build.rs found `ui/dist-phone`).
pub(super) fn built() -> bool {
    !ASSETS.is_empty()
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/phone", get(|| async { redirect("/phone/") }))
        .route("/phone/", get(asset))
        .route("/phone/{*path}", get(asset))
        // Where a registration link lands (see `register.rs`): the app's page, which takes the
        // code out of its address at once.
        .route("/phone/enroll/{token}", get(enroll_page))
        .route("/phone/api/enroll/{token}", get(enroll_info).post(finish_enrollment))
        .route("/phone/api/enroll/{token}/options", post(start_enrollment))
        .route("/phone/api/sign-in/options", post(start_sign_in))
        .route("/phone/api/sign-in", post(finish_sign_in))
        .route("/phone/api/me", get(me))
        .route("/phone/api/requests", get(requests))
        .route("/phone/api/requests/{session}/options", post(start_approval))
        .route("/phone/api/requests/{session}/approve", post(approve))
        .route("/phone/api/requests/{session}/deny", post(deny))
        .route("/phone/api/push/key", get(push_key))
        .route("/phone/api/push", get(push_state).put(subscribe).delete(unsubscribe))
        .route("/phone/api/sessions", get(sessions))
        .route("/phone/api/sessions/{session}/logout", post(logout))
}

pub(super) fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

async fn enroll_page(headers: HeaderMap) -> Response {
    let mut response = asset(None, headers).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

async fn asset(path: Option<Path<String>>, headers: HeaderMap) -> Response {
    let path = path.map(|Path(p)| p).unwrap_or_default();
    let name = if path.is_empty() { "index.html" } else { path.as_str() };
    let Some((_, raw, gz, etag)) = ASSETS.iter().find(|(n, _, _, _)| *n == name) else {
        return if ASSETS.is_empty() {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "This server was built without the web phone: run scripts/build-ui, then build the server again.",
            )
                .into_response()
        } else {
            ServiceError::not_found("unknown_route", "no such page").into_response()
        };
    };
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains(etag));
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Served from the binary as they are, not copied per request.
        bytes::Bytes::from_static(if gzip { gz } else { raw }).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_static(etag));
    let ty = match name.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    if gzip && !fresh {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // Built file names carry a content hash; the rest must be revalidated so an update arrives.
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// A signed-in web phone (its bearer token), active.
#[derive(Debug)]
pub(super) struct Phone(pub DeviceRecord);

impl FromRequestParts<AppState> for Phone {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        Ok(Phone(state.authenticate_phone(super::auth::bearer(parts)).await?))
    }
}

async fn enroll_info(State(s): State<AppState>, Path(token): Path<String>) -> Result<Json<EnrollInfo>, ServiceError> {
    Ok(Json(s.enroll_info(&token).await?))
}

async fn start_enrollment(
    State(s): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<Ceremony>, ServiceError> {
    Ok(Json(s.start_passkey_enrollment(&token).await?))
}

async fn finish_enrollment(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Origin(origin): Origin,
    JsonBody(answer): JsonBody<CeremonyAnswer>,
) -> Result<(StatusCode, Json<PhoneSignedIn>), ServiceError> {
    Ok((StatusCode::CREATED, Json(s.finish_passkey_enrollment(&token, answer, origin).await?)))
}

async fn start_sign_in(State(s): State<AppState>) -> Result<Json<Ceremony>, ServiceError> {
    Ok(Json(s.start_phone_sign_in()?))
}

async fn finish_sign_in(
    State(s): State<AppState>,
    JsonBody(answer): JsonBody<CeremonyAnswer>,
) -> Result<Json<PhoneSignedIn>, ServiceError> {
    Ok(Json(s.finish_phone_sign_in(answer).await?))
}

async fn me(Phone(device): Phone) -> Json<PhoneInfo> {
    Json(AppState::phone_info(&device))
}

async fn requests(
    State(s): State<AppState>,
    Query(q): Query<RequestsQuery>,
    Phone(device): Phone,
) -> Result<Json<PendingRequests>, ServiceError> {
    let known = q.known_ids();
    Ok(Json(s.pending_requests(&device, u64::from(q.wait.unwrap_or(0)), known.as_deref()).await?))
}

async fn start_approval(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Phone(device): Phone,
    JsonBody(start): JsonBody<ApprovalStart>,
) -> Result<Json<Ceremony>, ServiceError> {
    Ok(Json(s.start_approval(&device, &session, start).await?))
}

async fn approve(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Phone(device): Phone,
    JsonBody(answer): JsonBody<CeremonyAnswer>,
) -> Result<Json<SessionReply>, ServiceError> {
    Ok(Json(s.finish_approval(&device, &session, answer).await?))
}

async fn deny(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Phone(device): Phone,
    JsonBody(refusal): JsonBody<Refusal>,
) -> Result<Json<SessionReply>, ServiceError> {
    Ok(Json(s.refuse_request(&device, &session, refusal).await?))
}

async fn sessions(State(s): State<AppState>, Phone(device): Phone) -> Result<Json<DeviceSessions>, ServiceError> {
    Ok(Json(s.phone_sessions(&device).await?))
}

async fn logout(
    State(s): State<AppState>,
    Path(session): Path<String>,
    Phone(device): Phone,
) -> Result<Json<SessionReply>, ServiceError> {
    Ok(Json(s.phone_logout(&device, &session).await?))
}

async fn push_key(State(s): State<AppState>) -> Json<PushKey> {
    Json(s.push_key())
}

async fn push_state(State(s): State<AppState>, Phone(device): Phone) -> Result<Json<PushState>, ServiceError> {
    Ok(Json(s.push_state(&device.id).await?))
}

async fn subscribe(
    State(s): State<AppState>,
    Phone(device): Phone,
    JsonBody(sub): JsonBody<PushSubscriptionJson>,
) -> Result<Json<PushState>, ServiceError> {
    Ok(Json(s.subscribe_push(&device.id, &sub).await?))
}

async fn unsubscribe(State(s): State<AppState>, Phone(device): Phone) -> Result<Json<PushState>, ServiceError> {
    Ok(Json(s.unsubscribe_push(&device.id).await?))
}
