//! Records every management action in the server's audit log: which application (once
//! authenticated), what (the route's name), to whom (the user or session in the path), from where
//! (the caller's address), and how it ended (the status). Unauthenticated requests are not the
//! application's actions; the access log has them.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, OriginalUri, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use iampass_proto::wire::AuditPage;

use super::auth::{AppAuth, RequestContext};
use super::extract::QueryMap;
use crate::domain::user_id;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::NewAuditRecord;

/// Management routes that change something (two of them are GETs in the published API).
const AUDITED: &[&str] = &[
    "add_users",
    "delete_users",
    "device_registration_link",
    "lost_user_mobile_device",
    "send_registration_sms",
    "logout_session",
    "logout_user",
];

pub fn routes() -> Router<AppState> {
    Router::new().route("/management/audit/{app}", get(page))
}

async fn page(State(s): State<AppState>, auth: AppAuth, q: QueryMap) -> Result<Json<AuditPage>, ApiError> {
    Ok(Json(s.audit_page(&auth.app.id, q.get("cursor"), q.u32("limit")?).await?))
}

/// Middleware: runs the request, then writes the record (before the answer goes out, so an
/// answered action is always in the log).
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let action = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| m.as_str().split('/').nth(2))
        .filter(|a| AUDITED.contains(a))
        .map(str::to_owned);
    let Some(action) = action else { return next.run(req).await };
    let uri = req.extensions().get::<OriginalUri>().map_or_else(|| req.uri().clone(), |o| o.0.clone());
    let source = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let ctx = req.extensions().get::<RequestContext>().cloned();
    let response = next.run(req).await;
    let Some(app_id) = ctx.and_then(|c| c.0.get().cloned()) else { return response };
    let segments: Vec<&str> = uri.path().split('/').collect();
    // /management/{action}/{app}/{user or session}
    let subject = segments.get(4).map(|raw| {
        if action == "logout_session" {
            (*raw).to_owned()
        } else {
            user_id::from_path_segment(raw).unwrap_or_else(|_| (*raw).to_owned())
        }
    });
    let record =
        NewAuditRecord { app_id, at: state.now(), action, subject, source, status: response.status().as_u16() };
    if let Err(e) = state.store.record_audit(record).await {
        tracing::error!(error = %e, "audit record not written");
    }
    response
}
