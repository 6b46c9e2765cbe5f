//! Records every management action in the server's audit log: who acted (once authenticated),
//! what (the route's audited name), to whom (the user or session in the path), from where (the
//! caller's address), and how it ended (the status). Unauthenticated requests are nobody's
//! actions; the access log has them.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use iampass_proto::wire::{AuditPage, PageQuery};

use super::auth::{Manager, ReadOnly, RequestContext};
use super::extract::Query;
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::NewAuditRecord;
use crate::store::prelude::*;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/management/audit/{app}", get(page))
}

async fn page(
    State(s): State<AppState>,
    auth: ReadOnly<Manager<act::ReadAudit>>,
    Query(q): Query<PageQuery>,
) -> Result<Json<AuditPage>, ServiceError> {
    auth.read(|m| async move { Ok(Json(s.audit_page(&m.actor, &q).await?)) }).await
}

/// Writes the audit record of a request that has run, if its route's action changes something
/// and its caller was known: before the answer goes out, so an answered action is always in the
/// log. What, and under which name, is the action the route's management caller declared; who
/// acted and to whom, what the extractors noted. Called for every request by the access log's
/// layer, so no route can be left out of it.
pub(super) async fn record(state: &AppState, ctx: &RequestContext, source: Option<std::net::IpAddr>, status: u16) {
    let (Some(action), Some(actor)) = (ctx.audited_as(), ctx.actor()) else { return };
    let record = NewAuditRecord {
        app_id: actor.app_id().to_owned(),
        actor: actor.clone(),
        at: state.now(),
        action: action.to_owned(),
        subject: ctx.subject().map(str::to_owned),
        source: source.map(|ip| ip.to_string()),
        status,
        detail: ctx.detail().map(str::to_owned),
    };
    if let Err(e) = state.store.record_audit(record).await {
        tracing::error!(error = %e, "audit record not written");
    }
}
