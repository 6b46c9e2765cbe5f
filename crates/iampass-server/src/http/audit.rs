//! Records every management action in the server's audit log: who acted (once authenticated),
//! what (the route's audited name), to whom (the user or session in the path), from where (the
//! caller's address), and how it ended (the status). Unauthenticated requests are nobody's
//! actions; the access log has them.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use iampass_proto::wire::{AuditPage, PageQuery};

use super::auth::{Manager, ReadOnly, RequestContext};
use super::extract::Query;
use super::permissions;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::NewAuditRecord;
use crate::store::prelude::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/management/audit/{app}", get(page))
}

async fn page(
    State(s): State<AppState>,
    auth: ReadOnly<Manager>,
    Query(q): Query<PageQuery>,
) -> Result<Json<AuditPage>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.audit_page(&m.actor, &q).await?)) }).await
}

/// Middleware: runs the request, then writes the record (before the answer goes out, so an
/// answered action is always in the log). What to record, and under which name, comes from the
/// route's permission; who acted and to whom, from what the extractors noted.
pub(super) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let action = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| permissions::rule_for(req.method().as_str(), m.as_str()))
        .and_then(|rule| rule.audited_as);
    let Some(action) = action else { return next.run(req).await };
    let source = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let ctx = req.extensions().get::<RequestContext>().cloned();
    let response = next.run(req).await;
    let Some(ctx) = ctx else { return response };
    let Some(actor) = ctx.actor() else { return response };
    let record = NewAuditRecord {
        app_id: actor.app_id().to_owned(),
        actor: actor.clone(),
        at: state.now(),
        action: action.to_owned(),
        subject: ctx.subject().map(str::to_owned),
        source,
        status: response.status().as_u16(),
        detail: ctx.detail().map(str::to_owned),
    };
    if let Err(e) = state.store.record_audit(record).await {
        tracing::error!(error = %e, "audit record not written");
    }
    response
}
