//! Bodies of the console extensions of the Management API (ours): listings, remote logout, events.

use serde::{Deserialize, Serialize};

use super::{Method, SessionStatus};

/// What kind of authenticator a phone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AuthenticatorKind {
    /// The reference phone's Ed25519 key (`iampass-device`).
    App,
    /// The web phone: a passkey in the phone's browser.
    Passkey,
}

/// A user's phone, as listings show it (public facts only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceSummary {
    pub device_id: String,
    pub name: String,
    pub platform: String,
    pub bound_at: String,
    pub nearby: bool,
    pub last_seen_at: Option<String>,
    #[serde(default = "app_kind")]
    pub kind: AuthenticatorKind,
    /// For a passkey: whether it is synced to the owner's other devices (its backup state).
    #[serde(default)]
    pub synced: Option<bool>,
}

fn app_kind() -> AuthenticatorKind {
    AuthenticatorKind::App
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Passkey => "passkey",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::App, Self::Passkey].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub user_id: String,
    pub created_at: String,
    pub device_registered: bool,
    pub device: Option<DeviceSummary>,
    /// When the user's live registration link expires, if one is out.
    pub registration_link_expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    pub status: bool,
    pub users: Vec<UserSummary>,
    pub next_cursor: Option<String>,
}

/// A session as the console and the phone see it. Never carries the session secret or token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionSummary {
    pub session_id: String,
    pub user_id: String,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub methods: Vec<Method>,
    pub satisfied_methods: Vec<Method>,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub created_at: String,
    pub authenticated_at: Option<String>,
    pub expires_at: Option<String>,
    pub updated_at: String,
    /// A login, a caller verification, or a staff sign-in.
    #[serde(default)]
    pub purpose: super::RequestPurpose,
    /// The address the login was requested from, as the server saw it.
    #[serde(default)]
    pub requested_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsPage {
    pub status: bool,
    pub sessions: Vec<SessionSummary>,
    pub next_cursor: Option<String>,
}

/// How many sessions of the application are in each status (every status is present).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCounts {
    pub status: bool,
    pub counts: std::collections::BTreeMap<SessionStatus, u64>,
}

/// One management action in the server's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub at: String,
    /// Who acted: `application` (signed with the application's credentials) or `staff`.
    #[serde(default = "application_actor")]
    pub actor: String,
    /// The acting staff member's or application's id.
    #[serde(default)]
    pub actor_id: Option<String>,
    /// The acting staff member's name (`None` for an application).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// What was done: the route's name (`add_users`, `lost_user_mobile_device`, ...).
    pub action: String,
    /// The user or session it was done to, when the route names one.
    pub subject: Option<String>,
    /// The caller's network address.
    pub source: Option<String>,
    /// The HTTP status the action got.
    pub status: u16,
    /// The reason the actor gave (clearing a push cap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Records from servers that did not name the actor were all made by the application.
fn application_actor() -> String {
    "application".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub status: bool,
    pub records: Vec<AuditRecord>,
    pub next_cursor: Option<String>,
}

/// Answer of the log-out endpoints: how many sessions this call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutReply {
    pub status: bool,
    pub closed: u32,
}

/// What changed about a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserChange {
    Added,
    Deleted,
    LinkIssued,
    DeviceBound,
    DeviceDisabled,
    PresenceChanged,
    /// Logins for the user are refused by the push cap (raised once per cap window).
    PushCapped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEvent {
    pub user_id: String,
    pub change: UserChange,
    pub device_id: Option<String>,
    pub reason: Option<String>,
}

/// One change on the event stream. `id` orders them and is the SSE event id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: u64,
    pub at: String,
    #[serde(flatten)]
    pub data: EventData,
}

/// The body of one outgoing webhook delivery: an event and its application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub application_id: String,
    #[serde(flatten)]
    pub event: Event,
}

/// One change. Most are session changes, so boxing the larger variant would cost an allocation
/// on the common path to save stack space on the rare one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)]
pub enum EventData {
    Session(SessionSummary),
    User(UserEvent),
    /// A team book entry written or removed (sealed: the server cannot read it).
    Book(super::BookEntry),
    Desk(super::DeskEvent),
    /// A recovery asked, approved, refused or used, and the holds and alerts it raised.
    Recovery(super::RecoveryEvent),
}

impl EventData {
    /// Whether an integrating application's webhook receives it: the team book's changes are
    /// the consoles' own business.
    pub fn for_integrations(&self) -> bool {
        matches!(self, EventData::Session(_) | EventData::User(_))
    }

    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::Session(_) => "session",
            EventData::User(_) => "user",
            EventData::Book(_) => "book",
            EventData::Desk(_) => "desk",
            EventData::Recovery(_) => "recovery",
        }
    }
}
