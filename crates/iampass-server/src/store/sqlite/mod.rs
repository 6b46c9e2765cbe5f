//! The SQLite backend: WAL, foreign keys on, a small connection pool, and SQLite's side of the
//! store's SQL ([`super::sql`]): its schema and migrations, how a connection runs a statement, and
//! transactions. Reads run inline (single indexed lookups); every write runs on the blocking pool
//! in one `BEGIN IMMEDIATE` transaction together with the events it causes, queued here so at most
//! one pooled connection writes; after the commit the [`Hub`] wakes waiters.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, TransactionBehavior};

use super::sql::{Arg, AuditQueue, Row, Sql, SqlBackend, Value, Writer};
use super::{Admin, Conn, NonceError, NonceStore, StoreError};
use crate::hub::Hub;
use crate::replay::ReplayCache;

/// Nonces remembered at most (a 64th of it in each shard); past it signed requests are refused
/// (503), not forgotten. At a 300 s window: about 13,000 signed requests a second, sustained.
/// About 50 bytes each when full (16-byte keys, kept twice: the set and the expiry list).
pub const REPLAY_CAPACITY: usize = 4_000_000;

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
    include_str!("migrations/0012_app_generation.sql"),
    include_str!("migrations/0013_team_book.sql"),
    include_str!("migrations/0014_recovery.sql"),
];
const POOL_SIZE: u32 = 8;
/// Where SQLite keeps the schema version (set by [`migrate`]).
const VERSION_QUERY: &str = "PRAGMA user_version";

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: r2d2::Pool<SqliteConnectionManager>,
    hub: Arc<Hub>,
    /// SQLite has one writer at a time; queueing writers here, not on the database lock, keeps at
    /// most one pooled connection busy writing, so inline reads always find a free one.
    writer: Arc<tokio::sync::Mutex<()>>,
    audit: Arc<AuditQueue>,
    /// One node owns its file, so spent nonces are kept in its memory (a write per signed
    /// request would be SQLite's one writer's busiest job).
    replay: Arc<ReplayCache>,
    /// Always true: the only node leads.
    leader: Arc<tokio::sync::watch::Sender<bool>>,
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
            audit: Arc::new(AuditQueue::default()),
            replay: Arc::new(ReplayCache::new(REPLAY_CAPACITY)),
            leader: Arc::new(tokio::sync::watch::Sender::new(true)),
        };
        let latest = super::sql::latest_event_id(&mut *store.pool.get()?)?;
        store.hub.events_written(latest);
        Ok(store)
    }
}

impl SqlBackend for SqliteStore {
    /// Runs a read on a pooled connection, inline. In WAL mode a reader never waits for a writer,
    /// and these reads are single indexed lookups of microseconds, so a hop to the blocking pool
    /// would cost more than the read (measured: docs/BENCHMARKS.md). Writes, which can wait on the
    /// write lock, go through [`SqlBackend::write`] on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        f(&mut Conn::Sqlite(self.pool.get()?))
    }

    /// One `BEGIN IMMEDIATE` transaction: commits if `f` returns `Ok`, rolls back otherwise.
    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Writer<'_, Conn>) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let hub = self.hub.clone();
        let _turn = self.writer.lock().await;
        tokio::task::spawn_blocking(move || {
            let mut conn = Conn::Sqlite(pool.get().map_err(StoreError::from)?);
            let (out, committed) = super::sql::transaction(&mut conn, "BEGIN IMMEDIATE", f)?;
            committed.publish(&hub);
            Ok(out)
        })
        .await
        .map_err(|e| E::from(StoreError::Join(e.to_string())))?
    }

    fn audit_queue(&self) -> &AuditQueue {
        &self.audit
    }
}

/// SQLite's side of the store's SQL: cached prepared statements, `?N` as written.
impl Sql for Connection {
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<usize, StoreError> {
        Ok(self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(args.iter().map(bind)))?)
    }

    fn rows<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        mut f: impl FnMut(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter().map(bind)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(f(&SqliteRow(row))?);
        }
        Ok(out)
    }

    fn row<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let mut stmt = self.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter().map(bind)))?;
        match rows.next()? {
            Some(row) => Ok(Some(f(&SqliteRow(row))?)),
            None => Ok(None),
        }
    }
}

fn bind<'a>(a: &'a Arg<'a>) -> rusqlite::types::ToSqlOutput<'a> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    ToSqlOutput::Borrowed(match *a {
        Arg::Null => ValueRef::Null,
        Arg::Int(i) => ValueRef::Integer(i),
        Arg::Bool(b) => ValueRef::Integer(i64::from(b)),
        Arg::Text(s) => ValueRef::Text(s.as_bytes()),
        Arg::Blob(b) => ValueRef::Blob(b),
    })
}

struct SqliteRow<'r>(&'r rusqlite::Row<'r>);

impl Row for SqliteRow<'_> {
    fn value(&self, i: usize) -> Result<Value<'_>, StoreError> {
        use rusqlite::types::ValueRef;
        Ok(match self.0.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => Value::Int(n),
            ValueRef::Real(_) => return Err(StoreError::Corrupt(format!("column {i} holds a real number"))),
            ValueRef::Text(t) => Value::Text(
                std::str::from_utf8(t).map_err(|_| StoreError::Corrupt(format!("column {i} is not UTF-8")))?,
            ),
            ValueRef::Blob(b) => Value::Blob(b),
        })
    }
}

impl NonceStore for SqliteStore {
    async fn spend_nonce(&self, scope: &str, nonce: &str, now_secs: i64, keep_until: i64) -> Result<(), NonceError> {
        Ok(self.replay.check_and_remember(scope, nonce, now_secs, keep_until)?)
    }

    async fn forget_nonces(&self, now_secs: i64) -> Result<usize, StoreError> {
        Ok(self.replay.forget(now_secs))
    }
}

impl Admin for SqliteStore {
    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn leadership(&self) -> tokio::sync::watch::Receiver<bool> {
        self.leader.subscribe()
    }

    async fn schema_version(&self) -> Result<super::SchemaVersion, StoreError> {
        self.read(|c| super::SchemaVersion::from_stored(c.row(VERSION_QUERY, &[], |r| r.get(0))?, MIGRATIONS.len()))
            .await
    }

    /// `PRAGMA integrity_check`.
    async fn check(&self) -> Result<String, StoreError> {
        self.read(|c| {
            c.row("PRAGMA integrity_check", &[], |r| r.get::<String>(0))?
                .ok_or_else(|| StoreError::Corrupt("no answer to the integrity check".into()))
        })
        .await
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let stored: i64 = conn.query_row(VERSION_QUERY, [], |r| r.get(0))?;
    let version = super::SchemaVersion::from_stored(Some(stored), MIGRATIONS.len())?.migrated()?;
    // A migration that rebuilds a table (SQLite's way to change a constraint) drops the old one,
    // which with foreign keys on would delete the rows referring to it; SQLite's own procedure is
    // to turn them off outside the transaction and check every reference before committing.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = (|| {
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            let dangling: i64 = tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
            if dangling > 0 {
                return Err(StoreError::Corrupt(format!("migration {} left {dangling} dangling references", i + 1)));
            }
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A store on a fresh file in a temporary folder (kept alive by the returned guard).
    pub(crate) fn store() -> (SqliteStore, tempfile::TempDir) {
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

    /// Migration 14 rebuilds the sessions table: a database at 13 keeps its sessions (with their
    /// sequence) and the staff tokens that refer to them, which a drop with foreign keys on would
    /// have deleted.
    #[test]
    fn rebuilding_sessions_keeps_the_rows_that_refer_to_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut conn = Connection::open(dir.path().join("t.db")).expect("open");
        configure(&mut conn).expect("configure");
        for sql in &MIGRATIONS[..13] {
            conn.execute_batch(sql).expect("migration");
        }
        conn.execute_batch(
            "PRAGMA user_version = 13;
             INSERT INTO applications (id, name, secret_sealed, created_at, secret_rotated_at) VALUES ('a', 'A', x'00', 1, 1);
             INSERT INTO users (id, app_id, external_id, created_at) VALUES (7, 'a', 'ann', 1);
             INSERT INTO sessions (seq, id, token, secret_sealed, app_id, user_id, status, methods, duration_ms,
                                   created_at, updated_at, purpose, verifier)
                 VALUES (41, 's', 't', x'00', 'a', 7, 'active', 'acceptance', 1000, 1, 1, 'verification', 'Hal');
             INSERT INTO staff (id, app_id, name, role, created_at) VALUES ('st', 'a', 'Hal', 'helpdesk', 1);
             INSERT INTO staff_tokens (hash, staff_id, session_id, created_at, expires_at, last_used_at)
                 VALUES (x'01', 'st', 's', 1, 2, 1);",
        )
        .expect("release 13's rows");
        migrate(&mut conn).expect("migrate");
        let kept: (i64, String, i64) = conn
            .query_row(
                "SELECT s.seq, s.verifier, (SELECT COUNT(*) FROM staff_tokens WHERE session_id = s.id) FROM sessions s",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("the session");
        assert_eq!(kept, (41, "Hal".to_owned(), 1));
        let on: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("pragma");
        assert_eq!(on, 1, "foreign keys are on again after migrating");
        // The new purpose is accepted; an unknown one is still refused.
        conn.execute("UPDATE sessions SET purpose = 'recovery_approval'", []).expect("new purpose");
        assert!(conn.execute("UPDATE sessions SET purpose = 'other'", []).is_err());
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
