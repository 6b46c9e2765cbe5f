//! What the store hands out and takes in: plain domain records, the same for every backend.

use iampass_proto::wire::{Method, RequestPurpose, SessionStatus, SessionSummary};

use crate::clock::{Millis, rfc3339};
use crate::domain::actor::Actor;
use crate::domain::device::{DeviceEnd, DeviceKind};
use crate::domain::link::{LinkRefusal, LinkState};
use crate::domain::session::{self, Facts};
use iampass_proto::wire::StaffRole;

// Applications.

#[derive(Clone)]
pub struct AppRecord {
    pub id: String,
    pub name: String,
    pub secret_sealed: Vec<u8>,
    pub created_at: Millis,
    pub secret_rotated_at: Millis,
    /// Logins must be confirmed on the phone with the code the login screen shows.
    pub number_matching: bool,
    /// For an application's staff realm (where staff phones live): the application it serves.
    pub staff_of: Option<String>,
    /// A console sign-in's absolute lifetime, and its end after this long without a request.
    pub staff_token_secs: u64,
    pub staff_idle_secs: u64,
}

impl std::fmt::Debug for AppRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRecord").field("id", &self.id).field("name", &self.name).finish_non_exhaustive()
    }
}

// Users.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub row: i64,
    pub app_id: String,
    pub external_id: String,
    pub created_at: Millis,
}

// Devices (phones).

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: String,
    pub kind: DeviceKind,
    /// What the device's kind checks its signatures with (for `App`, the Ed25519 public key).
    pub credential: Vec<u8>,
    pub name: String,
    pub platform: String,
    pub bound_from: Option<String>,
    pub user_agent: Option<String>,
    /// Whether the credential is synced to the owner's other devices, for kinds that can be.
    pub synced: Option<bool>,
}

/// A device and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub user: UserRow,
    pub user_deleted: bool,
    pub app_name: String,
    pub kind: DeviceKind,
    pub credential: Vec<u8>,
    pub name: String,
    pub nearby: bool,
    pub ended: Option<DeviceEnd>,
    /// For a passkey: whether it is synced to the owner's other devices.
    pub synced: Option<bool>,
}

impl DeviceRecord {
    pub fn is_active(&self) -> bool {
        self.ended.is_none() && !self.user_deleted
    }
}

// Registration links.

/// What a link token resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    pub state: LinkState,
    pub expires_at: Millis,
    pub display_name: Option<String>,
    pub user: UserRow,
    pub user_deleted: bool,
    pub app_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindOutcome {
    Bound { user: UserRow, app_name: String, display_name: Option<String> },
    Unknown,
    Refused(LinkRefusal),
}

// Login sessions.

/// A session as stored, with its user's id and device's name joined in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub seq: i64,
    pub id: String,
    pub app_id: String,
    pub user_row: i64,
    pub user_id: String,
    pub device_id: Option<String>,
    pub device_name: Option<String>,
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub methods: Vec<Method>,
    pub satisfied: Vec<Method>,
    pub duration_ms: Millis,
    pub created_at: Millis,
    pub authenticated_at: Option<Millis>,
    pub walkaway_since: Option<Millis>,
    pub updated_at: Millis,
    /// The number-matching code the phone must send back, if the application requires one.
    pub code: Option<String>,
    pub origin: RequestOrigin,
    pub purpose: RequestPurpose,
    /// For a verification: the staff member verifying; for a recovery's approval, the one asking.
    pub verifier: Option<String>,
    /// For a recovery's approval: what the approver's phone shows.
    pub recovery: Option<iampass_proto::wire::RecoveryAsk>,
}

/// What signing with a session's token needs.
#[derive(Clone)]
pub struct SessionAuth {
    pub id: String,
    pub token: String,
    pub secret_sealed: Vec<u8>,
}

impl std::fmt::Debug for SessionAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionAuth").field("id", &self.id).finish_non_exhaustive()
    }
}

/// What the server saw of the request that started a login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone)]
pub struct NewSession {
    pub id: String,
    pub token: String,
    pub secret_sealed: Vec<u8>,
    pub user: UserRow,
    pub device_id: String,
    pub methods: Vec<Method>,
    pub duration_ms: Millis,
    /// The number-matching code, when the application requires one.
    pub code: Option<String>,
    pub origin: RequestOrigin,
    pub purpose: RequestPurpose,
    pub verifier: Option<String>,
    pub recovery: Option<iampass_proto::wire::RecoveryAsk>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SessionRow {
    pub fn facts(&self) -> Facts {
        Facts {
            status: self.status,
            methods: self.methods.clone(),
            created_at: self.created_at,
            duration_ms: self.duration_ms,
            authenticated_at: self.authenticated_at,
            walkaway_since: self.walkaway_since,
        }
    }

    pub fn summary(&self) -> SessionSummary {
        SessionSummary {
            session_id: self.id.clone(),
            user_id: self.user_id.clone(),
            status: self.status,
            reason: self.reason.clone(),
            methods: self.methods.clone(),
            satisfied_methods: self.satisfied.clone(),
            device_id: self.device_id.clone(),
            device_name: self.device_name.clone(),
            created_at: rfc3339(self.created_at),
            authenticated_at: self.authenticated_at.map(rfc3339),
            expires_at: session::expires_at(&self.facts()).map(rfc3339),
            updated_at: rfc3339(self.updated_at),
            purpose: self.purpose,
            requested_from: self.origin.address.clone(),
        }
    }
}

// The audit log.

/// One action to record.
#[derive(Debug, Clone)]
pub struct NewAuditRecord {
    pub app_id: String,
    pub actor: Actor,
    pub at: Millis,
    pub action: String,
    pub subject: Option<String>,
    pub source: Option<String>,
    pub status: u16,
    /// The reason the actor gave, for actions that take one.
    pub detail: Option<String>,
}

/// A browser's Web Push subscription (RFC 8030 endpoint, RFC 8291 keys).
#[derive(Clone, PartialEq, Eq)]
pub struct PushSubscription {
    pub endpoint: String,
    /// The browser's P-256 public key (65 bytes, uncompressed).
    pub p256dh: Vec<u8>,
    /// The 16-byte authentication secret.
    pub auth: Vec<u8>,
}

impl std::fmt::Debug for PushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The endpoint is a capability (anyone holding it can push to the phone).
        f.debug_struct("PushSubscription").finish_non_exhaustive()
    }
}

// Staff accounts.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub role: StaffRole,
    pub created_at: Millis,
}

/// A staff member as the admin's list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffListed {
    pub staff: StaffRecord,
    pub phone: Option<DeviceKind>,
    pub signed_in: u32,
}

/// A sign-in in progress; without a staff member or session when the name was unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRecord {
    pub app_id: String,
    pub staff_id: Option<String>,
    pub session_id: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
    pub token_issued: bool,
}

/// What a staff bearer token resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffTokenRecord {
    pub staff: StaffRecord,
    pub app_name: String,
    pub session_id: String,
    /// Whether the sign-in session is still live (not logged out on the phone, not expired).
    pub session_live: bool,
    pub expires_at: Millis,
    pub last_used_at: Millis,
    pub idle_ms: Millis,
}

/// A token to store once its sign-in is approved (only its hash: the token itself is never stored).
#[derive(Debug, Clone)]
pub struct NewStaffToken {
    pub hash: Vec<u8>,
    pub staff_id: String,
    pub session_id: String,
    pub created_at: Millis,
    pub expires_at: Millis,
}

// The team book.

/// One entry of a team book, as stored: bytes the server cannot open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookEntryRow {
    pub user_id: String,
    pub version: i64,
    pub generation: i64,
    /// `None` once the employee was removed.
    pub sealed: Option<Vec<u8>>,
    pub writer: String,
    pub written_at: Millis,
    pub revision: i64,
}

/// A sealed entry to write over `replaces` (0: there is none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedWrite {
    pub user_id: String,
    pub replaces: i64,
    pub sealed: Vec<u8>,
}

/// A new generation of a book's key, with everything sealed under it.
#[derive(Debug, Clone)]
pub struct KeyRotation {
    pub app_id: String,
    pub generation: i64,
    /// The new key wrapped for each desk that keeps the book, by desk id.
    pub wrapped: Vec<(String, Vec<u8>)>,
    pub entries: Vec<SealedWrite>,
    /// Who rotates: the id the entries record, the name the desks record as their approver.
    pub writer: String,
    pub approver: String,
    pub at: Millis,
}

/// A console installation and, once approved, the book key wrapped to its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskRow {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub public_key: Vec<u8>,
    pub requested_by: String,
    pub requested_at: Millis,
    pub approved_by: Option<String>,
    pub approved_at: Option<Millis>,
    pub generation: Option<i64>,
    pub wrapped: Option<Vec<u8>>,
}

/// Why the store refused a book change; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookRefusal {
    #[error("the entry for {user_id} is at version {current}, not {replaces}: another desk wrote it first")]
    StaleVersion { user_id: String, replaces: i64, current: i64 },
    #[error("the book key is at generation {current}, not {given}: this desk's key is out of date")]
    StaleGeneration { given: i64, current: i64 },
    #[error("the rotation does not re-seal every entry of the book at its current version")]
    Incomplete,
    #[error("no such entry")]
    UnknownEntry,
    #[error("no such desk")]
    UnknownDesk,
    #[error("the desk already holds the key; remove it by rotating the key")]
    DeskApproved,
}

/// A book change's failure: refused (rolled back), or the store's own.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Refused(#[from] BookRefusal),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

impl BookEntryRow {
    /// The entry as the console routes and the event stream carry it.
    pub fn to_wire(&self) -> iampass_proto::wire::BookEntry {
        use base64::Engine as _;
        iampass_proto::wire::BookEntry {
            user_id: self.user_id.clone(),
            version: u64::try_from(self.version).unwrap_or(0),
            generation: u32::try_from(self.generation).unwrap_or(0),
            sealed: self.sealed.as_ref().map(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)),
            writer: self.writer.clone(),
            written_at: rfc3339(self.written_at),
            revision: u64::try_from(self.revision).unwrap_or(0),
        }
    }
}

/// A recovery: a staff member's request to move an employee to a new phone, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRow {
    pub id: String,
    pub app_id: String,
    pub user: UserRow,
    /// The asking staff member's id and name.
    pub requested_by: String,
    pub requested_by_name: String,
    pub requested_at: Millis,
    pub reason: String,
    pub check: iampass_proto::wire::RecoveryCheck,
    pub evidence: RecoveryEvidenceRow,
    pub approved_at: Option<Millis>,
    pub state: iampass_proto::wire::RecoveryState,
    pub link_issued_at: Option<Millis>,
}

/// What a recovery rests on, as stored: the verification's session, or the approver and the
/// session of the push to their phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecoveryEvidenceRow {
    Verification { session_id: String },
    SecondStaff { approver_id: String, approver_name: String, session_id: String },
}

impl RecoveryEvidenceRow {
    pub fn kind(&self) -> &'static str {
        match self {
            RecoveryEvidenceRow::Verification { .. } => "verification",
            RecoveryEvidenceRow::SecondStaff { .. } => "second_staff",
        }
    }

    pub fn session_id(&self) -> &str {
        match self {
            RecoveryEvidenceRow::Verification { session_id } | RecoveryEvidenceRow::SecondStaff { session_id, .. } => {
                session_id
            }
        }
    }
}

/// Why the store refused a recovery change; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryRefusal {
    #[error("that verification already backed a recovery")]
    EvidenceUsed,
    #[error("the recovery is no longer approved")]
    NotApproved,
    #[error("the employee's recoveries are on hold")]
    Held,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(transparent)]
    Refused(#[from] RecoveryRefusal),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}
