//! Storage: the interface the service uses, and its backends. The interface is a set of traits, one
//! per area (`traits.rs`), speaking only the plain records of `records.rs`: no SQL, connection,
//! transaction or closure over one crosses it. Every compound change (issue a link while disabling
//! a lost phone, bind a device, delete users) is one method, so each backend makes it one
//! transaction. A backend implements every trait; [`Db`] names the one the server runs on.
//!
//! What does not belong here: rules (in `domain/`), what a call means (in `service/`).

mod location;
pub(crate) mod nonce;
pub mod postgres;
mod records;
pub mod sql;
pub mod sqlite;
mod traits;

use std::sync::Arc;

pub use location::Location;

pub use records::*;
pub use traits::*;

use crate::hub::Hub;

/// Every store trait, unnamed, for callers that only call methods.
pub mod prelude {
    pub use super::{
        Admin as _, AppStore as _, AuditStore as _, BookStore as _, DeviceStore as _, EventStore as _, LinkStore as _,
        NonceStore as _, PushStore as _, RecoveryStore as _, SecretStore as _, SessionStore as _, StaffStore as _,
        UserStore as _,
    };
}

/// The backend the server runs on, chosen by the database setting ([`Location`]). Both backends
/// answer the store's SQL on the same connection type ([`Conn`]), so the area traits are
/// implemented once for every [`sql::SqlBackend`], this one included; `Db` only forwards the
/// four calls where the backends differ (reads, write transactions, nonces, maintenance).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(sqlite::SqliteStore),
    Postgres(postgres::PgStore),
}

impl Db {
    /// Opens the database `at` (creating a SQLite file if needed) and brings its schema up to
    /// date; a newer schema is refused.
    pub fn open(at: &Location, hub: Arc<Hub>) -> Result<Self, StoreError> {
        Ok(match at {
            Location::Sqlite(path) => Db::Sqlite(sqlite::SqliteStore::open(path, hub)?),
            Location::Postgres(url) => Db::Postgres(postgres::PgStore::open(url.as_str(), hub)?),
        })
    }
}

/// A pooled connection of either backend: what the store's SQL runs on. It lives on the stack for
/// one read or transaction, so the variants' sizes do not matter; boxing would cost an
/// allocation per read.
#[allow(clippy::large_enum_variant)]
pub enum Conn {
    Sqlite(r2d2::PooledConnection<r2d2_sqlite::SqliteConnectionManager>),
    Postgres(r2d2::PooledConnection<postgres::Manager>),
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Conn::Sqlite(_) => "Conn::Sqlite",
            Conn::Postgres(_) => "Conn::Postgres",
        })
    }
}

impl Conn {
    /// Whether the connection died under the last statement (the database restarted, the
    /// network failed), so a statement that failed on it may run again on another.
    pub fn is_broken(&self) -> bool {
        match self {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => c.is_closed(),
        }
    }
}

impl sql::Sql for Conn {
    fn exec(&mut self, sql: &str, args: &[sql::Arg<'_>]) -> Result<usize, StoreError> {
        match self {
            Conn::Sqlite(c) => c.exec(sql, args),
            Conn::Postgres(c) => c.exec(sql, args),
        }
    }

    fn rows<T>(
        &mut self,
        sql: &str,
        args: &[sql::Arg<'_>],
        f: impl FnMut(&dyn sql::Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Conn::Sqlite(c) => c.rows(sql, args, f),
            Conn::Postgres(c) => c.rows(sql, args, f),
        }
    }

    fn row<T>(
        &mut self,
        sql: &str,
        args: &[sql::Arg<'_>],
        f: impl FnOnce(&dyn sql::Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self {
            Conn::Sqlite(c) => c.row(sql, args, f),
            Conn::Postgres(c) => c.row(sql, args, f),
        }
    }
}

impl sql::SqlBackend for Db {
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        match self {
            Db::Sqlite(s) => s.read(f).await,
            Db::Postgres(s) => s.read(f).await,
        }
    }

    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut sql::Writer<'_, Conn>) -> Result<T, E> + Send + 'static,
    {
        match self {
            Db::Sqlite(s) => s.write(f).await,
            Db::Postgres(s) => s.write(f).await,
        }
    }

    fn audit_queue(&self) -> &sql::AuditQueue {
        match self {
            Db::Sqlite(s) => s.audit_queue(),
            Db::Postgres(s) => s.audit_queue(),
        }
    }

    async fn read_row<T, F>(&self, sql: &'static str, params: Vec<sql::Param>, f: F) -> Result<Option<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn sql::Row) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        match self {
            Db::Sqlite(s) => s.read_row(sql, params, f).await,
            Db::Postgres(s) => s.read_row(sql, params, f).await,
        }
    }
}

impl NonceStore for Db {
    async fn spend_nonce(&self, scope: &str, nonce: &str, now_secs: i64, keep_until: i64) -> Result<(), NonceError> {
        match self {
            Db::Sqlite(s) => s.spend_nonce(scope, nonce, now_secs, keep_until).await,
            Db::Postgres(s) => s.spend_nonce(scope, nonce, now_secs, keep_until).await,
        }
    }

    async fn forget_nonces(&self, now_secs: i64) -> Result<usize, StoreError> {
        match self {
            Db::Sqlite(s) => s.forget_nonces(now_secs).await,
            Db::Postgres(s) => s.forget_nonces(now_secs).await,
        }
    }
}

impl Admin for Db {
    fn hub(&self) -> &Arc<Hub> {
        match self {
            Db::Sqlite(s) => s.hub(),
            Db::Postgres(s) => s.hub(),
        }
    }

    fn leadership(&self) -> tokio::sync::watch::Receiver<bool> {
        match self {
            Db::Sqlite(s) => s.leadership(),
            Db::Postgres(s) => s.leadership(),
        }
    }

    async fn schema_version(&self) -> Result<SchemaVersion, StoreError> {
        match self {
            Db::Sqlite(s) => s.schema_version().await,
            Db::Postgres(s) => s.schema_version().await,
        }
    }

    async fn check(&self) -> Result<String, StoreError> {
        match self {
            Db::Sqlite(s) => s.check().await,
            Db::Postgres(s) => s.check().await,
        }
    }
}

/// Everything a backend is: every area, plus the operator's maintenance.
pub trait Store:
    AppStore
    + UserStore
    + DeviceStore
    + LinkStore
    + SessionStore
    + EventStore
    + AuditStore
    + PushStore
    + StaffStore
    + BookStore
    + RecoveryStore
    + NonceStore
    + SecretStore
    + Admin
{
}

impl<T> Store for T where
    T: AppStore
        + UserStore
        + DeviceStore
        + LinkStore
        + SessionStore
        + EventStore
        + AuditStore
        + PushStore
        + StaffStore
        + BookStore
        + RecoveryStore
        + NonceStore
        + SecretStore
        + Admin
{
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed, with the backend's own error in the message (not also as
    /// the source, or a report of the error chain would say it twice).
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
    #[error("database task failed: {0}")]
    Join(String),
    #[error("database schema is newer ({found}) than this server knows ({known}); upgrade the server")]
    SchemaTooNew { found: usize, known: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A write made together with others (the audit log's batches) failed; the cause is in the
    /// log once.
    #[error("a grouped write failed: {0}")]
    Grouped(String),
}

/// A pool of either backend could not hand out a connection in time.
impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

/// Which kind of sealed secret a row holds (the caller knows how each is sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedSecret {
    Application,
    Session,
    /// A secret the server made for itself (the id is its name: `vapid`).
    Server,
}

/// How many secrets of each kind a re-seal touched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    pub applications: usize,
    pub sessions: usize,
    pub server: usize,
}

/// The schema a database is at (`found`) and the one this server's migrations reach (`known`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaVersion {
    pub found: usize,
    pub known: usize,
}

impl SchemaVersion {
    /// From the version a database stores (none yet: a new database) and the number of this
    /// server's migrations.
    pub fn from_stored(found: Option<i64>, known: usize) -> Result<Self, StoreError> {
        let found =
            usize::try_from(found.unwrap_or(0)).map_err(|_| StoreError::Corrupt("negative schema version".into()))?;
        Ok(Self { found, known })
    }

    /// How many migrations have run, unless a newer release migrated the database further.
    pub fn migrated(self) -> Result<usize, StoreError> {
        if self.found > self.known {
            return Err(StoreError::SchemaTooNew { found: self.found, known: self.known });
        }
        Ok(self.found)
    }
}

/// Every sealed secret at once, for key rotation (written once for every SQL backend).
pub trait SecretStore {
    /// Re-seals every sealed secret through `f` (given which kind, the record's id, token or name,
    /// and the sealed bytes), in one transaction: all or none.
    fn reseal_secrets<F>(&self, f: F) -> impl Future<Output = Result<Resealed, StoreError>> + Send
    where
        F: Fn(SealedSecret, &str, &[u8]) -> Result<Vec<u8>, String> + Send + 'static;
}

/// What the operator's commands and the server's start-up need of a backend, beyond the areas.
pub trait Admin {
    /// The in-process hub that this backend wakes after each commit (and, on a shared database,
    /// after each commit another node makes).
    fn hub(&self) -> &Arc<Hub>;

    /// Whether this node runs the work that must run once however many nodes share the
    /// database (the sweeper, the webhook); it follows the database's say.
    fn leadership(&self) -> tokio::sync::watch::Receiver<bool>;

    /// The database's schema version beside the one this server knows: a load balancer's
    /// readiness check (`/readyz`), which fails when the database is unreachable or was migrated
    /// by a newer server during a rolling upgrade.
    fn schema_version(&self) -> impl Future<Output = Result<SchemaVersion, StoreError>> + Send;

    /// The backend's own consistency check; `"ok"` when it finds nothing wrong.
    fn check(&self) -> impl Future<Output = Result<String, StoreError>> + Send;
}
