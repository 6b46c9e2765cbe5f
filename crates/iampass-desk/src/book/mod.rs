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

#[cfg(test)]
mod tests {
    use super::*;

    /// A book written by a console from before the team book (schema 3) opens with every
    /// employee kept, each marked as not in the team book yet (version 0), so the first admin
    /// connection uploads it.
    #[test]
    fn a_book_from_before_the_team_book_keeps_every_employee() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
            conn.execute_batch(
                "INSERT INTO employees (id, name, employee_number, created_at, updated_at) VALUES (1, 'Olga', 'O1', 1, 1);
                 INSERT INTO iampass_tokens (employee_id, token, state, updated_at) VALUES (1, 'tok', 'enrolled', 1);",
            )
            .unwrap();
        }
        let book = Book::open(&path).unwrap();
        let olga = book.employee_by_token("tok").unwrap().unwrap();
        assert_eq!((olga.name.as_str(), olga.version, olga.state), ("Olga", 0, EnrollmentState::Enrolled));
        assert_eq!(book.unshared().unwrap().len(), 1);
        assert!(book.shared().unwrap().is_empty());
    }
}
