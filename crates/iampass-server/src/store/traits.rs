//! The store's interface, one trait per area. Methods take and return plain records and domain
//! types; each is one transaction in its backend.

use iampass_proto::wire::{AuditRecord, Event, SessionStatus, SessionSummary, UserSummary};

use super::*;
use crate::clock::Millis;
use crate::domain::session::{EndedBy, Policy, Refused, Trigger};
use iampass_proto::wire::StaffRole;

/// Applications.
pub trait AppStore {
    fn create_app(&self, app: AppRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn app(&self, id: &str) -> impl Future<Output = Result<Option<AppRecord>, StoreError>> + Send;

    /// Every application with its number of live users, oldest first.
    fn apps(&self) -> impl Future<Output = Result<Vec<(AppRecord, u64)>, StoreError>> + Send;

    /// Replaces the sealed secret; `false` if there is no such application.
    fn rotate_app_secret(
        &self,
        id: &str,
        sealed: Vec<u8>,
        now: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Turns number matching on or off; `false` if there is no such application.
    fn set_number_matching(&self, id: &str, on: bool) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes an application and, by cascade, all its users, devices, sessions and events.
    fn delete_app(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A number the database moves on with every change to any application's row, whoever made
    /// it (another node, the operator's command line): one small read that tells a node its cached
    /// applications are stale.
    fn app_generation(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// Users.
pub trait UserStore {
    /// Marks `user` as refused by the push cap and raises a `push_capped` event, unless that was
    /// already done since `since` (the start of the cap window): one alert per window, however
    /// many attempts are refused. Returns whether the event was raised.
    fn note_push_capped(
        &self,
        user: &UserRow,
        now: Millis,
        since: Millis,
        reason: String,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Pushes to `user` before `now` no longer count toward the push cap.
    fn clear_push_cap(&self, user: &UserRow, now: Millis) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn user(&self, app_id: &str, external_id: &str)
    -> impl Future<Output = Result<Option<UserRow>, StoreError>> + Send;

    /// The live user with their active phone's id, if they have one.
    fn user_with_device(
        &self,
        app_id: &str,
        external_id: &str,
    ) -> impl Future<Output = Result<Option<(UserRow, Option<String>)>, StoreError>> + Send;

    /// Adds the users that do not exist yet; returns (created, existing) in request order.
    fn add_users(
        &self,
        app_id: &str,
        ids: Vec<String>,
        now: Millis,
    ) -> impl Future<Output = Result<(Vec<String>, Vec<String>), StoreError>> + Send;

    /// Deletes users: their sessions close, their phone is disabled, their link revoked.
    /// Returns (deleted, missing).
    fn delete_users(
        &self,
        app_id: &str,
        ids: Vec<String>,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<(Vec<String>, Vec<String>), StoreError>> + Send;

    /// A page of users (oldest first) with their phone and live link; `after` is the last row of
    /// the previous page.
    fn list_users(
        &self,
        app_id: &str,
        only: Option<String>,
        after: i64,
        limit: u32,
        now: Millis,
    ) -> impl Future<Output = Result<(Vec<UserSummary>, Option<i64>), StoreError>> + Send;
}

/// Devices (phones).
pub trait DeviceStore {
    fn device(&self, id: &str) -> impl Future<Output = Result<Option<DeviceRecord>, StoreError>> + Send;

    /// Records that the phone is, or is not, near its user; its live sessions follow.
    fn set_presence(
        &self,
        device: &DeviceRecord,
        nearby: bool,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<Vec<SessionSummary>, StoreError>> + Send;

    /// The phone unregisters itself (or is removed): disabled, its sessions closed.
    fn remove_device(
        &self,
        device: &DeviceRecord,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The user's phone is lost: disabled at once, its sessions closed; its id, if it had one.
    fn stop_phone(
        &self,
        user: &UserRow,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    fn touch_device(&self, id: &str, now: Millis) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces a device's credential after use (a passkey's signature counter or backup state
    /// moved); only while the device is active.
    fn update_credential(
        &self,
        id: &str,
        credential: Vec<u8>,
        synced: Option<bool>,
        now: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Registration links.
pub trait LinkStore {
    /// Issues a new link for `user`, revoking any live one (one live link per user). With
    /// `lost`, the user's device is first disabled as lost and its sessions end: both or neither.
    fn issue_link(
        &self,
        user: UserRow,
        token_hash: Vec<u8>,
        display_name: Option<String>,
        now: Millis,
        expires_at: Millis,
        lost: Option<Policy>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn link_info(&self, token_hash: Vec<u8>) -> impl Future<Output = Result<Option<LinkInfo>, StoreError>> + Send;

    /// Binds a phone at a link, atomically: the link is used up, any earlier phone of the user is
    /// disabled (its sessions close), the new one recorded.
    fn bind_device(
        &self,
        token_hash: Vec<u8>,
        device: NewDevice,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<BindOutcome, StoreError>> + Send;
}

/// Login sessions.
pub trait SessionStore {
    /// Creates a `pending` login for the user's phone; the phone is woken by the commit.
    fn create_session(
        &self,
        new: NewSession,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<SessionRow, StoreError>> + Send;

    fn session_auth(&self, token: &str) -> impl Future<Output = Result<Option<SessionAuth>, StoreError>> + Send;

    fn session(&self, id: &str) -> impl Future<Output = Result<Option<SessionRow>, StoreError>> + Send;

    /// Applies `trigger` to session `id`. `Ok(None)`: no such session.
    fn transition(
        &self,
        id: &str,
        trigger: Trigger,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<Option<Result<SessionRow, Refused>>, StoreError>> + Send;

    /// The phone's pending requests; handing them over moves `pending` ones to `identifying`.
    fn fetch_requests(
        &self,
        device_id: &str,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<Vec<SessionRow>, StoreError>> + Send;

    /// Ends every unfinished session of a user; returns how many ended.
    fn end_user_sessions(
        &self,
        user: &UserRow,
        by: EndedBy,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The user's most recent sessions, newest first (the phone's own list).
    fn user_sessions(
        &self,
        user_row: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<SessionRow>, StoreError>> + Send;

    /// A page of the app's sessions, newest first. `before` is the `seq` the previous page ended
    /// at; each filter combination walks an index, so a page costs the same at any table size.
    fn list_sessions(
        &self,
        app_id: &str,
        status: Option<SessionStatus>,
        user_row: Option<i64>,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<SessionRow>, Option<i64>), StoreError>> + Send;

    /// Pushes to the user since `since` that were not answered or were refused, counting only
    /// those after the user's latest successful login (which resets the count).
    fn unanswered_pushes(&self, user_row: i64, since: Millis) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Caller verifications pushed to the user since `since`, answered or not, counting only
    /// those after staff last cleared the user's push cap.
    fn verification_pushes(&self, user_row: i64, since: Millis)
    -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Sessions of the app per status, by the (app, status) index.
    fn session_counts(
        &self,
        app_id: &str,
    ) -> impl Future<Output = Result<Vec<(SessionStatus, u64)>, StoreError>> + Send;

    /// Applies every due deadline (timeouts, expiries, walkaway grace), at most `limit` sessions;
    /// returns how many changed.
    fn sweep(&self, now: Millis, policy: Policy, limit: u32) -> impl Future<Output = Result<usize, StoreError>> + Send;

    /// The earliest deadline of any session, for the sweeper to sleep until.
    fn next_deadline(&self) -> impl Future<Output = Result<Option<Millis>, StoreError>> + Send;
}

/// The event log.
pub trait EventStore {
    /// Up to `limit` events of `app_id` after `after`, oldest first.
    fn events_after(
        &self,
        app_id: &str,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Event>, StoreError>> + Send;

    /// Up to `limit` events of every application after `after`, oldest first, with their
    /// application: what the webhook delivers.
    fn all_events_after(
        &self,
        after: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<(String, Event)>, StoreError>> + Send;

    /// The newest event id of all (0 if none).
    fn newest_event_id(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The last event id the webhook delivered; `None` before its first start.
    fn webhook_cursor(&self) -> impl Future<Output = Result<Option<u64>, StoreError>> + Send;

    fn set_webhook_cursor(&self, delivered_through: u64) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The newest event id of `app_id` (0 if none), where a fresh subscriber starts.
    fn latest_event_id(&self, app_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Forgets events older than `before`; a subscriber further behind than that starts afresh.
    fn prune_events(&self, before: Millis) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

/// The audit log.
pub trait AuditStore {
    /// Records one action and returns once it is committed (so an answered action is always in
    /// the log). Records that arrive while a batch is being written go into the next one, one
    /// transaction for all: under load every management call would otherwise queue a transaction
    /// of its own behind the single writer.
    fn record_audit(&self, r: NewAuditRecord) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A page of the app's audit records, newest first; `before` is the previous page's last id.
    fn audit_page(
        &self,
        app_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<(Vec<AuditRecord>, Option<i64>), StoreError>> + Send;
}

/// Web Push subscriptions (one per web phone), and the secrets the server makes for itself.
pub trait PushStore {
    /// Records (or replaces) the device's subscription; `false` if the device is not active.
    fn set_push_subscription(
        &self,
        device_id: &str,
        sub: PushSubscription,
        now: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The active device's subscription.
    fn push_subscription(
        &self,
        device_id: &str,
    ) -> impl Future<Output = Result<Option<PushSubscription>, StoreError>> + Send;

    /// Removes the device's subscription; with `endpoint`, only if it is still that one (a push
    /// service's 410 must not remove a subscription made since). `true` if one was removed.
    fn drop_push_subscription(
        &self,
        device_id: &str,
        endpoint: Option<String>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The sealed secret `name`, storing `make` first if there is none (so concurrent first starts
    /// agree on one).
    fn server_secret(
        &self,
        name: &str,
        make: Vec<u8>,
        now: Millis,
    ) -> impl Future<Output = Result<Vec<u8>, StoreError>> + Send;
}

/// Staff accounts, their sign-ins and bearer tokens. A staff member's phone is a user of the
/// application's staff realm (`AppRecord::staff_of`) whose id is the staff id.
pub trait StaffStore {
    /// The application's staff realm, made from `realm` if it has none yet.
    fn staff_realm(&self, realm: AppRecord) -> impl Future<Output = Result<AppRecord, StoreError>> + Send;

    /// Adds a staff member and their user in the realm; `None` if the name is taken.
    fn add_staff(
        &self,
        realm_id: &str,
        staff: StaffRecord,
    ) -> impl Future<Output = Result<Option<UserRow>, StoreError>> + Send;

    /// The staff member with this id, or else this name (without case).
    fn staff_member(
        &self,
        app_id: &str,
        id_or_name: &str,
    ) -> impl Future<Output = Result<Option<StaffRecord>, StoreError>> + Send;

    fn list_staff(&self, app_id: &str) -> impl Future<Output = Result<Vec<StaffListed>, StoreError>> + Send;

    /// Changes a role: the member's tokens end and their console sessions close. `false` if unknown.
    fn set_staff_role(
        &self,
        app_id: &str,
        staff_id: &str,
        role: StaffRole,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes a staff member: tokens, sessions, phone and realm user go with them.
    fn remove_staff(
        &self,
        app_id: &str,
        staff_id: &str,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn set_staff_lifetimes(
        &self,
        app_id: &str,
        token_secs: u64,
        idle_secs: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn create_sign_in(
        &self,
        id_hash: Vec<u8>,
        sign_in: SignInRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn sign_in(&self, id_hash: Vec<u8>) -> impl Future<Output = Result<Option<SignInRecord>, StoreError>> + Send;

    /// Stores the sign-in's token unless one was issued already; `true` if this call issued it.
    fn issue_staff_token(
        &self,
        sign_in_hash: Vec<u8>,
        token: NewStaffToken,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn staff_token(&self, hash: Vec<u8>) -> impl Future<Output = Result<Option<StaffTokenRecord>, StoreError>> + Send;

    fn touch_staff_token(&self, hash: Vec<u8>, now: Millis) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends a token and its sign-in session (sign-out); `false` if there was no such token.
    fn end_staff_token(
        &self,
        hash: Vec<u8>,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Forgets sign-ins and tokens that ended before `before`.
    fn prune_staff(&self, before: Millis) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The team book and its desks. Each change is one transaction that first locks the book's row, so
/// writes to one book are serialized; each entry written takes the book's next revision.
pub trait BookStore {
    /// The book key's generation (0: none yet).
    fn book_generation(&self, app_id: &str) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Entries written after revision `since`, oldest first.
    fn book_entries(
        &self,
        app_id: &str,
        since: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<BookEntryRow>, StoreError>> + Send;

    fn book_entry(
        &self,
        app_id: &str,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<BookEntryRow>, StoreError>> + Send;

    /// Writes entries under `generation`, all or none; a new entry's user is added if the
    /// application has no such live user. Emits a book event an entry.
    fn write_book(
        &self,
        app_id: &str,
        generation: i64,
        writes: Vec<SealedWrite>,
        writer: &str,
        now: Millis,
    ) -> impl Future<Output = Result<Vec<BookEntryRow>, BookError>> + Send;

    /// Removes an employee: their entry (at `version`) is emptied and their user deleted.
    fn remove_book_entry(
        &self,
        app_id: &str,
        user_id: &str,
        version: i64,
        writer: &str,
        now: Millis,
        policy: Policy,
    ) -> impl Future<Output = Result<BookEntryRow, BookError>> + Send;

    /// Records a desk's request for the key; a desk asking again with the same key gets its row.
    fn request_desk(&self, desk: DeskRow) -> impl Future<Output = Result<DeskRow, StoreError>> + Send;

    fn desks(&self, app_id: &str) -> impl Future<Output = Result<Vec<DeskRow>, StoreError>> + Send;

    fn desk(&self, app_id: &str, desk_id: &str) -> impl Future<Output = Result<Option<DeskRow>, StoreError>> + Send;

    /// Gives a desk the current key, wrapped to it.
    fn approve_desk(
        &self,
        app_id: &str,
        desk_id: &str,
        generation: i64,
        wrapped: Vec<u8>,
        approver: &str,
        now: Millis,
    ) -> impl Future<Output = Result<DeskRow, BookError>> + Send;

    /// Drops a desk's request that was never approved.
    fn refuse_desk(
        &self,
        app_id: &str,
        desk_id: &str,
        now: Millis,
    ) -> impl Future<Output = Result<(), BookError>> + Send;

    /// Moves the book to the rotation's key generation (one more than now): wrapped keys for the
    /// desks that keep the book (each becomes approved; every other approved desk is removed, a
    /// pending request stays), and every
    /// live entry sealed again, replacing its current version.
    fn rotate_book(&self, rotation: KeyRotation) -> impl Future<Output = Result<(), BookError>> + Send;
}

/// Recoveries (moving an employee who has or had a phone to a new one) and the holds on them.
pub trait RecoveryStore {
    /// Whether the user has or had a phone (an active device, or one lost, replaced or removed).
    fn had_phone(&self, user_row: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// What the recovery rule weighs for the user: a live hold, and since `since` (or the last
    /// hold's clearing, if later) the newest recovery link and the newest refused verification.
    fn recovery_history(
        &self,
        user_row: i64,
        since: Millis,
    ) -> impl Future<Output = Result<crate::domain::recovery::History, StoreError>> + Send;

    /// How many recoveries the staff member asked for after `since`.
    fn recoveries_asked(
        &self,
        app_id: &str,
        staff_id: &str,
        since: Millis,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Holds the user's recoveries (unless already held) and raises the alert.
    fn hold_recoveries(
        &self,
        user: &UserRow,
        why: &str,
        by: &str,
        now: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Lifts the user's hold; whether there was one.
    fn clear_recovery_hold(
        &self,
        user: &UserRow,
        by: &str,
        reason: &str,
        now: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a recovery, refused if the user is held or its evidence's session already backs
    /// one; with `alert`, the staff member's many recoveries are raised with it.
    fn create_recovery(
        &self,
        row: RecoveryRow,
        alert: Option<String>,
    ) -> impl Future<Output = Result<(), RecoveryError>> + Send;

    fn recovery(&self, app_id: &str, id: &str) -> impl Future<Output = Result<Option<RecoveryRow>, StoreError>> + Send;

    /// The user's recoveries, newest first.
    fn recoveries_of(
        &self,
        user_row: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<RecoveryRow>, StoreError>> + Send;

    fn recovery_hold(&self, user_row: i64)
    -> impl Future<Output = Result<Option<(Millis, String)>, StoreError>> + Send;

    /// Moves a recovery to `state` (an approval with its time), emitting the change.
    fn settle_recovery(
        &self,
        app_id: &str,
        id: &str,
        state: iampass_proto::wire::RecoveryState,
        approved_at: Option<Millis>,
        now: Millis,
    ) -> impl Future<Output = Result<Option<RecoveryRow>, StoreError>> + Send;

    /// Uses an approved recovery: it becomes used and its user gets a new registration link
    /// (revoking any live one), in one transaction, refused if it is no longer approved or the
    /// user was held since.
    fn issue_recovery_link(
        &self,
        app_id: &str,
        id: &str,
        token_hash: Vec<u8>,
        now: Millis,
        expires_at: Millis,
    ) -> impl Future<Output = Result<RecoveryRow, RecoveryError>> + Send;
}

/// Spent nonces: a signed request's nonce is refused the second time while its timestamp is in
/// the window, on whichever node it arrives.
pub trait NonceStore {
    /// Spends `nonce` for `scope` (a client or ticket kind), remembered until `keep_until`
    /// (seconds; after it the timestamp check refuses the replay by itself).
    fn spend_nonce(
        &self,
        scope: &str,
        nonce: &str,
        now_secs: i64,
        keep_until: i64,
    ) -> impl Future<Output = Result<(), NonceError>> + Send;

    /// Forgets nonces kept until before `now_secs`; how many. Background work, never in a
    /// request's way.
    fn forget_nonces(&self, now_secs: i64) -> impl Future<Output = Result<usize, StoreError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum NonceError {
    #[error(transparent)]
    Refused(#[from] iampass_proto::AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
