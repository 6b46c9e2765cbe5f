//! The store's SQL, written once for every SQL backend. Each area file holds one area's
//! statements and the compound changes made of them (bind a phone: use the link, disable the old
//! phone, end its sessions, record the new one, emit the events), generic over [`Sql`], the few
//! calls a backend's connection answers. Statements keep to what SQLite and PostgreSQL both take
//! (`?N` placeholders, `ON CONFLICT`, `RETURNING`, `lower()` for case-folding); what differs (schema,
//! transactions, pools, waking the hub) stays in the backend's own module.

mod apps;
mod audit;
mod book;
mod devices;
mod events;
mod links;
mod push;
mod recovery;
mod sessions;
mod staff;
mod users;

use std::future::Future;

use iampass_proto::wire::EventData;

pub use audit::AuditQueue;

use super::{Conn, StoreError};
use crate::clock::Millis;

/// One value bound to a statement's `?N`.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// What can be bound: the store's records' field types.
pub trait ToArg {
    fn to_arg(&self) -> Arg<'_>;
}

impl ToArg for i64 {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Int(*self)
    }
}

impl ToArg for u32 {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for bool {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Bool(*self)
    }
}

impl ToArg for str {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(self)
    }
}

impl ToArg for [u8] {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl ToArg for Vec<u8> {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Blob(self)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg<'_> {
        (**self).to_arg()
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn to_arg(&self) -> Arg<'_> {
        self.as_ref().map_or(Arg::Null, ToArg::to_arg)
    }
}

/// An owned [`Arg`], for a statement that runs after its caller returned (an async read).
#[derive(Debug, Clone)]
pub enum Param {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Blob(Vec<u8>),
}

impl From<Arg<'_>> for Param {
    fn from(a: Arg<'_>) -> Self {
        match a {
            Arg::Null => Param::Null,
            Arg::Int(i) => Param::Int(i),
            Arg::Bool(b) => Param::Bool(b),
            Arg::Text(t) => Param::Text(t.to_owned()),
            Arg::Blob(b) => Param::Blob(b.to_vec()),
        }
    }
}

impl Param {
    pub fn args(params: &[Param]) -> Vec<Arg<'_>> {
        params
            .iter()
            .map(|p| match p {
                Param::Null => Arg::Null,
                Param::Int(i) => Arg::Int(*i),
                Param::Bool(b) => Arg::Bool(*b),
                Param::Text(t) => Arg::Text(t),
                Param::Blob(b) => Arg::Blob(b),
            })
            .collect()
    }
}

/// [`args!`]'s owned twin: `params![a, b]` binds `a` to `?1` and `b` to `?2`.
macro_rules! params {
    ($($e:expr),* $(,)?) => { vec![$($crate::store::sql::Param::from($crate::store::sql::ToArg::to_arg(&$e))),*] };
}
pub(crate) use params;

/// The arguments of one statement: `args![a, b]` binds `a` to `?1` and `b` to `?2`.
macro_rules! args {
    ($($e:expr),* $(,)?) => { &[$($crate::store::sql::ToArg::to_arg(&$e)),*] as &[$crate::store::sql::Arg<'_>] };
}
pub(crate) use args;

/// One column of a result row, as the backend gave it.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Bool(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// What a column can be read as. A mismatch means the row was altered or the schema drifted.
pub trait FromValue: Sized {
    fn from_value(v: Value<'_>) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }
}

/// SQLite keeps booleans as 0 and 1; PostgreSQL has its own type.
impl FromValue for bool {
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Bool(b) => Some(b),
            Value::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.to_owned()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Blob(b) => Some(b.to_vec()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value<'_>) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Domain enums are stored by name and read back through their own parser; an unknown name means
/// the row was altered.
macro_rules! stored_by_name {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value<'_>) -> Option<Self> {
                match v {
                    Value::Text(name) => <$t>::parse(name),
                    _ => None,
                }
            }
        }
    )*};
}
stored_by_name!(
    crate::domain::device::DeviceKind,
    crate::domain::device::DeviceEnd,
    crate::domain::link::LinkState,
    iampass_proto::wire::SessionStatus,
    iampass_proto::wire::RequestPurpose,
    iampass_proto::wire::StaffRole,
    iampass_proto::wire::RecoveryCheck,
    iampass_proto::wire::RecoveryState
);

/// A result row; the backend supplies each column as a [`Value`].
pub trait Row {
    fn value(&self, i: usize) -> Result<Value<'_>, StoreError>;
}

impl dyn Row + '_ {
    /// Column `i` as `T`.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, StoreError> {
        let v = self.value(i)?;
        T::from_value(v)
            .ok_or_else(|| StoreError::Corrupt(format!("column {i} holds {v:?}, not a {}", std::any::type_name::<T>())))
    }
}

/// A backend's connection, in or out of a transaction: the three calls the areas make.
pub trait Sql {
    /// Runs a statement; how many rows it changed.
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<usize, StoreError>;

    /// Every row of a query, each through `f`.
    fn rows<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnMut(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError>;

    /// The first row of a query, if any.
    fn row<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError>;
}

/// A write transaction plus the events it emits; events become visible with the commit.
pub struct Writer<'a, C> {
    pub c: &'a mut C,
    pub written: Vec<(u64, EventData)>,
    applications_changed: bool,
}

impl<C> std::fmt::Debug for Writer<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("events", &self.written.len()).finish()
    }
}

impl<C: Sql> Writer<'_, C> {
    /// Records one change for the app's event stream.
    fn emit(&mut self, app_id: &str, at: Millis, data: EventData) -> Result<(), StoreError> {
        let id = events::insert(self.c, app_id, at, &data)?;
        self.written.push((id, data));
        Ok(())
    }

    /// Marks a change to an application's row, so this node's application cache drops its entries
    /// with the commit (other processes see it through the row's generation, `app_generation`).
    fn applications_changed(&mut self) {
        self.applications_changed = true;
    }
}

/// What a committed write transaction tells the waiters: the events it wrote, and whether it
/// changed an application.
#[derive(Debug, Default)]
pub struct Committed {
    pub events: Vec<(u64, EventData)>,
    applications_changed: bool,
}

impl Committed {
    pub fn publish(&self, hub: &crate::hub::Hub) {
        if self.applications_changed {
            hub.applications_changed();
        }
        publish(hub, &self.events);
    }
}

/// A SQL backend: where reads and write transactions run. The store's area traits are implemented
/// once, for every backend, on top of this.
pub trait SqlBackend: Send + Sync + 'static {
    /// Runs a read on a connection of the backend's pool.
    fn read<T, F>(&self, f: F) -> impl Future<Output = Result<T, StoreError>> + Send
    where
        T: Send + 'static,
        F: Fn(&mut Conn) -> Result<T, StoreError> + Send + 'static;

    /// One statement's first row, for the reads every request makes. A backend may answer a lone
    /// statement faster than a read closure (PostgreSQL: on the request's own task, pipelined
    /// with other requests' statements, instead of a thread of the blocking pool per read).
    fn read_row<T, F>(
        &self,
        sql: &'static str,
        params: Vec<Param>,
        f: F,
    ) -> impl Future<Output = Result<Option<T>, StoreError>> + Send
    where
        T: Send + 'static,
        F: Fn(&dyn Row) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.read(move |c| c.row(sql, &Param::args(&params), &f))
    }

    /// Runs `f` in one write transaction; commits if it returns `Ok`, rolls back otherwise, then
    /// wakes whoever waits on the events it wrote. The error type is the caller's so domain
    /// refusals roll back too.
    fn write<T, E, F>(&self, f: F) -> impl Future<Output = Result<T, E>> + Send
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Writer<'_, Conn>) -> Result<T, E> + Send + 'static;

    /// Audit records waiting to be written together.
    fn audit_queue(&self) -> &AuditQueue;
}

/// Runs `f` in one transaction on `conn`, opened with `begin` (and whatever the backend's
/// statements after it take, such as a lock): commits if `f` returns `Ok`, rolls back otherwise.
/// Hands back `f`'s answer and what was committed, for the caller to publish.
pub fn transaction<T, E, F>(conn: &mut Conn, begin: &str, f: F) -> Result<(T, Committed), E>
where
    E: From<StoreError>,
    F: FnOnce(&mut Writer<'_, Conn>) -> Result<T, E>,
{
    for statement in begin.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if let Err(e) = conn.exec(statement, &[]) {
            let _ = conn.exec("ROLLBACK", &[]);
            return Err(e.into());
        }
    }
    let mut writer = Writer { c: conn, written: Vec::new(), applications_changed: false };
    let out = f(&mut writer);
    let committed =
        Committed { events: std::mem::take(&mut writer.written), applications_changed: writer.applications_changed };
    match out {
        Ok(out) => match conn.exec("COMMIT", &[]) {
            Ok(_) => Ok((out, committed)),
            Err(e) => {
                let _ = conn.exec("ROLLBACK", &[]);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = conn.exec("ROLLBACK", &[]);
            Err(e)
        }
    }
}

/// Splits the stored comma list back into methods; an unknown name means the row was altered.
fn methods_from_db(s: &str) -> Result<Vec<iampass_proto::wire::Method>, StoreError> {
    iampass_proto::wire::Method::parse_list(s).map_err(|m| StoreError::Corrupt(format!("unknown method {m:?}")))
}

/// Wakes event subscribers, and phones that have a new login request waiting or were just
/// disabled (an open web phone then learns at once that it was removed). Backends call it after
/// each commit.
pub fn publish(hub: &crate::hub::Hub, written: &[(u64, EventData)]) {
    let Some(max) = written.iter().map(|(id, _)| *id).max() else { return };
    for (_, data) in written {
        let woken = match data {
            EventData::Session(s) if s.status == iampass_proto::wire::SessionStatus::Pending => s.device_id.as_ref(),
            EventData::User(u) if u.change == iampass_proto::wire::UserChange::DeviceDisabled => u.device_id.as_ref(),
            _ => None,
        };
        if let Some(device) = woken {
            hub.wake_device(device);
        }
    }
    hub.events_written(max);
}

/// Events after `after`, oldest first, at most `limit`: what another node committed, for this
/// node's hub.
pub fn events_written_after<C: Sql>(c: &mut C, after: u64, limit: u32) -> Result<Vec<(u64, EventData)>, StoreError> {
    events::written_after(c, after, limit)
}

/// The newest event id (the hub starts from it).
pub fn latest_event_id<C: Sql>(c: &mut C) -> Result<u64, StoreError> {
    events::latest_id(c)
}

impl<B: SqlBackend> super::SecretStore for B {
    async fn reseal_secrets<F>(&self, f: F) -> Result<super::Resealed, StoreError>
    where
        F: Fn(super::SealedSecret, &str, &[u8]) -> Result<Vec<u8>, String> + Send + 'static,
    {
        self.write(move |w| reseal(w, f)).await
    }
}

/// Re-seals every sealed secret through `f`, inside the caller's transaction.
fn reseal<C: Sql, F>(w: &mut Writer<'_, C>, f: F) -> Result<super::Resealed, StoreError>
where
    F: Fn(super::SealedSecret, &str, &[u8]) -> Result<Vec<u8>, String>,
{
    use super::SealedSecret;
    let mut count = super::Resealed::default();
    w.applications_changed();
    for (kind, select, update) in [
        (
            SealedSecret::Application,
            "SELECT id, secret_sealed FROM applications",
            "UPDATE applications SET secret_sealed = ?2 WHERE id = ?1",
        ),
        (
            SealedSecret::Session,
            "SELECT token, secret_sealed FROM sessions",
            "UPDATE sessions SET secret_sealed = ?2 WHERE token = ?1",
        ),
        (
            SealedSecret::Server,
            "SELECT name, sealed FROM server_secrets",
            "UPDATE server_secrets SET sealed = ?2 WHERE name = ?1",
        ),
    ] {
        let rows: Vec<(String, Vec<u8>)> = w.c.rows(select, &[], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for (id, sealed) in rows {
            let resealed = f(kind, &id, &sealed).map_err(StoreError::Corrupt)?;
            w.c.exec(update, args![id, resealed])?;
            *match kind {
                SealedSecret::Application => &mut count.applications,
                SealedSecret::Session => &mut count.sessions,
                SealedSecret::Server => &mut count.server,
            } += 1;
        }
    }
    Ok(count)
}
