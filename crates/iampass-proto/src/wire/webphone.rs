//! Bodies of the web phone's API (`/phone/api/...`, ours), documented in docs/PROTOCOL.md. The
//! WebAuthn options and credentials are the JSON that WebAuthn's own JSON forms define
//! (base64url for binary fields); the server reads them with `webauthn-rs`.

use serde::{Deserialize, Serialize};

use super::RegistrationInfo;

/// Whether this server can make passkeys, and where: a browser makes them only on the relying
/// party's origin, and never for an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PasskeySupport {
    pub available: bool,
    /// The origin the web phone must be opened on (when available).
    pub origin: Option<String>,
    /// Why web phones cannot enroll here (when not available), in words for the person.
    pub reason: Option<String>,
}

/// What the registration page shows before the passkey is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EnrollInfo {
    pub link: RegistrationInfo,
    pub passkeys: PasskeySupport,
}

/// A WebAuthn ceremony started by the server: the options for the browser, and a sealed ticket
/// the browser hands back with its answer (the server keeps no per-ceremony state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Ceremony {
    /// `{"publicKey": PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON}`.
    pub options: serde_json::Value,
    pub ticket: String,
}

/// The browser's answer to a [`Ceremony`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CeremonyAnswer {
    pub ticket: String,
    /// `RegistrationResponseJSON` or `AuthenticationResponseJSON`.
    pub credential: serde_json::Value,
}

/// This phone as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PhoneInfo {
    pub device_id: String,
    pub application_name: String,
    pub user_id: String,
    /// Whether the passkey is synced to the person's other devices (its backup state).
    pub synced: Option<bool>,
}

/// A web phone signed in: the bearer token for its reads and answers (approvals still need the
/// passkey each time), and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PhoneSignedIn {
    pub phone_token: String,
    pub phone: PhoneInfo,
}

/// Asks for the challenge to approve one login, with the code typed from the login screen when
/// the application uses number matching.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ApprovalStart {
    #[serde(default)]
    pub code: Option<String>,
}

/// Refuses one login; `fraud` reports it as not the user's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Refusal {
    #[serde(default)]
    pub fraud: bool,
}

/// The server's VAPID public key (RFC 8292): the `applicationServerKey` a browser subscribes with,
/// as an uncompressed P-256 point in base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PushKey {
    pub vapid_public_key: String,
}

/// Whether this phone has a push subscription on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PushState {
    pub subscribed: bool,
}

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PushSubscriptionJson {
    pub endpoint: String,
    pub keys: PushSubscriptionKeys,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PushSubscriptionKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The 16-byte authentication secret, base64url.
    pub auth: String,
}

/// What a push message to the web phone carries (encrypted end to end; RFC 8291).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LoginPush {
    pub session_id: String,
    pub application_name: String,
    pub user_id: String,
    pub answer_by: String,
    #[serde(default)]
    pub purpose: super::RequestPurpose,
}
