//! Input extractors whose failures are our JSON errors, not axum's plain-text ones: JSON bodies
//! (400 with serde's reason, 413 over the limit, 408 past the body deadline), user ids from paths (decoded as the official
//! client encodes them), query strings.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, OriginalUri, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::time::Duration;

use super::auth::RequestContext;
use crate::domain::{Invalid, user_id};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::RequestOrigin;

/// Longest user agent kept (they are shown, not parsed).
const MAX_USER_AGENT_CHARS: usize = 256;

/// Where a request came from: the peer's address (or, behind a trusted proxy, the first
/// `X-Forwarded-For` entry) and its user agent. Recorded with a bound phone and shown with a login.
#[derive(Debug)]
pub(super) struct Origin(pub RequestOrigin);

impl FromRequestParts<AppState> for Origin {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let forwarded = state
            .config
            .trust_forwarded
            .then(|| header("x-forwarded-for").and_then(|v| v.split(',').next()).map(|v| v.trim().to_owned()))
            .flatten()
            .filter(|v| !v.is_empty());
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(Origin(RequestOrigin {
            address: forwarded.or(peer),
            user_agent: header("user-agent").map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect()),
        }))
    }
}

/// The whole body, within the size limit and the body deadline: a client that trickles its body
/// would otherwise hold a connection and a task for as long as it likes.
pub(super) async fn read_body(req: Request, state: &AppState) -> Result<Bytes, ServiceError> {
    let secs = state.config.body_read_timeout_secs;
    let limit = req.extensions().get::<BodyLimit>().map_or(state.config.body_limit_bytes, |l| l.0);
    match tokio::time::timeout(Duration::from_secs(secs), Bytes::from_request(req, state)).await {
        Err(_) => Err(ServiceError::BodyTimeout { secs }),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ServiceError::PayloadTooLarge { limit }),
        Ok(Err(_)) => Err(Invalid::new("unreadable_body", "the request body could not be read").into()),
    }
}

/// A route's own body limit, where it differs from the server's (set with [`BodyLimit::layer`]),
/// so that a refusal names the limit that applied.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyLimit(pub usize);

impl BodyLimit {
    /// The layers that give a route this limit.
    pub(super) fn on<S: Clone + Send + Sync + 'static>(
        self,
        route: axum::routing::MethodRouter<S>,
    ) -> axum::routing::MethodRouter<S> {
        route
            .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(self.0))
            .layer::<_, std::convert::Infallible>(axum::Extension(self))
    }
}

/// A JSON request body.
#[derive(Debug)]
pub(super) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ServiceError> {
        let bytes = read_body(req, state).await?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            Invalid::new("malformed_json", format!("the request body is not valid JSON for this call: {e}")).into()
        })
    }
}

/// The `{user}` path segment, decoded as the official client encodes it and validated. It is
/// read from the undecoded request path (axum's path extractors decode `%2B` to `+` first, which
/// would then wrongly become a space); every user route ends with `{user}`.
#[derive(Debug)]
pub(super) struct UserPath(pub String);

impl FromRequestParts<AppState> for UserPath {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ServiceError> {
        let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |o| &o.0);
        let raw = uri.path().rsplit('/').next().unwrap_or_default();
        let user = user_id::from_path_segment(raw);
        RequestContext::note_subject(parts, user.as_deref().unwrap_or(raw));
        Ok(UserPath(user?))
    }
}

/// The path segment named `key` (percent-decoded), noted as the action's subject; `missing`
/// when the route has none.
async fn named_segment(
    parts: &mut Parts,
    state: &AppState,
    key: &str,
    missing: fn() -> ServiceError,
) -> Result<String, ServiceError> {
    let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| missing())?;
    let value = params.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_owned()).unwrap_or_default();
    RequestContext::note_subject(parts, &value);
    Ok(value)
}

/// Path extractors of one named segment each, noted as the action's subject.
macro_rules! segment_extractors {
    ($($(#[$doc:meta])* $name:ident: $key:literal, $missing:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub(super) struct $name(pub String);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ServiceError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
                named_segment(parts, state, $key, $missing).await.map($name)
            }
        }
    )*};
}

segment_extractors! {
    /// The `{session}` path segment: a session id.
    SessionPath: "session", ServiceError::unknown_session;
    /// The `{recovery}` path segment: a recovery's id.
    RecoveryPath: "recovery", || ServiceError::not_found("unknown_recovery", "no recovery is named in the path");
    /// The `{staff}` path segment: a staff member's id or name.
    StaffPath: "staff", || ServiceError::not_found("unknown_staff", "no staff member is named in the path");
    /// The `{desk}` path segment: a desk's id.
    DeskPath: "desk", || ServiceError::not_found("unknown_desk", "no desk is named in the path");
}

/// The query string, parsed into the route's query type from `iampass_proto::wire` (the client
/// writes it from the same type); a value that does not parse is a 400 naming it.
#[derive(Debug, Default)]
pub(super) struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ServiceError> {
        serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
            .map(Query)
            .map_err(|e| Invalid::new("invalid_query", format!("the query string cannot be read: {e}")).into())
    }
}
