//! Extractors that authenticate a request before its handler runs: protocol 1 with an
//! application's or a session's credentials, a staff member's bearer token (checked against the
//! route's permission), device signatures (body-buffering, since the body is signed), and the
//! operator token. Each rebuilds what the client signed from the request as
//! it arrived.

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequest, FromRequestParts, OriginalUri, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use futures_util::future::BoxFuture;
use iampass_proto::AuthError;
use iampass_proto::hmac_v1::{self, AuthHeader};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::permissions::Action;
use crate::domain::actor::Actor;
use crate::error::ServiceError;
use crate::service::DeviceCall;
use crate::service::app_cache::SigningApp;
use crate::service::login::session_secret_context;
use crate::state::AppState;
use crate::store::prelude::*;

/// What the extractors learn about a request for the layers around it: who acted (the access
/// log names the application, the audit log the actor) and to whom (the user or session named in
/// the path, as the route's extractor decoded it).
#[derive(Debug, Default, Clone)]
pub struct RequestContext(Arc<ContextCells>);

#[derive(Debug, Default)]
struct ContextCells {
    actor: OnceLock<Actor>,
    subject: OnceLock<String>,
    detail: OnceLock<String>,
    /// The route's action (its name, and its audit name if it changes something).
    action: OnceLock<(&'static str, Option<&'static str>)>,
}

impl RequestContext {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.actor.get()
    }

    pub fn subject(&self) -> Option<&str> {
        self.0.subject.get().map(String::as_str)
    }

    pub fn detail(&self) -> Option<&str> {
        self.0.detail.get().map(String::as_str)
    }

    /// The action the route's management caller declared ([`Action`]), once its
    /// extractor ran.
    pub fn action(&self) -> Option<&'static str> {
        self.0.action.get().map(|(name, _)| *name)
    }

    /// The name the audit log records this request under, if its action changes something.
    pub fn audited_as(&self) -> Option<&'static str> {
        self.0.action.get().and_then(|(_, audited)| *audited)
    }

    fn note_action<A: Action>(parts: &Parts) {
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            let _ = ctx.0.action.set((A::NAME, A::AUDITED_AS));
        }
    }

    /// Records the reason the caller gave, for the audit record (a handler reads it from the body).
    pub fn note_detail(&self, detail: &str) {
        let _ = self.0.detail.set(detail.to_owned());
    }

    /// Records the request's subject, if the request carries a context (the router adds one).
    pub fn note_subject(parts: &Parts, subject: &str) {
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            let _ = ctx.0.subject.set(subject.to_owned());
        }
    }

    fn note_actor(parts: &Parts, actor: &Actor) {
        if let Some(ctx) = parts.extensions.get::<RequestContext>() {
            let _ = ctx.0.actor.set(actor.clone());
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| headers.get(*n)).and_then(|v| v.to_str().ok())
}

fn target(parts: &Parts) -> (Option<String>, String) {
    let uri: &Uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |o| &o.0);
    let pq = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    (uri.authority().map(|a| a.to_string()), pq)
}

/// Every `host[:port][/base]` + target the client may have signed: the request's own authority,
/// the configured public URL, and (when trusted) the proxy's forwarded host.
fn candidate_uris(state: &AppState, parts: &Parts) -> Vec<String> {
    let (authority, pq) = target(parts);
    let mut hosts: Vec<String> = Vec::with_capacity(4);
    hosts.extend(authority);
    hosts.extend(header(&parts.headers, &["host"]).map(str::to_owned));
    hosts.push(hmac_v1::strip_scheme(&state.public_url).to_owned());
    if state.config.trust_forwarded
        && let Some(fwd) = header(&parts.headers, &["x-forwarded-host"])
    {
        hosts.extend(fwd.split(',').next().map(|h| h.trim().to_owned()));
    }
    hosts.dedup();
    hosts.into_iter().map(|h| format!("{h}{pq}")).collect()
}

fn raw_param(params: &RawPathParams, name: &str) -> Option<String> {
    params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// The parts of a protocol-1 request that do not depend on whose secret it is.
struct Protocol1 {
    header: AuthHeader,
    timestamp: i64,
    candidates: Vec<String>,
}

fn read_protocol1(state: &AppState, parts: &Parts) -> Result<Protocol1, AuthError> {
    let value = header(&parts.headers, &[hmac_v1::HEADER_AUTHENTICATION, hmac_v1::HEADER_AUTHORIZATION])
        .ok_or(AuthError::MissingHeader)?;
    let header = hmac_v1::parse_header(value)?;
    let ts = header_any(parts, &[hmac_v1::HEADER_TIMESTAMP, hmac_v1::HEADER_TIMESTAMP_DOCS])
        .ok_or(AuthError::MissingTimestamp)?;
    let timestamp = hmac_v1::parse_timestamp(ts)?;
    hmac_v1::check_version(header_any(parts, &[hmac_v1::HEADER_VERSION, hmac_v1::HEADER_VERSION_CLIENT]))?;
    hmac_v1::check_timestamp(timestamp, state.clock.now_secs(), window(state))?;
    Ok(Protocol1 { header, timestamp, candidates: candidate_uris(state, parts) })
}

fn header_any<'a>(parts: &'a Parts, names: &[&str]) -> Option<&'a str> {
    header(&parts.headers, names)
}

fn window(state: &AppState) -> i64 {
    i64::try_from(state.config.timestamp_window_secs).unwrap_or(i64::MAX)
}

impl Protocol1 {
    /// Checks the signature against `secret`. What then admits the request (its nonce spent,
    /// then `rate_limited`'s rate limit counted) is returned, not yet run.
    fn verify(self, state: &AppState, secret: &str, rate_limited: Option<String>) -> Result<Admission, ServiceError> {
        self.header.verify(secret, self.candidates.iter().map(String::as_str), self.timestamp)?;
        let (state, limited) = (state.clone(), rate_limited.clone());
        let admit = async move {
            let keep_until = self.timestamp.saturating_add(window(&state));
            state
                .store
                .spend_nonce(&self.header.client_id, &self.header.nonce, state.clock.now_secs(), keep_until)
                .await?;
            match rate_limited {
                Some(app_id) => rate_limit(&state, &app_id),
                None => Ok(()),
            }
        };
        Ok(Admission { admit: Some(Box::pin(admit)), limited })
    }
}

/// What admits a request whose credentials checked out: its nonce spent, so that a copy is
/// refused, and its application's rate limit counted. Kept apart from the credentials' check so
/// that a read-only handler can read in the same trip to the database as the nonce's insert
/// ([`ReadOnly`]); every other extractor awaits it before its handler runs ([`Admitted`]).
pub(super) struct Admission {
    admit: Option<BoxFuture<'static, Result<(), ServiceError>>>,
    /// The application whose rate limit the admission counts.
    limited: Option<String>,
}

impl Admission {
    async fn admit(mut self) -> Result<(), ServiceError> {
        match self.admit.take() {
            Some(admit) => admit.await,
            None => Ok(()),
        }
    }
}

/// A request refused after its signature checked out (an extractor after this one failed, or the
/// client went away) still spends its nonce: a signed request is never good twice.
impl Drop for Admission {
    fn drop(&mut self) {
        if let (Some(admit), Ok(runtime)) = (self.admit.take(), tokio::runtime::Handle::try_current()) {
            runtime.spawn(admit);
        }
    }
}

/// A caller who is known once their credentials are checked, and admitted by an [`Admission`].
pub(super) trait Admitted: Sized {
    fn unadmitted(
        parts: &mut Parts,
        state: &AppState,
    ) -> impl Future<Output = Result<(Self, Admission), ServiceError>> + Send;
}

/// The caller, admitted before the handler runs.
async fn admitted<T: Admitted>(parts: &mut Parts, state: &AppState) -> Result<T, ServiceError> {
    let (caller, admission) = T::unadmitted(parts, state).await?;
    admission.admit().await?;
    Ok(caller)
}

/// The caller of a route that changes nothing: the request's nonce is spent while the handler
/// reads (on PostgreSQL, one trip to the database instead of two in a row), and the answer is
/// given only once the request is admitted: a copy's read runs, but what it gets is the copy's
/// refusal. Never for a handler that writes, which would write before its nonce is known fresh.
pub(super) struct ReadOnly<T>(T, Admission);

impl<T: Admitted + Send> FromRequestParts<AppState> for ReadOnly<T> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        let (caller, admission) = T::unadmitted(parts, state).await?;
        // An application out of budget is refused before its read starts (its nonce is spent
        // all the same, as the admission drops); otherwise the token is taken after the nonce.
        if let Some(app_id) = &admission.limited {
            state.rate_limit.peek(app_id, state.now()).map_err(too_many)?;
        }
        Ok(ReadOnly(caller, admission))
    }
}

impl<T> ReadOnly<T> {
    /// Runs `read` for the caller beside the admission; a refused admission's error wins.
    pub(super) async fn read<R, F>(self, read: impl FnOnce(T) -> F) -> Result<R, ServiceError>
    where
        F: Future<Output = Result<R, ServiceError>>,
    {
        let ReadOnly(caller, admission) = self;
        let (admitted, answer) = futures_util::future::join(admission.admit(), read(caller)).await;
        admitted?;
        answer
    }
}

/// A request signed with the credentials of the application named in the path (`{app}`): the
/// application acts. The Authentication API takes only this.
#[derive(Debug)]
pub(super) struct AppAuth {
    pub app: Arc<SigningApp>,
    pub actor: Actor,
}

impl Admitted for AppAuth {
    async fn unadmitted(parts: &mut Parts, state: &AppState) -> Result<(Self, Admission), ServiceError> {
        let app_id = path_app(parts, state).await?;
        let signed = read_protocol1(state, parts)?;
        // A staff realm has a secret nobody knows; refuse it by name all the same.
        let app = state
            .signing_app(&app_id)
            .await?
            .filter(|a| a.record.staff_of.is_none())
            .ok_or_else(ServiceError::unknown_application)?;
        let actor = Actor::Application { app_id: app.record.id.clone() };
        RequestContext::note_actor(parts, &actor);
        if signed.header.client_id != app.record.id {
            return Err(AuthError::ClientMismatch.into());
        }
        let admission = signed.verify(state, app.secret(), Some(app.record.id.clone()))?;
        Ok((AppAuth { app, actor }, admission))
    }
}

impl FromRequestParts<AppState> for AppAuth {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        admitted(parts, state).await
    }
}

async fn path_app(parts: &mut Parts, state: &AppState) -> Result<String, ServiceError> {
    let params =
        RawPathParams::from_request_parts(parts, state).await.map_err(|_| ServiceError::unknown_application())?;
    raw_param(&params, "app").ok_or_else(ServiceError::unknown_application)
}

fn rate_limit(state: &AppState, app_id: &str) -> Result<(), ServiceError> {
    state.rate_limit.check(app_id, state.now()).map_err(too_many)
}

fn too_many(retry_after: u64) -> ServiceError {
    ServiceError::TooManyRequests { retry_after }
}

/// The bearer token of a request, if it carries one (protocol 1 uses its own scheme): the one
/// reading of `Authorization: Bearer`, for staff, the operator and web phones alike.
pub(super) fn bearer(parts: &Parts) -> Option<&str> {
    let value = header(&parts.headers, &["authorization"])?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// Whoever may do `A` to the application in the path through the management routes: the
/// application itself (protocol 1, every permission) or a signed-in staff member (a bearer
/// token, what their role allows). The action is the route's declaration ([`Action`]): what it
/// needs, and what the audit log calls it.
#[derive(Debug)]
pub(super) struct Manager<A> {
    pub actor: Actor,
    /// A staff member's token, for requests that outlive their start (the event stream).
    pub bearer: Option<String>,
    action: PhantomData<fn() -> A>,
}

impl<A: Action> Admitted for Manager<A> {
    async fn unadmitted(parts: &mut Parts, state: &AppState) -> Result<(Self, Admission), ServiceError> {
        // Noted first, so a refused request by a known caller is audited with its refusal.
        RequestContext::note_action::<A>(parts);
        let Some(token) = bearer(parts).map(str::to_owned) else {
            let (AppAuth { actor, .. }, admission) = AppAuth::unadmitted(parts, state).await?;
            return Ok((Manager { actor, bearer: None, action: PhantomData }, admission));
        };
        let app_id = path_app(parts, state).await?;
        let (actor, _) = state.staff_by_token(&token).await?;
        if actor.app_id() != app_id {
            return Err(ServiceError::wrong_application());
        }
        RequestContext::note_actor(parts, &actor);
        if !actor.may(A::NEEDS) {
            return Err(ServiceError::RoleRequired { role: crate::domain::staff::least_role(A::NEEDS) });
        }
        // A bearer token has no nonce: its rate limit, counted now, is all there is to admit.
        rate_limit(state, &app_id)?;
        Ok((Manager { actor, bearer: Some(token), action: PhantomData }, Admission { admit: None, limited: None }))
    }
}

impl<A: Action> FromRequestParts<AppState> for Manager<A> {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        admitted(parts, state).await
    }
}

/// A signed-in staff member's own requests (who am I, sign out): any role.
#[derive(Debug)]
pub(super) struct StaffBearer {
    pub token: String,
    pub record: crate::store::StaffTokenRecord,
}

impl FromRequestParts<AppState> for StaffBearer {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        let token = bearer(parts).ok_or(AuthError::MissingHeader)?.to_owned();
        let (actor, record) = state.staff_by_token(&token).await?;
        RequestContext::note_actor(parts, &actor);
        Ok(StaffBearer { token, record })
    }
}

/// A request signed with a session's token and secret, for that session (`{token}`).
#[derive(Debug)]
pub(super) struct SessionAuthed {
    pub session_id: String,
}

impl Admitted for SessionAuthed {
    async fn unadmitted(parts: &mut Parts, state: &AppState) -> Result<(Self, Admission), ServiceError> {
        let params =
            RawPathParams::from_request_parts(parts, state).await.map_err(|_| ServiceError::unknown_session())?;
        let token = raw_param(&params, "token").ok_or_else(ServiceError::unknown_session)?;
        let signed = read_protocol1(state, parts)?;
        if signed.header.client_id != token {
            return Err(AuthError::ClientMismatch.into());
        }
        let session = state.store.session_auth(&token).await?.ok_or_else(ServiceError::unknown_session)?;
        let secret = state.sealer.open(&session_secret_context(&session.token), &session.secret_sealed)?;
        let admission = signed.verify(state, &secret, None)?;
        Ok((SessionAuthed { session_id: session.id }, admission))
    }
}

impl FromRequestParts<AppState> for SessionAuthed {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        admitted(parts, state).await
    }
}

/// A request signed by a bound phone; carries the verified body.
#[derive(Debug)]
pub(super) struct Device(pub DeviceCall);

impl FromRequest<AppState> for Device {
    type Rejection = ServiceError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ServiceError> {
        let (parts, body) = req.into_parts();
        let (_, pq) = target(&parts);
        let authorization = header(&parts.headers, &["authorization"]).map(str::to_owned);
        let method = parts.method.as_str().to_owned();
        let bytes = super::extract::read_body(Request::from_parts(parts, body), state).await?;
        let call = state.authenticate_device(authorization.as_deref(), &method, &pq, bytes).await?;
        Ok(Device(call))
    }
}

/// The operator's bearer token, checked in constant time against its configured hash.
#[derive(Debug)]
pub(super) struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ServiceError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ServiceError> {
        let Some(expected) = state.config.admin_token_sha256 else {
            return Err(ServiceError::Forbidden {
                code: "operator_api_disabled",
                reason: "the operator API is disabled; start the server with --admin-token-file".into(),
            });
        };
        let given = bearer(parts).ok_or(AuthError::MissingHeader)?;
        let hash: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        if bool::from(hash.ct_eq(&expected)) { Ok(Operator) } else { Err(AuthError::BadSignature.into()) }
    }
}
