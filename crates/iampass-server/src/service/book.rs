//! The team book: what the console routes check before the store keeps sealed entries and
//! wrapped keys. The server reads none of them; it checks shapes and sizes, versions and the key's
//! generation, and records who wrote what and when.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iampass_proto::wire::*;

use crate::clock::rfc3339;
use crate::domain::actor::Actor;
use crate::domain::{Invalid, user_id};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{BookEntryRow, BookError, BookRefusal, DeskRow, KeyRotation, SealedWrite};

/// Largest sealed entry: the book's fields at their longest (notes: 2,000 characters) are about
/// 9 KiB of UTF-8 before sealing.
pub const MAX_SEALED_BYTES: usize = 16 * 1024;
/// Most writes in one call (a CSV import, a rotation of the whole book).
pub const MAX_WRITES: usize = 100_000;
/// A book route's body may be this large: a rotation carries every entry of the book.
pub const BOOK_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Most entries a page of `GET book` returns.
const PAGE_LIMIT: u32 = 5_000;
/// A wrapped book key: HPKE's encapsulated key (32 bytes), a 32-byte key and the AEAD's tag,
/// with room to spare for the desk's own framing.
const MAX_WRAPPED_BYTES: usize = 512;
const MAX_DESK_NAME_CHARS: usize = 100;

impl From<BookError> for ServiceError {
    fn from(e: BookError) -> Self {
        match e {
            BookError::Store(e) => e.into(),
            BookError::Refused(r) => {
                let code = match &r {
                    BookRefusal::StaleVersion { .. } => "stale_version",
                    BookRefusal::StaleGeneration { .. } => "stale_key",
                    BookRefusal::Incomplete => "incomplete_rotation",
                    BookRefusal::DeskApproved => "desk_approved",
                    BookRefusal::UnknownEntry => return ServiceError::not_found("unknown_entry", r.to_string()),
                    BookRefusal::UnknownDesk => return ServiceError::not_found("unknown_desk", r.to_string()),
                };
                ServiceError::Conflict { code, reason: r.to_string() }
            }
        }
    }
}

fn bytes(field: &str, b64: &str, max: usize) -> Result<Vec<u8>, Invalid> {
    let raw = URL_SAFE_NO_PAD
        .decode(b64.trim())
        .map_err(|_| Invalid::new("invalid_encoding", format!("{field} is not unpadded base64url")))?;
    if raw.is_empty() || raw.len() > max {
        return Err(Invalid::new("invalid_size", format!("{field} must be 1 to {max} bytes (it is {})", raw.len())));
    }
    Ok(raw)
}

fn generation(g: u32) -> i64 {
    i64::from(g)
}

fn version(v: u64) -> Result<i64, Invalid> {
    i64::try_from(v).map_err(|_| Invalid::new("invalid_version", "the version is out of range"))
}

/// Checks a call's writes: valid user ids, each named once, sealed bytes within bounds.
fn sealed_writes(writes: &[BookWrite]) -> Result<Vec<SealedWrite>, Invalid> {
    if writes.is_empty() || writes.len() > MAX_WRITES {
        return Err(Invalid::new("invalid_size", format!("a call writes 1 to {MAX_WRITES} entries")));
    }
    let mut seen = std::collections::HashSet::with_capacity(writes.len());
    writes
        .iter()
        .map(|w| {
            user_id::validate(&w.user_id)?;
            if !seen.insert(w.user_id.as_str()) {
                return Err(Invalid::new("duplicate_entry", "a call names each user once"));
            }
            Ok(SealedWrite {
                user_id: w.user_id.clone(),
                replaces: version(w.replaces)?,
                sealed: bytes("sealed", &w.sealed, MAX_SEALED_BYTES)?,
            })
        })
        .collect()
}

fn desk_summary(d: &DeskRow) -> DeskSummary {
    DeskSummary {
        desk_id: d.id.clone(),
        name: d.name.clone(),
        public_key: URL_SAFE_NO_PAD.encode(&d.public_key),
        state: if d.wrapped.is_some() { DeskState::Approved } else { DeskState::Pending },
        requested_by: d.requested_by.clone(),
        requested_at: rfc3339(d.requested_at),
        approved_by: d.approved_by.clone(),
        approved_at: d.approved_at.map(rfc3339),
    }
}

fn unknown_desk() -> ServiceError {
    ServiceError::not_found("unknown_desk", "this application has no desk with this id")
}

fn entries(rows: &[BookEntryRow]) -> Vec<BookEntry> {
    rows.iter().map(BookEntryRow::to_wire).collect()
}

impl AppState {
    pub async fn book_page(&self, actor: &Actor, q: &BookQuery) -> Result<BookPage, ServiceError> {
        let limit = q.limit.unwrap_or(PAGE_LIMIT).clamp(1, PAGE_LIMIT);
        let since = i64::try_from(q.since).map_err(|_| Invalid::new("invalid_query", "since is out of range"))?;
        let app = actor.app_id();
        let generation = self.store.book_generation(app).await?;
        // One more than asked tells whether the page is the last.
        let mut rows = self.store.book_entries(app, since, limit + 1).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        Ok(BookPage { generation: u32::try_from(generation).unwrap_or(0), entries: entries(&rows), more })
    }

    pub async fn book_entry(&self, actor: &Actor, user: &str) -> Result<BookEntry, ServiceError> {
        let row = self.store.book_entry(actor.app_id(), user).await?;
        row.map(|r| r.to_wire()).ok_or_else(|| ServiceError::not_found("unknown_entry", "the book has no such entry"))
    }

    pub async fn write_book(&self, actor: &Actor, req: &BookWrites) -> Result<BookWritten, ServiceError> {
        let writes = sealed_writes(&req.entries)?;
        let rows =
            self.store.write_book(actor.app_id(), generation(req.generation), writes, actor.id(), self.now()).await?;
        Ok(BookWritten { status: true, entries: entries(&rows) })
    }

    pub async fn remove_book_entry(&self, actor: &Actor, user: &str, at: u64) -> Result<StatusReply, ServiceError> {
        let policy = self.config.policy();
        self.store.remove_book_entry(actor.app_id(), user, version(at)?, actor.id(), self.now(), policy).await?;
        Ok(StatusReply { status: true, reason: None })
    }

    pub async fn request_desk(&self, actor: &Actor, req: &DeskRequest) -> Result<DeskSummary, ServiceError> {
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > MAX_DESK_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(Invalid::new(
                "invalid_name",
                format!("a desk's name is 1 to {MAX_DESK_NAME_CHARS} characters, without control characters"),
            )
            .into());
        }
        let public_key = bytes("public_key", &req.public_key, 32)?;
        if public_key.len() != 32 {
            return Err(Invalid::new("invalid_size", "public_key is an X25519 key: 32 bytes").into());
        }
        let desk = DeskRow {
            id: hex::encode(rand::random::<[u8; 16]>()),
            app_id: actor.app_id().to_owned(),
            name: name.to_owned(),
            public_key,
            requested_by: actor.name().unwrap_or("the application").to_owned(),
            requested_at: self.now(),
            approved_by: None,
            approved_at: None,
            generation: None,
            wrapped: None,
        };
        Ok(desk_summary(&self.store.request_desk(desk).await?))
    }

    pub async fn desks(&self, actor: &Actor) -> Result<Vec<DeskSummary>, ServiceError> {
        Ok(self.store.desks(actor.app_id()).await?.iter().map(desk_summary).collect())
    }

    /// A desk's wrapped key, if it holds the current one: useless to anyone without the desk's
    /// private key, so any reader of the book may fetch it.
    pub async fn desk_key(&self, actor: &Actor, desk_id: &str) -> Result<DeskKey, ServiceError> {
        let app = actor.app_id();
        let desk = self.store.desk(app, desk_id).await?.ok_or_else(unknown_desk)?;
        let current = self.store.book_generation(app).await?;
        let wrapped =
            desk.wrapped.as_ref().filter(|_| desk.generation == Some(current)).map(|w| URL_SAFE_NO_PAD.encode(w));
        Ok(DeskKey { desk: desk_summary(&desk), generation: u32::try_from(current).unwrap_or(0), wrapped })
    }

    pub async fn approve_desk(
        &self,
        actor: &Actor,
        desk_id: &str,
        req: &DeskApproval,
    ) -> Result<DeskSummary, ServiceError> {
        let wrapped = bytes("wrapped", &req.wrapped, MAX_WRAPPED_BYTES)?;
        let approver = actor.name().unwrap_or("the application");
        let row = self
            .store
            .approve_desk(actor.app_id(), desk_id, generation(req.generation), wrapped, approver, self.now())
            .await?;
        Ok(desk_summary(&row))
    }

    pub async fn refuse_desk(&self, actor: &Actor, desk_id: &str) -> Result<StatusReply, ServiceError> {
        self.store.refuse_desk(actor.app_id(), desk_id, self.now()).await?;
        Ok(StatusReply { status: true, reason: None })
    }

    pub async fn rotate_book(&self, actor: &Actor, req: &BookRotation) -> Result<StatusReply, ServiceError> {
        if req.wrapped.is_empty() {
            return Err(Invalid::new("invalid_size", "a rotation wraps the new key for at least one desk").into());
        }
        let wrapped = req
            .wrapped
            .iter()
            .map(|w| Ok((w.desk_id.clone(), bytes("wrapped", &w.wrapped, MAX_WRAPPED_BYTES)?)))
            .collect::<Result<Vec<_>, Invalid>>()?;
        let writes = if req.entries.is_empty() { Vec::new() } else { sealed_writes(&req.entries)? };
        self.store
            .rotate_book(KeyRotation {
                app_id: actor.app_id().to_owned(),
                generation: generation(req.generation),
                wrapped,
                entries: writes,
                writer: actor.id().to_owned(),
                approver: actor.name().unwrap_or("the application").to_owned(),
                at: self.now(),
            })
            .await?;
        Ok(StatusReply { status: true, reason: None })
    }
}
