//! The published Authentication API: start a push login, read its status, log it out.

use iampass_proto::wire::*;
use zeroize::Zeroizing;

use crate::config::secs_to_ms;
use crate::crypto;
use crate::domain::Invalid;
use crate::domain::session::{EndedBy, Trigger};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{NewSession, RequestOrigin, SessionRow};

/// Methods when the caller names none ("IAMPASS will choose"): a confirmation on the phone.
const DEFAULT_METHODS: [Method; 1] = [Method::Acceptance];

pub fn session_secret_context(token: &str) -> String {
    format!("session-secret:{token}")
}

/// What a push asks of the phone, whoever it goes to.
#[derive(Debug, Clone)]
pub struct Ask {
    pub methods: Vec<Method>,
    pub duration_secs: u64,
    pub origin: RequestOrigin,
    pub purpose: RequestPurpose,
    /// For a verification: who verifies; for a recovery's approval, who asks.
    pub verifier: Option<String>,
    /// For a recovery's approval: what the approver is asked.
    pub recovery: Option<RecoveryAsk>,
}

impl Ask {
    /// A login to the application, as the Authentication API starts one.
    pub fn login(methods: Vec<Method>, duration_secs: u64, origin: RequestOrigin) -> Self {
        Self { methods, duration_secs, origin, purpose: RequestPurpose::Login, verifier: None, recovery: None }
    }
}

/// A login that went out to a phone, with what its starter gets once.
pub(crate) struct Pushed {
    pub row: SessionRow,
    pub token: String,
    pub secret: Zeroizing<String>,
    pub code: Option<String>,
}

/// Whether the login started (202) or not (200), and the published answer.
#[derive(Debug)]
pub struct LoginStarted {
    pub started: bool,
    pub response: AuthenticateResponse,
}

fn not_started(reason: &str) -> LoginStarted {
    LoginStarted {
        started: false,
        response: AuthenticateResponse {
            authentication_status: AuthenticationStatus {
                authenticated: false,
                session_status: SessionStatus::Failed,
                reason: Some(reason.to_owned()),
                status_url: None,
                logout_url: None,
                session_token: None,
                session_secret: None,
                session_id: None,
                verification_code: None,
            },
        },
    }
}

impl AppState {
    /// Parses `methods=` and `duration_seconds=` as the official client sends them.
    pub fn login_options(&self, methods: Option<&str>, duration: Option<&str>) -> Result<(Vec<Method>, u64), Invalid> {
        let methods = match methods {
            None => DEFAULT_METHODS.to_vec(),
            Some(m) => Method::parse_list(m).map_err(|bad| {
                Invalid::new("invalid_methods", format!("unknown method {bad:?}; use acceptance, device or facial"))
            })?,
        };
        let methods = if methods.is_empty() { DEFAULT_METHODS.to_vec() } else { methods };
        let max = self.config.max_session_duration_secs;
        let duration = match duration {
            None => self.config.session_duration_secs,
            Some(d) => d.trim().parse::<u64>().ok().filter(|d| (1..=max).contains(d)).ok_or_else(|| {
                Invalid::new("invalid_duration", format!("duration_seconds must be a whole number from 1 to {max}"))
            })?,
        };
        Ok((methods, duration))
    }

    pub async fn authenticate_user(
        &self,
        app: &crate::store::AppRecord,
        user: &str,
        ask: Ask,
    ) -> Result<LoginStarted, ServiceError> {
        let (user, device) = self.require_user_with_device(&app.id, user).await?;
        let Some(device_id) = device else {
            return Ok(not_started("no_device"));
        };
        let code = app.number_matching.then(crypto::new_match_code);
        let pushed = match self.push_login_to(app, user, device_id, ask, code).await? {
            Ok(pushed) => pushed,
            Err(reason) => return Ok(not_started(reason)),
        };
        let token = pushed.token;
        Ok(LoginStarted {
            started: true,
            response: AuthenticateResponse {
                authentication_status: AuthenticationStatus {
                    authenticated: true,
                    session_status: pushed.row.status,
                    reason: None,
                    status_url: Some(self.url(&format!("/authentication/session_status/{token}"))),
                    logout_url: Some(self.url(&format!("/authentication/logout/{token}"))),
                    session_token: Some(token),
                    session_secret: Some(pushed.secret.to_string()),
                    session_id: Some(pushed.row.id),
                    verification_code: pushed.code,
                },
            },
        })
    }

    /// Creates a login for the user's phone and pushes it, unless the push cap holds it back
    /// (then the inner `Err` is the reason). Logins, caller verifications and staff sign-ins all
    /// start here, so all count toward the cap.
    pub(crate) async fn push_login_to(
        &self,
        app: &crate::store::AppRecord,
        user: crate::store::UserRow,
        device_id: String,
        ask: Ask,
        code: Option<String>,
    ) -> Result<Result<Pushed, &'static str>, ServiceError> {
        // Push fatigue: a user flooded with prompts may approve one just to make them stop. A
        // storm of caller verifications is the same attack through the help desk, so they have a
        // count of their own under the same cap (and are held back by the logins' count too).
        if self.config.push_cap > 0 {
            let window = self.config.push_cap_window_secs;
            let since = self.now() - secs_to_ms(window);
            let unanswered = self.store.unanswered_pushes(user.row, since).await?;
            let capped = if unanswered >= self.config.push_cap {
                Some(("too_many_pushes", format!("{unanswered} pushes unanswered or refused within {window} s")))
            } else if ask.purpose == RequestPurpose::Verification {
                let verifications = self.store.verification_pushes(user.row, since).await?;
                (verifications >= self.config.push_cap).then(|| {
                    ("too_many_verifications", format!("{verifications} caller verifications pushed within {window} s"))
                })
            } else {
                None
            };
            if let Some((code, reason)) = capped {
                self.store.note_push_capped(&user, self.now(), since, reason).await?;
                return Ok(Err(code));
            }
        }
        let token = crypto::new_hex_id();
        let secret = Zeroizing::new(crypto::new_secret());
        let new = NewSession {
            id: crypto::new_hex_id(),
            secret_sealed: self.sealer.seal(&session_secret_context(&token), &secret),
            token: token.clone(),
            user,
            device_id,
            methods: ask.methods,
            duration_ms: secs_to_ms(ask.duration_secs),
            code: code.clone(),
            origin: ask.origin,
            purpose: ask.purpose,
            verifier: ask.verifier,
            recovery: ask.recovery,
        };
        let row = self.store.create_session(new, self.now(), self.config.policy()).await?;
        let answer_by = row.created_at + self.config.policy().request_timeout_ms;
        if let Some(device_id) = &row.device_id {
            let message = LoginPush {
                session_id: row.id.clone(),
                application_name: app.name.clone(),
                user_id: row.user_id.clone(),
                answer_by: crate::clock::rfc3339(answer_by),
                purpose: row.purpose,
            };
            self.push_login(device_id, message, answer_by);
        }
        Ok(Ok(Pushed { row, token, secret, code }))
    }

    /// Applies any deadline that is due before answering, so a status is exact to the moment.
    pub async fn session_status(&self, session_id: &str) -> Result<SessionStatusResponse, ServiceError> {
        let row = self.transition(session_id, Trigger::Tick).await?;
        Ok(SessionStatusResponse::new(SessionState {
            authenticated: row.status.is_live(),
            session_status: row.status,
            reason: row.reason,
        }))
    }

    pub async fn logout_session_by_app(&self, session_id: &str) -> Result<StatusReply, ServiceError> {
        self.transition(session_id, Trigger::End(EndedBy::Application)).await?;
        Ok(StatusReply { status: true, reason: None })
    }

    /// A session read for a poll, as it is now: written only when time has changed it (it timed
    /// out), so a console polling a push's answer does not take the write lock each time.
    pub(crate) async fn as_of_now(&self, read: SessionRow) -> Result<SessionRow, ServiceError> {
        let due = !matches!(
            crate::domain::session::apply(&read.facts(), &Trigger::Tick, self.now(), &self.config.policy()),
            Ok(None)
        );
        if due { self.transition(&read.id, Trigger::Tick).await } else { Ok(read) }
    }

    /// Runs one trigger on one session; a refusal becomes 409.
    pub(crate) async fn transition(&self, session_id: &str, trigger: Trigger) -> Result<SessionRow, ServiceError> {
        match self.store.transition(session_id, trigger, self.now(), self.config.policy()).await? {
            None => Err(ServiceError::unknown_session()),
            Some(Err(refused)) => Err(ServiceError::Conflict { code: "session_state", reason: refused.to_string() }),
            Some(Ok(row)) => Ok(row),
        }
    }
}
