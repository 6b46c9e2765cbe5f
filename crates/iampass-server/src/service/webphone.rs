//! The web phone's side: enrolling a passkey at a registration link, finding the phone again from
//! an installed app, and answering logins with a passkey assertion.
//!
//! Every WebAuthn ceremony's state travels sealed (XChaCha20-Poly1305 under the server's key) in a
//! ticket the browser hands back, bound to what it is for (the link, or the device and the login)
//! and with an expiry inside, so any node can finish what another started and nothing is kept
//! per challenge. A ticket is spent once (the replay cache); an approval's is also spent by the
//! login leaving `pending`.
//!
//! Reads and refusals (list requests and sessions, deny, report fraud, log out) need only the
//! phone's bearer token; an approval needs a fresh assertion with user verification every time.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iampass_proto::wire::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use crate::clock::Millis;
use crate::crypto;
use crate::domain::Invalid;
use crate::domain::device::DeviceKind;
use crate::domain::session::Trigger;
use crate::error::ServiceError;
use crate::service::BindRequest;
use crate::service::authenticators::passkey::{self, RelyingParty};
use crate::service::authenticators::{Enrollment, passkeys_unavailable};
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{DeviceRecord, RequestOrigin};

/// How long a phone stays signed in without using its passkey; past it, the app asks for the
/// passkey again (a discoverable sign-in).
const PHONE_TOKEN_LIFETIME_MS: Millis = 30 * 24 * 3600 * 1000;
/// How long a person has to answer the passkey prompt when enrolling or signing in.
const CEREMONY_MS: Millis = 5 * 60 * 1000;
/// What the phone's token is sealed for (its own context: no ticket opens as a token).
const PHONE_TOKEN: &str = "phone-token";

#[derive(serde::Serialize, serde::Deserialize)]
struct Sealed<S> {
    state: S,
    expires_at: Millis,
}

fn bad_ticket() -> ServiceError {
    ServiceError::Forbidden {
        code: "invalid_ticket",
        reason: "this answer does not belong to a challenge this server issued for it; start again".into(),
    }
}

fn expired_ticket() -> ServiceError {
    ServiceError::Gone {
        code: "challenge_expired",
        reason: "the passkey prompt was answered too late; start again".into(),
    }
}

fn parse<T: DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T, ServiceError> {
    serde_json::from_value(value)
        .map_err(|e| Invalid::new("invalid_credential", format!("the {what} is not valid WebAuthn JSON: {e}")).into())
}

fn options<T: Serialize>(options: &T, ticket: String) -> Result<Ceremony, ServiceError> {
    let options =
        serde_json::to_value(options).map_err(|e| ServiceError::Internal(format!("cannot write options: {e}")))?;
    Ok(Ceremony { options, ticket })
}

/// A short platform name from the browser's user agent, to tell phones apart in the console.
fn platform(user_agent: Option<&str>) -> String {
    let ua = user_agent.unwrap_or_default();
    let name = if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Android") {
        "Android"
    } else {
        "Web"
    };
    name.to_owned()
}

impl AppState {
    fn rp(&self) -> Result<&RelyingParty, ServiceError> {
        self.relying_party.as_ref().map_err(passkeys_unavailable)
    }

    /// Seals `state` for `bound_to` with its expiry: a ticket, or the phone's token.
    fn seal_ticket<S: Serialize>(&self, bound_to: &str, state: S, expires_at: Millis) -> Result<String, ServiceError> {
        let json = serde_json::to_string(&Sealed { state, expires_at })
            .map_err(|e| ServiceError::Internal(format!("cannot seal a ticket: {e}")))?;
        Ok(URL_SAFE_NO_PAD.encode(self.sealer.seal(bound_to, &json)))
    }

    /// What `seal_ticket` sealed for `bound_to`, or `None` for anything else.
    fn open_ticket<S: DeserializeOwned>(&self, bound_to: &str, ticket: &str) -> Option<Sealed<S>> {
        let sealed = URL_SAFE_NO_PAD.decode(ticket.trim()).ok()?;
        let json = self.sealer.open(bound_to, &sealed).ok()?;
        serde_json::from_str(&json).ok()
    }

    /// Opens a ticket sealed for `bound_to`, refusing one that has expired or was spent.
    async fn spend_ticket<S: DeserializeOwned>(&self, bound_to: &str, ticket: &str) -> Result<S, ServiceError> {
        let Sealed { state, expires_at } = self.open_ticket(bound_to, ticket).ok_or_else(bad_ticket)?;
        let now = self.now();
        if now >= expires_at {
            return Err(expired_ticket());
        }
        self.store
            .spend_nonce(
                "webauthn-ticket",
                &hex::encode(Sha256::digest(ticket.as_bytes())),
                now / 1000,
                expires_at / 1000 + 1,
            )
            .await?;
        Ok(state)
    }

    /// The phone's token: its device id sealed with an expiry (not spent: it is used many times).
    fn signed_in(&self, device: &DeviceRecord) -> Result<PhoneSignedIn, ServiceError> {
        let phone_token = self.seal_ticket(PHONE_TOKEN, &device.id, self.now() + PHONE_TOKEN_LIFETIME_MS)?;
        Ok(PhoneSignedIn { phone_token, phone: Self::phone_info(device) })
    }

    /// The active web phone a bearer token names.
    pub async fn authenticate_phone(&self, bearer: Option<&str>) -> Result<DeviceRecord, ServiceError> {
        let unauthorized = |reason: &str| ServiceError::Forbidden { code: "phone_signed_out", reason: reason.into() };
        let bearer = bearer.ok_or_else(|| unauthorized("this phone is not signed in; open it with its passkey"))?;
        let Sealed { state: device_id, expires_at } = self
            .open_ticket::<String>(PHONE_TOKEN, bearer)
            .ok_or_else(|| unauthorized("this phone's sign-in is not valid; open it with its passkey"))?;
        if self.now() >= expires_at {
            return Err(unauthorized("this phone's sign-in has expired; open it with its passkey"));
        }
        self.web_phone(&device_id).await
    }

    /// The device `id` if it is an active web phone.
    async fn web_phone(&self, id: &str) -> Result<DeviceRecord, ServiceError> {
        match self.store.device(id).await? {
            Some(device) if device.kind == DeviceKind::Passkey && device.is_active() => Ok(device),
            _ => Err(ServiceError::device_disabled()),
        }
    }

    /// Stores a passkey an assertion moved on (its counter or backup state).
    async fn keep(&self, device: &DeviceRecord, updated: Option<passkey::Updated>) -> Result<(), ServiceError> {
        if let Some(u) = updated {
            self.store.update_credential(&device.id, u.credential, Some(u.synced), self.now()).await?;
        }
        Ok(())
    }

    pub fn phone_info(device: &DeviceRecord) -> PhoneInfo {
        PhoneInfo {
            device_id: device.id.clone(),
            application_name: device.app_name.clone(),
            user_id: device.user.external_id.clone(),
            synced: device.synced,
        }
    }

    pub async fn enroll_info(&self, token: &str) -> Result<EnrollInfo, ServiceError> {
        let link = self.registration_info(token).await?;
        let passkeys = match &self.relying_party {
            Ok(rp) => PasskeySupport { available: true, origin: Some(rp.origin().to_owned()), reason: None },
            Err(why) => PasskeySupport { available: false, origin: None, reason: Some(why.to_string()) },
        };
        Ok(EnrollInfo { link, passkeys })
    }

    /// Starts making a passkey at a usable link. The device id is chosen now: it is the
    /// passkey's user handle.
    pub async fn start_passkey_enrollment(&self, token: &str) -> Result<Ceremony, ServiceError> {
        let rp = self.rp()?;
        let info = self.registration_info(token).await?;
        let device_id = crypto::new_hex_id();
        let display = info.display_name.clone().unwrap_or_else(|| info.user_id.clone());
        let user_name = format!("{} · {}", info.user_id, info.application_name);
        let (creation, state) = passkey::start_registration(rp, &device_id, &user_name, &display)?;
        let expires_at = (self.now() + CEREMONY_MS).min(self.now() + info.expires_in_seconds as Millis * 1000);
        let ticket = self.seal_ticket(&enroll_binding(token), (device_id, state), expires_at)?;
        options(&creation, ticket)
    }

    /// Finishes the passkey and binds it as the user's device (the link is used up), then signs
    /// the phone in.
    pub async fn finish_passkey_enrollment(
        &self,
        token: &str,
        answer: CeremonyAnswer,
        origin: RequestOrigin,
    ) -> Result<PhoneSignedIn, ServiceError> {
        let credential: RegisterPublicKeyCredential = parse(answer.credential, "new passkey")?;
        let (device_id, state) = self.spend_ticket(&enroll_binding(token), &answer.ticket).await?;
        let registration =
            passkey::Registration { device_id, state, credential, platform: platform(origin.user_agent.as_deref()) };
        let bound =
            self.bind_device(token, BindRequest { enrollment: Enrollment::Passkey(registration), origin }).await?;
        self.signed_in(&self.web_phone(&bound.device_id).await?)
    }

    /// A challenge any of this site's passkeys may answer: how an installed app (which shares
    /// no storage with the browser tab that enrolled) finds its phone.
    pub fn start_phone_sign_in(&self) -> Result<Ceremony, ServiceError> {
        let (request, state) = passkey::start_discovery(self.rp()?)?;
        let ticket = self.seal_ticket("sign-in", state, self.now() + CEREMONY_MS)?;
        options(&request, ticket)
    }

    pub async fn finish_phone_sign_in(&self, answer: CeremonyAnswer) -> Result<PhoneSignedIn, ServiceError> {
        let rp = self.rp()?;
        let assertion: PublicKeyCredential = parse(answer.credential, "passkey answer")?;
        let device = self.web_phone(&passkey::discovered_device(rp, &assertion)?).await?;
        let state = self.spend_ticket("sign-in", &answer.ticket).await?;
        self.keep(&device, passkey::finish_discovery(rp, &device.credential, &assertion, state)?).await?;
        self.signed_in(&device)
    }

    /// The challenge to approve one pending login. With number matching the typed code is checked
    /// first, under the usual rule (a wrong code fails the login), and the challenge is issued only
    /// for the right one; it expires with the login.
    pub async fn start_approval(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        start: ApprovalStart,
    ) -> Result<Ceremony, ServiceError> {
        let rp = self.rp()?;
        let session = self.waiting_session(device, session_id).await?;
        if !Self::code_matches(&session, start.code.as_deref()) {
            self.transition(session_id, Trigger::WrongCode).await?;
            return Err(ServiceError::Forbidden {
                code: "wrong_code",
                reason: "the code does not match the one on the login screen; this login has failed, start it again"
                    .into(),
            });
        }
        let (request, state) = passkey::start_assertion(rp, &device.credential)?;
        let expires_at = session.created_at + self.config.policy().request_timeout_ms;
        let ticket = self.seal_ticket(&approval_binding(device, session_id), state, expires_at)?;
        options(&request, ticket)
    }

    /// Approves a login with a verified assertion over the challenge issued for it. The platform's
    /// user verification stands in for the requested methods, so they are all satisfied.
    pub async fn finish_approval(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        answer: CeremonyAnswer,
    ) -> Result<SessionReply, ServiceError> {
        let rp = self.rp()?;
        let assertion: PublicKeyCredential = parse(answer.credential, "passkey answer")?;
        let session = self.waiting_session(device, session_id).await?;
        let state = self.spend_ticket(&approval_binding(device, session_id), &answer.ticket).await?;
        self.keep(device, passkey::finish_assertion(rp, &device.credential, &assertion, &state)?).await?;
        self.settle(device, session_id, Trigger::Approve { satisfied: session.methods }).await
    }

    pub async fn refuse_request(
        &self,
        device: &DeviceRecord,
        session_id: &str,
        refusal: Refusal,
    ) -> Result<SessionReply, ServiceError> {
        self.waiting_session(device, session_id).await?;
        self.settle(device, session_id, Trigger::Deny { fraud: refusal.fraud }).await
    }

    /// The login `session_id` if it is waiting for this device's answer.
    async fn waiting_session(
        &self,
        device: &DeviceRecord,
        session_id: &str,
    ) -> Result<crate::store::SessionRow, ServiceError> {
        let session = self.phone_session(device, session_id, true).await?;
        if !matches!(session.status, SessionStatus::Pending | SessionStatus::Identifying) {
            return Err(ServiceError::Conflict {
                code: "session_state",
                reason: format!("this login is no longer waiting for an answer (it is {})", session.status.as_str()),
            });
        }
        Ok(session)
    }
}

fn enroll_binding(token: &str) -> String {
    format!("enroll:{}", hex::encode(crypto::hash_token(token)))
}

fn approval_binding(device: &DeviceRecord, session_id: &str) -> String {
    format!("approve:{}:{session_id}", device.id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn platform_is_read_from_the_user_agent() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15";
        assert_eq!(super::platform(Some(iphone)), "iOS");
        assert_eq!(super::platform(Some("Mozilla/5.0 (Linux; Android 15; Pixel 9)")), "Android");
        assert_eq!(super::platform(None), "Web");
    }
}
