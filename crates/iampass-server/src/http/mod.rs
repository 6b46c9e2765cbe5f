//! The HTTP surface: one file per API area, each a `Router`; here they are joined with the
//! cross-cutting layers (body limit, access log with the audit record, metrics) and a JSON 404 for
//! unknown routes.

mod audit;
mod auth;
mod authentication;
mod book;
mod console;
mod device;
mod error;
mod events;
mod extract;
mod management;
mod operator;
pub mod permissions;
mod recovery;
mod register;
mod sign_in;
mod staff;
mod webphone;

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

pub use auth::RequestContext;

use iampass_proto::hmac_v1;

use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;

pub fn router(state: AppState) -> Router {
    let limit = state.config.body_limit_bytes;
    Router::new()
        .merge(management::routes())
        .merge(authentication::routes())
        .merge(console::routes())
        .merge(staff::routes())
        .merge(book::routes())
        .merge(recovery::routes())
        .merge(sign_in::routes())
        .merge(audit::routes())
        .merge(events::routes())
        .merge(register::routes())
        .merge(device::routes())
        .merge(webphone::routes())
        .merge(operator::routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(middleware::from_fn_with_state(state.clone(), head_checks))
        .layer(middleware::from_fn_with_state(state.clone(), access_log))
        .with_state(state)
}

/// Whether this build serves the web phone (registration links lead to it); a build made before
/// the phone's bundle existed answers its pages with 503 and says so at start.
pub fn web_phone_built() -> bool {
    webphone::built()
}

/// Liveness: the process answers. A load balancer or systemd restarts on failure; the database is
/// `/readyz`'s business, so a database outage does not restart every node.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and its schema is the one this server runs. During a rolling
/// upgrade, a node still on the old release sees the newer schema and leaves the rotation.
async fn readyz(State(s): State<AppState>) -> Result<&'static str, ServiceError> {
    let v = s.store.schema_version().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready: the database does not answer");
        ServiceError::Unavailable { code: "database_unavailable", reason: "the database does not answer".into() }
    })?;
    if v.found != v.known {
        return Err(ServiceError::Unavailable {
            code: "schema_mismatch",
            reason: format!("the database's schema is version {}; this server runs version {}", v.found, v.known),
        });
    }
    Ok("ready")
}

async fn metrics(State(s): State<AppState>) -> Response {
    match &s.metrics {
        Some(handle) => handle.render().into_response(),
        None => (StatusCode::NOT_FOUND, "metrics are not enabled").into_response(),
    }
}

async fn not_found() -> ServiceError {
    ServiceError::not_found("unknown_route", "no such route")
}

/// Checks a request's head before any route sees it: refuses one over the size limit (the
/// connection's read buffer is capped too, in `serve`, but only coarsely: hyper accepts a head that
/// fits in one read of its buffer), and one with more than one credential (two `Authorization`
/// headers, or `Authorization` beside protocol 1's `Authentication`), which would otherwise be
/// answered as whichever the route's extractor happens to read first.
async fn head_checks(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let limit = s.config.max_header_bytes;
    let head = req.method().as_str().len()
        + req.uri().to_string().len()
        + req.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum::<usize>();
    if head > limit {
        return ServiceError::HeadersTooLarge { limit }.into_response();
    }
    let credentials = [hmac_v1::HEADER_AUTHORIZATION, hmac_v1::HEADER_AUTHENTICATION]
        .iter()
        .map(|name| req.headers().get_all(*name).iter().count())
        .sum::<usize>();
    if credentials > 1 {
        return ServiceError::Invalid(crate::domain::Invalid::new(
            "ambiguous_credentials",
            "the request carries more than one credential (Authorization and Authentication headers, or one of \
             them twice); send exactly one",
        ))
        .into_response();
    }
    next.run(req).await
}

/// One line per request: method, route template (never the raw path: it holds tokens), status,
/// latency, application. Also feeds the Prometheus counters, and writes the audit record of a
/// management action (`audit::record`) before the answer goes out.
async fn access_log(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    // A context a caller put in already is kept (the tests read what the extractors noted).
    let ctx = req.extensions().get::<RequestContext>().cloned().unwrap_or_default();
    req.extensions_mut().insert(ctx.clone());
    let source = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    audit::record(&state, &ctx, source, status).await;
    let latency = start.elapsed();
    let app = ctx.actor().map_or("-", |a| a.app_id());
    tracing::info!(target: "iampass::access", %method, route = %route, status, latency_ms = latency.as_secs_f64() * 1e3, app, "request");
    let labels = [("route", route), ("status", status.to_string())];
    metrics::counter!("iampass_http_requests_total", &labels).increment(1);
    metrics::histogram!("iampass_http_request_duration_seconds", &labels[..1]).record(latency.as_secs_f64());
    response
}
