//! The console's local book (SQLite, numbered migrations): employees and their IAMPASS tokens, the
//! audit log, connection profiles and settings. Synchronous and quick; the console holds it behind
//! a mutex and never across an await. The only module of this crate that speaks SQL.

mod audit;
mod employees;
mod settings;

pub use audit::{AuditEntry, NewAudit};
pub use employees::{AppliedEntry, Employee, EmployeeQuery, EnrollmentState, NewEmployee, SortKey};
pub use settings::Profile;

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{DeskError, DeskResult};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_phone_kind.sql"),
    include_str!("migrations/0003_staff_sign_in.sql"),
    include_str!("migrations/0004_team_book.sql"),
];

#[derive(Debug)]
pub struct Book {
    conn: Connection,
}

impl Book {
    pub fn open(path: &Path) -> DeskResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::init(conn)
    }

    /// A throwaway book, for tests.
    pub fn open_in_memory() -> DeskResult<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> DeskResult<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(DeskError::Storage("the book was written by a newer console; upgrade this one".into()));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }
}

/// Milliseconds since the epoch, as stored.
pub type Millis = i64;
