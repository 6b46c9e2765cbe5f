//! The SQLite backend, and the only place that speaks SQLite's SQL: WAL, foreign keys on, a small
//! connection pool. Reads run inline (single indexed lookups); every write runs on the blocking
//! pool in one `BEGIN IMMEDIATE` transaction together with the events it causes, queued here so at
//! most one pooled connection writes; after the commit the [`Hub`] wakes waiters. Each area file
//! implements one of the store's traits (`super::traits`) for [`SqliteStore`].

mod apps;
mod audit;
mod devices;
mod events;
mod links;
mod push;
mod sessions;
mod staff;
mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use iampass_proto::wire::EventData;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{Admin, Resealed, SealedSecret, StoreError};
use crate::clock::Millis;
use crate::hub::Hub;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_number_matching.sql"),
    include_str!("migrations/0003_audit.sql"),
    include_str!("migrations/0004_webhook.sql"),
    include_str!("migrations/0005_push_capped.sql"),
    include_str!("migrations/0006_device_kind_and_actor.sql"),
    include_str!("migrations/0007_request_origin.sql"),
    include_str!("migrations/0008_web_push.sql"),
    include_str!("migrations/0009_device_synced.sql"),
    include_str!("migrations/0010_staff.sql"),
    include_str!("migrations/0011_purpose_and_cap_reset.sql"),
];
const POOL_SIZE: u32 = 8;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: r2d2::Pool<SqliteConnectionManager>,
    hub: Arc<Hub>,
    /// SQLite has one writer at a time; queueing writers here, not on the database lock, keeps at
    /// most one pooled connection busy writing, so inline reads always find a free one.
    writer: Arc<tokio::sync::Mutex<()>>,
    audit: Arc<audit::AuditQueue>,
}

/// A write transaction plus the events it emits; events become visible with the commit.
pub(super) struct Writer<'a> {
    tx: &'a Transaction<'a>,
    written: Vec<(u64, EventData)>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("events", &self.written.len()).finish()
    }
}

impl Writer<'_> {
    /// Records one change for the app's event stream.
    fn emit(&mut self, app_id: &str, at: Millis, data: EventData) -> Result<(), StoreError> {
        let id = events::insert(self.tx, app_id, at, &data)?;
        self.written.push((id, data));
        Ok(())
    }
}

fn configure(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // WAL makes a commit durable against a process crash once it returns; NORMAL defers only the
    // fsync of the log, so a power cut can lose the newest commits but never corrupts the file.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path, hub: Arc<Hub>) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
        }
        {
            let mut conn = Connection::open(path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            configure(&mut conn)?;
            migrate(&mut conn)?;
        }
        let manager = SqliteConnectionManager::file(path).with_init(configure);
        // No validity query on each checkout: a local SQLite connection does not go stale, and the
        // check (a parsed `SELECT 1`) costs more than the indexed reads themselves.
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(15))
            .build(manager)?;
        let store = Self {
            pool,
            hub,
            writer: Arc::new(tokio::sync::Mutex::new(())),
            audit: Arc::new(audit::AuditQueue::default()),
        };
        let latest = events::latest_id(&*store.pool.get()?)?;
        store.hub.events_written(latest);
        Ok(store)
    }

    /// Runs a read on a pooled connection, inline. In WAL mode a reader never waits for a writer,
    /// and these reads are single indexed lookups of microseconds, so a hop to the blocking pool
    /// would cost more than the read (measured: docs/BENCHMARKS.md). Writes, which can wait on the
    /// write lock, go through [`Store::write`] on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        f(&*self.pool.get()?)
    }

    /// Runs `f` in one immediate transaction; commits if it returns `Ok`, rolls back otherwise.
    /// The error type is the caller's so domain refusals roll back too.
    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Writer<'_>) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let hub = self.hub.clone();
        let _turn = self.writer.lock().await;
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(StoreError::from)?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(StoreError::from)?;
            let mut writer = Writer { tx: &tx, written: Vec::new() };
            let out = f(&mut writer)?;
            let written = std::mem::take(&mut writer.written);
            tx.commit().map_err(StoreError::from)?;
            publish(&hub, &written);
            Ok(out)
        })
        .await
        .map_err(|e| E::from(StoreError::Join(e.to_string())))?
    }
}

impl Admin for SqliteStore {
    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    async fn reseal_secrets<F>(&self, f: F) -> Result<Resealed, StoreError>
    where
        F: Fn(SealedSecret, &str, &[u8]) -> Result<Vec<u8>, String> + Send + 'static,
    {
        self.write(move |w| {
            let mut count = Resealed::default();
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
                let rows: Vec<(String, Vec<u8>)> =
                    w.tx.prepare(select)?.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
                let mut stmt = w.tx.prepare(update)?;
                for (id, sealed) in rows {
                    let resealed = f(kind, &id, &sealed).map_err(StoreError::Corrupt)?;
                    stmt.execute(rusqlite::params![id, resealed])?;
                    *match kind {
                        SealedSecret::Application => &mut count.applications,
                        SealedSecret::Session => &mut count.sessions,
                        SealedSecret::Server => &mut count.server,
                    } += 1;
                }
            }
            Ok(count)
        })
        .await
    }

    async fn schema_version(&self) -> Result<super::SchemaVersion, StoreError> {
        self.read(|c| {
            let found: i64 = c.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let found = usize::try_from(found).map_err(|_| StoreError::Corrupt("negative schema version".into()))?;
            Ok(super::SchemaVersion { found, known: MIGRATIONS.len() })
        })
        .await
    }

    /// `PRAGMA integrity_check`.
    async fn check(&self) -> Result<String, StoreError> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0))?)).await
    }
}

/// Wakes event subscribers, and phones that have a new login request waiting or were just
/// disabled (an open web phone then learns at once that it was removed).
fn publish(hub: &Hub, written: &[(u64, EventData)]) {
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

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let version = usize::try_from(version).map_err(|_| StoreError::Corrupt("negative schema version".into()))?;
    if version > MIGRATIONS.len() {
        return Err(StoreError::SchemaTooNew { found: version, known: MIGRATIONS.len() });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Domain enums are stored by name and read back through their own parser; an unknown name means
/// the row was altered.
macro_rules! stored_by_name {
    ($($t:ty),*) => {$(
        impl rusqlite::types::FromSql for $t {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let name = v.as_str()?;
                <$t>::parse(name).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(format!("unknown {} {name:?}", stringify!($t)).into())
                })
            }
        }
    )*};
}
stored_by_name!(crate::domain::device::DeviceKind, crate::domain::device::DeviceEnd, crate::domain::link::LinkState);

/// Splits the stored comma list back into methods; an unknown name means the row was altered.
fn methods_from_db(s: &str) -> Result<Vec<iampass_proto::wire::Method>, StoreError> {
    iampass_proto::wire::Method::parse_list(s).map_err(|m| StoreError::Corrupt(format!("unknown method {m:?}")))
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A store on a fresh file in a temporary folder (kept alive by the returned guard).
    pub fn store() -> (SqliteStore, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("t.db"), Arc::new(Hub::new(0))).expect("open");
        (store, dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_apply_once_and_reopen_cleanly() {
        let (store, dir) = testing::store();
        assert_eq!(store.check().await.ok().as_deref(), Some("ok"));
        drop(store);
        let again = SqliteStore::open(&dir.path().join("t.db"), Arc::new(Hub::new(0))).expect("reopen");
        let v = again.schema_version().await.expect("v");
        assert_eq!((v.found, v.known), (MIGRATIONS.len(), MIGRATIONS.len()));
    }

    #[tokio::test]
    async fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        Connection::open(&path).and_then(|c| c.pragma_update(None, "user_version", 99)).expect("set");
        assert!(matches!(SqliteStore::open(&path, Arc::new(Hub::new(0))), Err(StoreError::SchemaTooNew { .. })));
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}
