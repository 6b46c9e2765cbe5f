//! The reference phone's side: reading and binding a registration link, then signed calls to
//! fetch login requests (long-poll), answer them, report presence, list and end its sessions.

use std::time::Duration;

use bytes::Bytes;
use iampass_proto::AuthError;
use iampass_proto::device_v1;
use iampass_proto::hmac_v1::check_timestamp;
use iampass_proto::wire::*;

use crate::clock::rfc3339;
use crate::crypto;
use crate::domain::Invalid;
use crate::domain::link::{self, LinkRefusal};
use crate::domain::session::{EndedBy, Trigger};
use crate::error::ServiceError;
use crate::service::authenticators::{self, Enrollment};
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{BindOutcome, DeviceRecord, NewDevice, RequestOrigin, SessionRow};
use subtle::ConstantTimeEq as _;

const SESSIONS_SHOWN_TO_PHONE: u32 = 50;
/// Long-polls one phone may hold open at once (one, plus one overlapping a reconnect).
const MAX_POLLS_PER_DEVICE: usize = 2;

/// An authenticated phone call: who called, and the body it signed.
#[derive(Debug)]
pub struct DeviceCall {
    pub device: DeviceRecord,
    /// Kept as raw bytes: the signature covers them exactly.
    pub body: Bytes,
}

impl DeviceCall {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ServiceError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Invalid::new("malformed_json", format!("the request body is not valid JSON for this call: {e}")).into()
        })
    }
}

/// A binding request with where it came from (recorded with the device).
#[derive(Debug)]
pub struct BindRequest {
    pub enrollment: Enrollment,
    pub origin: RequestOrigin,
}

fn link_gone(refusal: LinkRefusal) -> ServiceError {
    let (code, reason) = match refusal {
        LinkRefusal::AlreadyUsed => ("link_used", "this registration link has already been used; ask for a new one"),
        LinkRefusal::Revoked => ("link_revoked", "this registration link was replaced by a newer one; use the newest"),
        LinkRefusal::Expired => ("link_expired", "this registration link has expired; ask for a new one"),
    };
    ServiceError::Gone { code, reason: reason.into() }
}

fn unknown_link() -> ServiceError {
    ServiceError::not_found("unknown_link", "no registration link has this token")
}

impl AppState {
    pub async fn registration_info(&self, token: &str) -> Result<RegistrationInfo, ServiceError> {
        let link = self.store.link_info(crypto::hash_token(token)).await?.ok_or_else(unknown_link)?;
        let now = self.now();
        link::usable(link.state, link.expires_at, link.user_deleted, now).map_err(link_gone)?;
        Ok(RegistrationInfo {
            application_name: link.app_name,
            user_id: link.user.external_id,
            display_name: link.display_name,
            expires_at: rfc3339(link.expires_at),
            expires_in_seconds: u64::try_from((link.expires_at - now) / 1000).unwrap_or(0),
        })
    }

    pub async fn bind_device(&self, token: &str, req: BindRequest) -> Result<RegisterDeviceResponse, ServiceError> {
        let enrolled = authenticators::enroll(token, self.relying_party.as_ref(), &req.enrollment)?;
        let device = NewDevice {
            id: enrolled.id,
            kind: enrolled.kind,
            credential: enrolled.credential,
            name: enrolled.name,
            platform: enrolled.platform,
            bound_from: req.origin.address,
            user_agent: req.origin.user_agent,
            synced: enrolled.synced,
        };
        let device_id = device.id.clone();
        match self.store.bind_device(crypto::hash_token(token), device, self.now(), self.config.policy()).await? {
            BindOutcome::Bound { user, app_name, display_name } => Ok(RegisterDeviceResponse {
                device_id,
                application_id: user.app_id,
                application_name: app_name,
                user_id: user.external_id,
                display_name,
            }),
            BindOutcome::Unknown => Err(unknown_link()),
            BindOutcome::Refused(refusal) => Err(link_gone(refusal)),
        }
    }

    /// Checks a device-signed request: the header, the window, the device, the signature, and
    /// that the nonce is fresh (checked last, so only genuine requests use up cache space).
    pub async fn authenticate_device(
        &self,
        authorization: Option<&str>,
        method: &str,
        target: &str,
        body: Bytes,
    ) -> Result<DeviceCall, ServiceError> {
        let auth = device_v1::parse(authorization.ok_or(AuthError::MissingHeader)?)?;
        let window = i64::try_from(self.config.timestamp_window_secs).unwrap_or(i64::MAX);
        check_timestamp(auth.timestamp, self.clock.now_secs(), window)?;
        let device = self.store.device(&auth.device_id).await?.ok_or(AuthError::UnknownClient)?;
        authenticators::verify_request(&device, &auth, method, target, &body)?;
        if !device.is_active() {
            return Err(ServiceError::device_disabled());
        }
        self.store
            .spend_nonce(
                &format!("device:{}", device.id),
                &auth.nonce,
                self.clock.now_secs(),
                auth.timestamp.saturating_add(window),
            )
            .await?;
        Ok(DeviceCall { device, body })
    }

    /// Login requests waiting for this phone. Waits up to `wait` seconds (capped) for one to
    /// arrive and returns the instant it does. A phone that already shows some (`known`, their
    /// session ids) waits instead for the waiting set to differ from those, so an app that keeps
    /// one poll open learns of a second login at once without asking in a loop.
    pub async fn pending_requests(
        &self,
        device: &DeviceRecord,
        wait_secs: u64,
        known: Option<&[String]>,
    ) -> Result<PendingRequests, ServiceError> {
        let wait = Duration::from_secs(wait_secs.min(self.config.long_poll_max_secs));
        let deadline = tokio::time::Instant::now() + wait;
        self.store.touch_device(&device.id, self.now()).await?;
        let hub = self.store.hub().clone();
        let waiter = hub.device_waiter(&device.id);
        // The hub's map holds one reference, each open poll another.
        if std::sync::Arc::strong_count(&waiter) > MAX_POLLS_PER_DEVICE + 1 {
            hub.release_device_waiter(&device.id, waiter);
            return Err(ServiceError::TooManyRequests { retry_after: 1 });
        }
        let result = async {
            loop {
                let notified = waiter.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let rows = self.store.fetch_requests(&device.id, self.now(), self.config.policy()).await?;
                let news = match known {
                    None => !rows.is_empty(),
                    Some(known) => rows.len() != known.len() || rows.iter().any(|r| !known.contains(&r.id)),
                };
                if news || tokio::time::Instant::now() >= deadline {
                    return Ok::<_, ServiceError>(rows);
                }
                // On timeout, loop once more: a last fetch, then the deadline check returns. A
                // shutting-down server answers at once, so the shutdown does not wait on phones.
                let mut shutdown = self.shutdown.clone();
                let woken = tokio::select! {
                    woken = tokio::time::timeout_at(deadline, notified) => woken.is_ok(),
                    _ = shutdown.wait_for(|stop| *stop) => return Ok(Vec::new()),
                };
                // Woken without a request: the phone may just have been disabled.
                if woken && !self.store.device(&device.id).await?.is_some_and(|d| d.is_active()) {
                    return Err(ServiceError::device_disabled());
                }
            }
        }
        .await;
        hub.release_device_waiter(&device.id, waiter);
        let policy = self.config.policy();
        let requests = result?
            .into_iter()
            .map(|r| LoginRequest {
                answer_by: rfc3339(r.created_at + policy.request_timeout_ms),
                session_id: r.id,
                application_name: device.app_name.clone(),
                user_id: r.user_id,
                code_required: r.code.is_some(),
                requested_from: r.origin.address,
                requested_by: r.origin.user_agent,
                purpose: r.purpose,
                verifier: r.verifier,
                recovery: r.recovery,
                methods: r.methods,
                created_at: rfc3339(r.created_at),
            })
            .collect();
        Ok(PendingRequests { requests })
    }

    /// The phone's own session (its device's for answering, its user's for logout), or 404.
    pub(super) async fn phone_session(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        answering: bool,
    ) -> Result<SessionRow, ServiceError> {
        let s = self.store.session(session_id).await?.ok_or_else(ServiceError::unknown_session)?;
        let mine =
            if answering { s.device_id.as_deref() == Some(device.id.as_str()) } else { s.user_row == device.user.row };
        if mine { Ok(s) } else { Err(ServiceError::unknown_session()) }
    }

    /// Number matching: whether `given` is the login screen's code (always, without one).
    pub(super) fn code_matches(session: &SessionRow, given: Option<&str>) -> bool {
        match &session.code {
            None => true,
            Some(expected) => given.is_some_and(|g| bool::from(g.trim().as_bytes().ct_eq(expected.as_bytes()))),
        }
    }

    pub async fn answer_request(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        answer: AnswerRequest,
    ) -> Result<SessionReply, ServiceError> {
        let session = self.phone_session(device, session_id, true).await?;
        // An approval without the login screen's code fails the login.
        let code_ok = Self::code_matches(&session, answer.code.as_deref());
        let trigger = match answer.decision {
            Decision::Approve if answer.fraud => {
                return Err(Invalid::new("invalid_answer", "an approval cannot also report fraud").into());
            }
            Decision::Approve if !code_ok => Trigger::WrongCode,
            Decision::Approve => Trigger::Approve { satisfied: answer.methods },
            Decision::Deny => Trigger::Deny { fraud: answer.fraud },
        };
        self.settle(device, session_id, trigger).await
    }

    /// Applies a phone's answer; approving shows the phone is with its user.
    pub(super) async fn settle(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        trigger: Trigger,
    ) -> Result<SessionReply, ServiceError> {
        let row = self.transition(session_id, trigger).await?;
        if row.status == SessionStatus::Active && !device.nearby {
            self.store.set_presence(device, true, self.now(), self.config.policy()).await?;
        }
        Ok(SessionReply { session: row.summary() })
    }

    pub async fn report_presence(&self, device: &DeviceRecord, nearby: bool) -> Result<PresenceReply, ServiceError> {
        let changed = self.store.set_presence(device, nearby, self.now(), self.config.policy()).await?;
        Ok(PresenceReply { nearby, changed })
    }

    pub async fn phone_sessions(&self, device: &DeviceRecord) -> Result<DeviceSessions, ServiceError> {
        let rows = self.store.user_sessions(device.user.row, SESSIONS_SHOWN_TO_PHONE).await?;
        Ok(DeviceSessions { sessions: rows.iter().map(|r| r.summary()).collect() })
    }

    pub async fn phone_logout(&self, device: &DeviceRecord, session_id: &str) -> Result<SessionReply, ServiceError> {
        self.phone_session(device, session_id, false).await?;
        let row = self.transition(session_id, Trigger::End(EndedBy::Phone)).await?;
        Ok(SessionReply { session: row.summary() })
    }

    pub async fn forget_device(&self, device: &DeviceRecord) -> Result<StatusReply, ServiceError> {
        self.store.remove_device(device, self.now(), self.config.policy()).await?;
        Ok(StatusReply { status: true, reason: None })
    }
}
