//! Bodies of the team book's routes (`/console/v1/{app}/book`, `/desks`, ours). The server keeps
//! and relays the book's entries sealed by the desks: it stores bytes it cannot open, the version
//! each replaces, who wrote it and when. Bytes travel as unpadded base64url.

use serde::{Deserialize, Serialize};

/// One sealed entry as the server keeps it. `sealed` is `None` once the employee was removed
/// (kept so that a desk that was offline learns of the removal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookEntry {
    pub user_id: String,
    /// Moves on with every write of this entry; a write names the version it replaces.
    pub version: u64,
    /// The book key's generation the entry is sealed under.
    pub generation: u32,
    pub sealed: Option<String>,
    /// The staff member (or application) that wrote this version.
    pub writer: String,
    pub written_at: String,
    /// The book's change counter when this version was written: a desk catches up from its last.
    pub revision: u64,
}

/// `GET /console/v1/{app}/book?since=N`: the entries changed after revision `since`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookPage {
    /// The book key's current generation (0: the book has no key yet).
    pub generation: u32,
    pub entries: Vec<BookEntry>,
    /// Whether more entries follow the last one here.
    pub more: bool,
}

/// Query of `GET /console/v1/{app}/book`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookQuery {
    #[serde(default)]
    pub since: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// One write: the sealed entry for `user_id`, replacing `replaces` (0 for a new entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookWrite {
    pub user_id: String,
    pub replaces: u64,
    pub sealed: String,
}

/// `PUT /console/v1/{app}/book`: writes, all or none, under the key's `generation`. A write of a
/// new entry whose user the server does not know adds the user (a help-desk member adds employees
/// this way). A stale version or generation refuses the whole call with 409.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookWrites {
    pub generation: u32,
    pub entries: Vec<BookWrite>,
}

/// The versions the writes were given, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookWritten {
    pub status: bool,
    pub entries: Vec<BookEntry>,
}

/// `DELETE /console/v1/{app}/book/{user}?version=N`: the entry and the IAMPASS user go together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRemove {
    pub version: u64,
}

/// Where a desk is in getting the book key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum DeskState {
    /// Asked for the key; an admin's desk has not wrapped it yet.
    Pending,
    /// Holds the current key.
    Approved,
}

/// A desk (one console installation) as the server knows it: a name and a public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeskSummary {
    pub desk_id: String,
    pub name: String,
    /// The desk's X25519 public key, base64url.
    pub public_key: String,
    pub state: DeskState,
    pub requested_by: String,
    pub requested_at: String,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
}

/// `POST /console/v1/{app}/desks`: a desk asks for the book key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskRequest {
    pub name: String,
    pub public_key: String,
}

/// `GET /console/v1/{app}/desks/{desk}`: the desk, and its wrapped book key once approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskKey {
    pub desk: DeskSummary,
    /// The book key's current generation.
    pub generation: u32,
    /// The key of `generation`, wrapped (HPKE) to the desk's public key; `None` until approved.
    pub wrapped: Option<String>,
}

/// The book key wrapped for one desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrappedKey {
    pub desk_id: String,
    pub wrapped: String,
}

/// `POST /console/v1/{app}/desks/{desk}/approve`: the current key, wrapped for the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskApproval {
    pub generation: u32,
    pub wrapped: String,
}

/// `POST /console/v1/{app}/book/rotate`: a new key generation, all at once. The key is wrapped
/// for every desk that keeps it (the desks named become approved; the others lose the book,
/// `remove` among them), and every live entry is sealed again under it, each replacing its
/// current version. The first key of a book is a rotation from generation 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRotation {
    pub generation: u32,
    pub wrapped: Vec<WrappedKey>,
    pub entries: Vec<BookWrite>,
}

/// What changed on the team book, on the event stream: an entry (sealed), or a desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeskChange {
    Requested,
    Approved,
    Removed,
    /// The book key moved to a new generation.
    Rotated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskEvent {
    pub desk_id: String,
    pub change: DeskChange,
    pub generation: u32,
}
