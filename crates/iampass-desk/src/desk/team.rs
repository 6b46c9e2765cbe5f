//! The team book on this desk: its key pair, getting the book key (an admin's desk wraps it for
//! this one after comparing fingerprints), keeping the local copy in step with the server, and,
//! for admins, approving and removing desks. The server relays only sealed entries and wrapped
//! keys (`team/`); the local book is this desk's copy of the team book, read and searched offline.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iampass_proto::client::ClientError;
use iampass_proto::roles::Permission;
use iampass_proto::wire::{
    BookEntry, BookRotation, BookWrite, BookWrites, DeskApproval, DeskChange, DeskRequest, DeskState, DeskSummary,
    EventData, WrappedKey,
};
use serde::Serialize;
use ts_rs::TS;

use super::{Desk, Remote};
use crate::book::{AppliedEntry, Employee, EnrollmentState, NewEmployee};
use crate::error::{DeskError, DeskResult};
use crate::secrets::SecretBackend;
use crate::team::seal::{BookKey, DeskKeys, desk_fingerprint};
use crate::team::{Sealed, open_entry, seal_entry};

/// The secret store's name for this desk's private key.
const DESK_KEY: &str = "desk-x25519";
/// Entries asked for per page while catching up.
const PAGE: u32 = 5_000;

fn book_key_name(app_id: &str) -> String {
    format!("book-key-{app_id}")
}

fn setting(app_id: &str, what: &str) -> String {
    format!("team.{app_id}.{what}")
}

/// Where this desk is with the team book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TeamState {
    /// Not connected, or nobody signed in: the desk shows its local copy.
    Offline,
    /// Asked for the book key; an admin's desk must approve it.
    Waiting,
    /// Holds the book key and follows the book.
    Ready,
}

/// What Settings and the banner show about the team book on this desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TeamStatus {
    pub state: TeamState,
    pub desk_name: String,
    /// This desk's key, in the words an admin compares on their desk before approving.
    pub desk_fingerprint: String,
    /// The book key's words: the same on every desk that holds the book.
    pub book_fingerprint: Option<String>,
    pub generation: u32,
    /// Where this desk's private key and the book key are kept: the keyring, or (flagged) a
    /// private file where no keyring runs.
    pub key_store: Option<SecretBackend>,
}

/// A desk as an admin's list shows it, with the fingerprint computed here from the key the
/// server gave: if it differs from the one that desk shows, the server swapped the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DeskListing {
    pub desk: DeskSummary,
    pub fingerprint: String,
    pub this_desk: bool,
}

/// What applying entries did: how many changed the copy, the tokens it added, the last revision met.
pub(super) struct Applied {
    changed: usize,
    added: Vec<String>,
    through: u64,
}

/// What a change to the book needs: who writes, with which client, under which key.
pub(super) struct Team {
    pub(super) client: Remote,
    pub(super) app_id: String,
    pub(super) key: BookKey,
    pub(super) by: String,
}

impl Team {
    pub(super) fn seal(&self, user_id: &str, version: u64, fields: &NewEmployee) -> DeskResult<String> {
        let content = Sealed { fields: fields.clone(), by: self.by.clone() };
        seal_entry(&self.key, &self.app_id, user_id, version, &content)
    }

    /// Writes sealed entries, mapping the server's refusals to what the desk says.
    pub(super) async fn write(&self, entries: Vec<BookWrite>) -> DeskResult<Vec<BookEntry>> {
        let writes = BookWrites { generation: self.key.generation, entries };
        let written = self.client.write_book(&writes).await.map_err(|e| self.refusal(e))?;
        Ok(written.entries)
    }

    pub(super) fn refusal(&self, e: ClientError) -> DeskError {
        match e.code() {
            Some("stale_key") => DeskError::StaleKey(self.key.generation + 1),
            _ => self.client.error(e),
        }
    }
}

impl Desk {
    /// This installation's key pair, made on first use, and where its private key is kept.
    fn desk_keys_kept(&self) -> DeskResult<(DeskKeys, SecretBackend)> {
        if let Some((hex_key, backend)) = self.secrets.load(DESK_KEY)? {
            let bytes = zeroize::Zeroizing::new(
                hex::decode(hex_key.as_str()).map_err(|_| DeskError::Storage("the desk's key is malformed".into()))?,
            );
            let keys = DeskKeys::from_private(&bytes).map_err(|e| DeskError::Storage(e.to_string()))?;
            return Ok((keys, backend));
        }
        let keys = DeskKeys::generate();
        let backend = self.secrets.save(DESK_KEY, &keys.private_hex())?;
        Ok((keys, backend))
    }

    fn desk_keys(&self) -> DeskResult<DeskKeys> {
        self.desk_keys_kept().map(|(keys, _)| keys)
    }

    fn stored_book_key(&self, app_id: &str) -> DeskResult<Option<BookKey>> {
        if let Some((app, key)) = self.book_key.lock().ok().and_then(|k| k.clone())
            && app == app_id
        {
            return Ok(Some(key));
        }
        let Some((stored, _)) = self.secrets.load(&book_key_name(app_id))? else { return Ok(None) };
        let malformed = || DeskError::Storage("the stored book key is malformed".into());
        let (generation, hex_key) = stored.split_once(':').ok_or_else(malformed)?;
        let bytes = zeroize::Zeroizing::new(hex::decode(hex_key).map_err(|_| malformed())?);
        let generation: u32 = generation.parse().map_err(|_| malformed())?;
        let key = BookKey::from_bytes(&bytes, generation).map_err(|_| malformed())?;
        self.remember_book_key(Some((app_id.to_owned(), key.clone())));
        Ok(Some(key))
    }

    fn remember_book_key(&self, key: Option<(String, BookKey)>) {
        if let Ok(mut slot) = self.book_key.lock() {
            *slot = key;
        }
    }

    fn keep_book_key(&self, app_id: &str, key: &BookKey) -> DeskResult<()> {
        let value = zeroize::Zeroizing::new(format!("{}:{}", key.generation, key.to_hex().as_str()));
        self.secrets.save(&book_key_name(app_id), &value)?;
        self.remember_book_key(Some((app_id.to_owned(), key.clone())));
        Ok(())
    }

    fn forget_book_key(&self, app_id: &str) -> DeskResult<()> {
        self.remember_book_key(None);
        self.secrets.delete(&book_key_name(app_id))
    }

    fn team_setting(&self, app_id: &str, what: &str) -> DeskResult<Option<String>> {
        self.book()?.setting(&setting(app_id, what))
    }

    fn set_team_setting(&self, app_id: &str, what: &str, value: &str) -> DeskResult<()> {
        self.book()?.set_setting(&setting(app_id, what), value)
    }

    /// The book's last revision this desk's copy holds: where a catch-up starts.
    fn seen_revision(&self, app_id: &str) -> DeskResult<u64> {
        Ok(self.team_setting(app_id, "revision")?.and_then(|r| r.parse().ok()).unwrap_or_default())
    }

    /// Notes that the copy holds the book up to `revision` (never moving back).
    fn saw_revision(&self, app_id: &str, revision: u64) -> DeskResult<()> {
        let seen = self.seen_revision(app_id)?.max(revision);
        self.set_team_setting(app_id, "revision", &seen.to_string())
    }

    /// After the stream (re)connects: what the book missed meanwhile. A desk that holds the key
    /// catches up from its revision; one without it, or whose key was replaced meanwhile, joins
    /// again (asks for, or takes, the key). Whether this desk now holds the book.
    pub(super) async fn catch_up(&self) -> bool {
        match self.sync_book().await {
            Ok(_) => true,
            Err(DeskError::NoBookKey(_) | DeskError::StaleKey(_)) => {
                self.join_team().await.is_ok_and(|s| s.state == TeamState::Ready)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the team book did not catch up");
                false
            }
        }
    }

    /// The name other desks see for this one.
    fn desk_name(&self) -> String {
        let host = std::fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "this computer".to_owned());
        format!("{} on {host}", self.options.operator)
    }

    /// Whether the connected caller may do what `permission` guards.
    pub(super) fn may(&self, permission: Permission) -> bool {
        match self.active() {
            Ok(a) => match (&a.client, &a.staff) {
                (Some(c), _) if !c.is_staff() => true,
                (Some(_), Some(me)) => iampass_proto::roles::allows(me.role, permission),
                _ => false,
            },
            Err(_) => false,
        }
    }

    /// The team book as a write needs it, or why this desk cannot write it now.
    pub(super) fn team(&self) -> DeskResult<Team> {
        let client = self.client()?;
        let app_id = client.application_id().to_owned();
        let key = self.stored_book_key(&app_id)?.ok_or_else(|| self.no_book_key())?;
        Ok(Team { client, app_id, key, by: self.operator() })
    }

    fn no_book_key(&self) -> DeskError {
        DeskError::NoBookKey(self.desk_keys().map(|k| k.fingerprint()).unwrap_or_else(|_| "unknown".into()))
    }

    pub fn team_status(&self) -> TeamStatus {
        let kept = self.desk_keys_kept().ok();
        let fingerprint = kept.as_ref().map(|(k, _)| k.fingerprint()).unwrap_or_default();
        let client = self.client().ok();
        let key = client.as_ref().and_then(|c| self.stored_book_key(c.application_id()).ok().flatten());
        let waiting = client.is_some();
        TeamStatus {
            state: match (&key, waiting) {
                (Some(_), _) => TeamState::Ready,
                (None, true) => TeamState::Waiting,
                (None, false) => TeamState::Offline,
            },
            desk_name: self.desk_name(),
            desk_fingerprint: fingerprint,
            book_fingerprint: key.as_ref().map(BookKey::fingerprint),
            generation: key.map_or(0, |k| k.generation),
            key_store: kept.map(|(_, backend)| backend),
        }
    }

    /// Gets this desk into the team book: asks for the key (once), takes it when an admin's desk
    /// has wrapped it, or, for an admin on a server whose book has no key yet, makes the key and
    /// puts this desk's existing book in it. Then catches up. Called after every connection and
    /// sign-in, and when the stream says a desk was approved or the key rotated.
    pub async fn join_team(&self) -> DeskResult<TeamStatus> {
        let result = self.join_team_inner().await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "the team book is not available on this desk");
        }
        result.map(|()| self.team_status())
    }

    async fn join_team_inner(&self) -> DeskResult<()> {
        let client = self.client()?;
        let app_id = client.application_id().to_owned();
        let keys = self.desk_keys()?;
        let desk_id = self.desk_id(&client, &keys).await?;
        let answer = match client.desk_key(&desk_id).await {
            // Removed (or refused) since: ask again, as a new desk an admin must approve.
            Err(e) if e.code() == Some("unknown_desk") => {
                self.book()?.remove_setting(&setting(&app_id, "desk_id"))?;
                let desk_id = self.desk_id(&client, &keys).await?;
                client.desk_key(&desk_id).await
            }
            other => other,
        }
        .map_err(|e| client.error(e))?;
        let desk_id = answer.desk.desk_id.clone();
        if let Some(wrapped) = &answer.wrapped {
            let wrapped = URL_SAFE_NO_PAD.decode(wrapped).map_err(|_| DeskError::Tampered("a wrapped key".into()))?;
            let key = keys
                .unwrap(&app_id, &desk_id, answer.generation, &wrapped)
                .map_err(|e| DeskError::Tampered(format!("the book key given to this desk: {e}")))?;
            self.keep_book_key(&app_id, &key)?;
        } else if answer.generation == 0 && self.may(Permission::ManageDesks) {
            let key = BookKey::generate(1);
            let wrapped =
                key.wrap(&app_id, &desk_id, &keys.public_bytes()).map_err(|e| DeskError::Storage(e.to_string()))?;
            let rotation = BookRotation {
                generation: 1,
                wrapped: vec![WrappedKey { desk_id: desk_id.clone(), wrapped: URL_SAFE_NO_PAD.encode(wrapped) }],
                entries: Vec::new(),
            };
            client.ask(client.rotate_book(&rotation)).await?;
            self.keep_book_key(&app_id, &key)?;
        } else {
            // Removed, or a new key it was not given: what this desk holds opens nothing new.
            if self.stored_book_key(&app_id)?.is_some_and(|k| k.generation < answer.generation) {
                self.forget_book_key(&app_id)?;
            }
            return Ok(());
        }
        self.sync_book().await?;
        if self.may(Permission::WriteBook) {
            self.upload_local_book().await?;
        }
        Ok(())
    }

    /// This desk's id on the server, asking for the book key the first time.
    async fn desk_id(&self, client: &Remote, keys: &DeskKeys) -> DeskResult<String> {
        let app_id = client.application_id();
        if let Some(id) = self.team_setting(app_id, "desk_id")? {
            return Ok(id);
        }
        let request = DeskRequest { name: self.desk_name(), public_key: URL_SAFE_NO_PAD.encode(keys.public_bytes()) };
        let desk = client.ask(client.request_desk_key(&request)).await?;
        self.set_team_setting(app_id, "desk_id", &desk.desk_id)?;
        Ok(desk.desk_id)
    }

    /// Catches the local copy up with the server from the last revision it saw; how many entries
    /// changed. Each page is written to the copy in one transaction. An entry this desk must not
    /// believe stops the catch-up there (what came before it is kept), so no later one is applied
    /// over a gap.
    pub async fn sync_book(&self) -> DeskResult<usize> {
        let team = self.team()?;
        let mut since = self.seen_revision(&team.app_id)?;
        let mut changed = 0;
        let mut added = Vec::new();
        loop {
            let page = team.client.book(since, Some(PAGE)).await.map_err(|e| team.refusal(e))?;
            let (applied, refused) = self.apply_entries(&team, &page.entries)?;
            changed += applied.changed;
            added.extend(applied.added);
            since = since.max(applied.through);
            self.saw_revision(&team.app_id, since)?;
            if let Some(e) = refused {
                self.learn_phones_of(&added).await;
                return Err(e);
            }
            if !page.more {
                break;
            }
        }
        self.learn_phones_of(&added).await;
        Ok(changed)
    }

    /// Opens entries from the server in order and writes those that open to the local copy in one
    /// transaction, stopping at the first this desk refuses (returned beside what was applied).
    pub(super) fn apply_entries(&self, team: &Team, entries: &[BookEntry]) -> DeskResult<(Applied, Option<DeskError>)> {
        let mut opened = Vec::with_capacity(entries.len());
        let mut refused = None;
        let mut through = 0;
        {
            let book = self.book()?;
            for entry in entries {
                let have = book.employee_by_token(&entry.user_id)?.map(|e| e.version);
                if have != Some(entry.version) {
                    match open_entry(&team.key, &team.app_id, entry, have) {
                        Ok(o) => opened.push(o),
                        Err(e) => {
                            refused = Some(e);
                            break;
                        }
                    }
                }
                through = through.max(entry.revision);
            }
        }
        let list: Vec<AppliedEntry<'_>> = opened
            .iter()
            .map(|o| AppliedEntry {
                token: &o.user_id,
                version: o.version,
                content: o.content.as_ref().map(|c| (&c.fields, c.by.as_str())),
            })
            .collect();
        let added = self.book()?.apply_entries(&list, self.now())?;
        Ok((Applied { changed: list.len(), added, through }, refused))
    }

    /// What the stream says of employees' phones, wherever it happened (another desk's enrollment,
    /// a phone reported lost there): this desk's copy shows the same state. How many changed.
    pub(super) async fn apply_phone_events(&self, events: &[iampass_proto::wire::Event]) -> usize {
        use iampass_proto::wire::UserChange;
        let mut bound = Vec::new();
        let mut changed = 0;
        for event in events {
            let EventData::User(u) = &event.data else { continue };
            // (the state it moves from, the state it moves to): a link for someone not enrolled, a
            // phone of someone enrolled stopped. The desk that did it wrote the same already, with
            // the link's expiry; a link after a lost phone keeps showing "lost".
            let (from, to) = match u.change {
                UserChange::DeviceBound => {
                    bound.push(u.user_id.clone());
                    continue;
                }
                UserChange::LinkIssued => (EnrollmentState::NotEnrolled, EnrollmentState::LinkIssued),
                UserChange::DeviceDisabled => (EnrollmentState::Enrolled, EnrollmentState::Lost),
                _ => continue,
            };
            let now = self.now();
            let result = self.book().and_then(|mut b| match b.employee_by_token(&u.user_id)? {
                Some(e) if e.state == from => b.set_enrollment(e.id, to, None, now).map(|_| 1),
                _ => Ok(0),
            });
            changed += result.unwrap_or(0);
        }
        // Only employees of this copy: the stream also tells of users the book does not hold.
        if let Ok(book) = self.book() {
            bound.retain(|t| book.employee_by_token(t).ok().flatten().is_some());
        }
        changed + self.learn_phones_of(&bound).await
    }

    /// Applies the book's changes carried by a batch of events; how many changed the local copy.
    /// A desk change concerning this desk (approved, a new key) fetches the key again.
    pub(super) async fn apply_book_events(&self, events: &[iampass_proto::wire::Event]) -> usize {
        let entries: Vec<BookEntry> = events
            .iter()
            .filter_map(|e| match &e.data {
                EventData::Book(entry) => Some(entry.clone()),
                _ => None,
            })
            .collect();
        let mut rejoin = events.iter().any(
            |e| matches!(&e.data, EventData::Desk(d) if matches!(d.change, DeskChange::Approved | DeskChange::Rotated)),
        );
        let mut changed = 0;
        match self.team() {
            Ok(team) if !entries.is_empty() => match self.apply_entries(&team, &entries) {
                Ok((applied, refused)) => {
                    changed += applied.changed;
                    // A refused entry stays unseen: the next catch-up meets it again.
                    if refused.is_none()
                        && let Err(e) = self.saw_revision(&team.app_id, applied.through)
                    {
                        tracing::warn!(error = %e, "the book's revision seen was not kept");
                    }
                    match refused {
                        Some(DeskError::StaleKey(_)) => rejoin = true,
                        Some(e) => tracing::error!(error = %e, "a team book change was refused"),
                        None => {}
                    }
                    self.learn_phones_of(&applied.added).await;
                }
                Err(e) => tracing::error!(error = %e, "the team book's changes were not applied"),
            },
            Ok(_) => {}
            Err(_) => rejoin |= !entries.is_empty(),
        }
        if rejoin && let Ok(status) = self.join_team().await {
            changed += usize::from(status.state == TeamState::Ready);
        }
        changed
    }

    /// Puts employees of this desk's book that are not in the team book yet into it (a book from
    /// before the team book, kept by the upgrade).
    async fn upload_local_book(&self) -> DeskResult<usize> {
        let team = self.team()?;
        let local: Vec<Employee> = self.book()?.unshared()?;
        if local.is_empty() {
            return Ok(0);
        }
        let writes = local
            .iter()
            .map(|e| {
                Ok(BookWrite { user_id: e.token.clone(), replaces: 0, sealed: team.seal(&e.token, 1, &e.fields())? })
            })
            .collect::<DeskResult<Vec<_>>>()?;
        let written = team.write(writes).await?;
        let mut book = self.book()?;
        for (e, w) in local.iter().zip(&written) {
            book.set_book_version(e.id, w.version, &team.by)?;
        }
        Ok(written.len())
    }

    /// The desks of this application, for an admin to approve or remove.
    pub async fn team_desks(&self) -> DeskResult<Vec<DeskListing>> {
        let client = self.client()?;
        let mine = self.team_setting(client.application_id(), "desk_id")?;
        let desks = client.ask(client.desks()).await?;
        Ok(desks
            .into_iter()
            .map(|desk| {
                let key = URL_SAFE_NO_PAD.decode(&desk.public_key).unwrap_or_default();
                DeskListing {
                    fingerprint: desk_fingerprint(&key),
                    this_desk: mine.as_deref() == Some(desk.desk_id.as_str()),
                    desk,
                }
            })
            .collect())
    }

    /// Gives a desk the book key, wrapped to its public key. The admin compared `fingerprint`
    /// (what the new desk shows) with what this desk computes from the key the server holds.
    pub async fn approve_desk(&self, desk_id: &str, fingerprint: &str) -> DeskResult<DeskListing> {
        let result = async {
            let team = self.team()?;
            let listing = self.team_desks().await?.into_iter().find(|d| d.desk.desk_id == desk_id);
            let listing = listing.ok_or(DeskError::NotFound("Desk"))?;
            if !same_words(&listing.fingerprint, fingerprint) {
                return Err(DeskError::Tampered(format!(
                    "the desk's key on the server has the fingerprint {}, not {fingerprint}: do not approve it",
                    listing.fingerprint
                )));
            }
            let key = URL_SAFE_NO_PAD
                .decode(&listing.desk.public_key)
                .map_err(|_| DeskError::Tampered("a desk key".into()))?;
            let wrapped = team.key.wrap(&team.app_id, desk_id, &key).map_err(|e| DeskError::Tampered(e.to_string()))?;
            let approval = DeskApproval { generation: team.key.generation, wrapped: URL_SAFE_NO_PAD.encode(wrapped) };
            let desk = team.client.approve_desk(desk_id, &approval).await.map_err(|e| team.refusal(e))?;
            Ok(DeskListing { desk, ..listing })
        }
        .await;
        let detail = result.as_ref().map(|d| d.desk.name.clone()).unwrap_or_default();
        self.audited("approve_desk", None, &detail, result)
    }

    /// Refuses a desk's request for the key.
    pub async fn refuse_desk(&self, desk_id: &str) -> DeskResult<()> {
        let result = async {
            let client = self.client()?;
            client.ask(client.refuse_desk(desk_id)).await?;
            Ok(())
        }
        .await;
        self.audited("refuse_desk", None, desk_id, result)
    }

    /// Removes a desk that holds the book (a lost laptop, a retired kiosk): a new key, wrapped
    /// for every other approved desk, and every entry sealed again under it, all in one call. The
    /// removed desk keeps what it had, and can open nothing written after.
    pub async fn remove_desk(&self, desk_id: &str) -> DeskResult<()> {
        let result = self.rotate_without(desk_id).await;
        self.audited("remove_desk", None, desk_id, result)
    }

    async fn rotate_without(&self, removed: &str) -> DeskResult<()> {
        self.sync_book().await?;
        let team = self.team()?;
        let key = BookKey::generate(team.key.generation + 1);
        let desks = self.team_desks().await?;
        if desks.iter().any(|d| d.this_desk && d.desk.desk_id == removed) {
            return Err(DeskError::Invalid("A desk cannot remove itself; remove it from another admin's desk.".into()));
        }
        let wrapped = desks
            .iter()
            .filter(|d| d.desk.state == DeskState::Approved && d.desk.desk_id != removed)
            .map(|d| {
                let public =
                    URL_SAFE_NO_PAD.decode(&d.desk.public_key).map_err(|_| DeskError::Tampered("a desk key".into()))?;
                let w =
                    key.wrap(&team.app_id, &d.desk.desk_id, &public).map_err(|e| DeskError::Tampered(e.to_string()))?;
                Ok(WrappedKey { desk_id: d.desk.desk_id.clone(), wrapped: URL_SAFE_NO_PAD.encode(w) })
            })
            .collect::<DeskResult<Vec<_>>>()?;
        let shared: Vec<Employee> = self.book()?.shared()?;
        let next = Team { key, ..team };
        let entries = shared
            .iter()
            .map(|e| {
                Ok(BookWrite {
                    user_id: e.token.clone(),
                    replaces: e.version,
                    sealed: next.seal(&e.token, e.version + 1, &e.fields())?,
                })
            })
            .collect::<DeskResult<Vec<_>>>()?;
        let rotation = BookRotation { generation: next.key.generation, wrapped, entries };
        next.client.ask(next.client.rotate_book(&rotation)).await?;
        self.keep_book_key(&next.app_id, &next.key)?;
        let mut book = self.book()?;
        for e in &shared {
            book.set_book_version(e.id, e.version + 1, &next.by)?;
        }
        drop(book);
        // The rotation's own entries come back on the stream as versions this desk already has.
        Ok(())
    }
}

/// Fingerprints compared as a person reads them: case, spaces and dashes do not count.
fn same_words(a: &str, b: &str) -> bool {
    let norm =
        |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect::<String>();
    !norm(a).is_empty() && norm(a) == norm(b)
}
