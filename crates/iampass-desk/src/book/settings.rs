//! Connection profiles and small settings. Secrets are not here (see `secrets.rs`).

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;
use ts_rs::TS;

use super::Book;
use crate::error::DeskResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Profile {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub server_url: String,
    pub application_id: String,
    /// The console runs this server itself.
    pub embedded: bool,
    /// Staff sign in with their phones; no application secret is kept.
    pub staff_sign_in: bool,
}

impl Book {
    fn profile_where(&self, condition: &str) -> DeskResult<Option<Profile>> {
        let sql = format!(
            "SELECT id, name, server_url, application_id, embedded, staff_sign_in FROM profiles WHERE {condition}"
        );
        Ok(self
            .conn
            .query_row(&sql, [], |r| {
                Ok(Profile {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    server_url: r.get(2)?,
                    application_id: r.get(3)?,
                    embedded: r.get(4)?,
                    staff_sign_in: r.get(5)?,
                })
            })
            .optional()?)
    }

    pub fn active_profile(&self) -> DeskResult<Option<Profile>> {
        self.profile_where("active = 1")
    }

    /// Saves a profile and makes it the active one.
    pub fn activate_profile(
        &mut self,
        name: &str,
        server_url: &str,
        application_id: &str,
        embedded: bool,
    ) -> DeskResult<Profile> {
        self.activate(name, server_url, application_id, embedded, false)
    }

    /// Saves a staff sign-in profile (no secret) and makes it the active one.
    pub fn activate_staff_profile(&mut self, server_url: &str, application_id: &str) -> DeskResult<Profile> {
        self.activate(server_url, server_url, application_id, false, true)
    }

    fn activate(
        &mut self,
        name: &str,
        server_url: &str,
        application_id: &str,
        embedded: bool,
        staff_sign_in: bool,
    ) -> DeskResult<Profile> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE profiles SET active = 0", [])?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT id FROM profiles WHERE application_id = ?1 AND embedded = ?2",
                params![application_id, embedded],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(id) => tx.execute(
                "UPDATE profiles SET name = ?2, server_url = ?3, staff_sign_in = ?4, active = 1 WHERE id = ?1",
                params![id, name, server_url, staff_sign_in],
            )?,
            None => tx.execute(
                "INSERT INTO profiles (name, server_url, application_id, embedded, staff_sign_in, active)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1)",
                params![name, server_url, application_id, embedded, staff_sign_in],
            )?,
        };
        tx.commit()?;
        self.active_profile()?.ok_or_else(|| crate::error::DeskError::Storage("the saved profile vanished".into()))
    }

    /// The embedded server's profile, active or not (its application is reused across starts).
    pub fn embedded_profile(&self) -> DeskResult<Option<Profile>> {
        self.profile_where("embedded = 1")
    }

    pub fn setting(&self, key: &str) -> DeskResult<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> DeskResult<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn remove_setting(&mut self, key: &str) -> DeskResult<()> {
        self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_active_profile_at_a_time() {
        let mut b = Book::open_in_memory().unwrap();
        assert!(b.active_profile().unwrap().is_none());
        let a = b.activate_profile("A", "http://a", "app-a", false).unwrap();
        let e = b.activate_profile("Local", "http://127.0.0.1:1", "app-e", true).unwrap();
        assert_eq!(b.active_profile().unwrap(), Some(e.clone()));
        let again = b.activate_profile("A", "http://a2", "app-a", false).unwrap();
        assert_eq!((again.id, again.server_url.as_str()), (a.id, "http://a2"));
        assert_eq!(b.embedded_profile().unwrap().map(|p| p.id), Some(e.id));
        b.set_setting("k", "1").unwrap();
        b.set_setting("k", "2").unwrap();
        assert_eq!(b.setting("k").unwrap().as_deref(), Some("2"));
    }
}
