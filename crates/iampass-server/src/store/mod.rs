//! Storage: the interface the service uses, and its backends. The interface is a set of traits, one
//! per area (`traits.rs`), speaking only the plain records of `records.rs`: no SQL, connection,
//! transaction or closure over one crosses it. Every compound change (issue a link while disabling
//! a lost phone, bind a device, delete users) is one method, so each backend makes it one
//! transaction. A backend implements every trait; [`Db`] names the one the server runs on.
//!
//! What does not belong here: rules (in `domain/`), what a call means (in `service/`).

mod records;
pub mod sql;
pub mod sqlite;
mod traits;

use std::sync::Arc;

pub use records::*;
pub use traits::*;

use crate::hub::Hub;

/// Every store trait, unnamed, for callers that only call methods.
pub mod prelude {
    pub use super::{
        Admin as _, AppStore as _, AuditStore as _, DeviceStore as _, EventStore as _, LinkStore as _, PushStore as _,
        SessionStore as _, StaffStore as _, UserStore as _,
    };
}

/// The backend the server runs on. With a second backend this becomes an enum that implements the
/// same traits by delegating to the backend it holds; nothing outside `store/` changes.
pub type Db = sqlite::SqliteStore;

/// Everything a backend is: every area, plus the operator's maintenance.
pub trait Store:
    AppStore + UserStore + DeviceStore + LinkStore + SessionStore + EventStore + AuditStore + PushStore + StaffStore + Admin
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
        + Admin
{
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed; the backend's own error is the source.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
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

/// What the operator's commands and the server's start-up need of a backend, beyond the areas.
pub trait Admin {
    /// The in-process hub that this backend wakes after each commit.
    fn hub(&self) -> &Arc<Hub>;

    /// Re-seals every sealed secret through `f` (given which kind, the record's id, token or name,
    /// and the sealed bytes), in one transaction: all or none.
    fn reseal_secrets<F>(&self, f: F) -> impl Future<Output = Result<Resealed, StoreError>> + Send
    where
        F: Fn(SealedSecret, &str, &[u8]) -> Result<Vec<u8>, String> + Send + 'static;

    /// The database's schema version beside the one this server knows: a load balancer's
    /// readiness check (`/readyz`), which fails when the database is unreachable or was migrated
    /// by a newer server during a rolling upgrade.
    fn schema_version(&self) -> impl Future<Output = Result<SchemaVersion, StoreError>> + Send;

    /// The backend's own consistency check; `"ok"` when it finds nothing wrong.
    fn check(&self) -> impl Future<Output = Result<String, StoreError>> + Send;
}
