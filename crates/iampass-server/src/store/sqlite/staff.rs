//! Staff accounts, sign-ins and bearer tokens.

use iampass_proto::wire::StaffRole;
use rusqlite::{OptionalExtension as _, params};

use super::{SqliteStore, sessions, users};
use crate::clock::Millis;
use crate::domain::device::DeviceKind;
use crate::domain::session::{EndedBy, Policy};
use crate::store::*;

const STAFF_COLUMNS: &str = "s.id, s.app_id, s.name, s.role, s.created_at";

fn staff_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StaffRecord, StoreError>> {
    let role: String = r.get(3)?;
    let Some(role) = StaffRole::parse(&role) else {
        return Ok(Err(StoreError::Corrupt(format!("unknown staff role {role:?}"))));
    };
    Ok(Ok(StaffRecord { id: r.get(0)?, app_id: r.get(1)?, name: r.get(2)?, role, created_at: r.get(4)? }))
}

/// The staff member's user in the realm, if they still have one.
fn realm_user(c: &rusqlite::Connection, app_id: &str, staff_id: &str) -> Result<Option<UserRow>, StoreError> {
    let realm: Option<String> = c
        .prepare_cached("SELECT id FROM applications WHERE staff_of = ?1")?
        .query_row([app_id], |r| r.get(0))
        .optional()?;
    match realm {
        Some(realm) => users::find(c, &realm, staff_id),
        None => Ok(None),
    }
}

/// Ends every console token of a staff member and closes their sign-in sessions.
fn end_sign_ins(
    w: &mut super::Writer<'_>,
    app_id: &str,
    staff_id: &str,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    w.tx.execute("DELETE FROM staff_tokens WHERE staff_id = ?1", [staff_id])?;
    if let Some(user) = realm_user(w.tx, app_id, staff_id)? {
        sessions::end_for_user(w, &user, EndedBy::Console, now, policy)?;
    }
    Ok(())
}

impl StaffStore for SqliteStore {
    async fn staff_realm(&self, realm: AppRecord) -> Result<AppRecord, StoreError> {
        let parent =
            realm.staff_of.clone().ok_or_else(|| StoreError::Corrupt("a staff realm needs its application".into()))?;
        self.write(move |w| {
            w.tx.execute(
                "INSERT INTO applications (id, name, secret_sealed, created_at, secret_rotated_at, number_matching, staff_of)
                 VALUES (?1, ?2, ?3, ?4, ?4, 0, ?5) ON CONFLICT DO NOTHING",
                params![realm.id, realm.name, realm.secret_sealed, realm.created_at, parent],
            )?;
            let id: String =
                w.tx.query_row("SELECT id FROM applications WHERE staff_of = ?1", [&parent], |r| r.get(0))?;
            Ok::<_, StoreError>(AppRecord { id, ..realm })
        })
        .await
    }

    async fn add_staff(&self, realm_id: &str, staff: StaffRecord) -> Result<Option<UserRow>, StoreError> {
        let realm_id = realm_id.to_owned();
        self.write(move |w| {
            let n = w.tx.execute(
                "INSERT INTO staff (id, app_id, name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                params![staff.id, staff.app_id, staff.name, staff.role.as_str(), staff.created_at],
            )?;
            if n == 0 {
                return Ok(None);
            }
            w.tx.execute(
                "INSERT INTO users (app_id, external_id, created_at) VALUES (?1, ?2, ?3)",
                params![realm_id, staff.id, staff.created_at],
            )?;
            users::find(w.tx, &realm_id, &staff.id)
        })
        .await
    }

    async fn staff_member(&self, app_id: &str, id_or_name: &str) -> Result<Option<StaffRecord>, StoreError> {
        let (app_id, key) = (app_id.to_owned(), id_or_name.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.app_id = ?1 AND (s.id = ?2 OR s.name = ?2 COLLATE NOCASE)
                 ORDER BY s.id = ?2 DESC LIMIT 1"
            ))?
            .query_row(params![app_id, key], staff_from_row)
            .optional()?
            .transpose()
        })
        .await
    }

    async fn list_staff(&self, app_id: &str) -> Result<Vec<StaffListed>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {STAFF_COLUMNS},
                   (SELECT d.kind FROM applications r JOIN users u ON u.app_id = r.id AND u.external_id = s.id
                      AND u.deleted_at IS NULL JOIN devices d ON d.user_id = u.id AND d.disabled_at IS NULL
                    WHERE r.staff_of = s.app_id),
                   (SELECT COUNT(*) FROM staff_tokens t JOIN sessions x ON x.id = t.session_id
                    WHERE t.staff_id = s.id AND x.status IN ('active', 'walkaway'))
                 FROM staff s WHERE s.app_id = ?1 ORDER BY s.name COLLATE NOCASE"
            ))?;
            let rows = stmt.query_map([app_id], |r| {
                let kind: Option<String> = r.get(5)?;
                Ok(staff_from_row(r)?.map(|staff| StaffListed {
                    staff,
                    phone: kind.as_deref().and_then(DeviceKind::parse),
                    signed_in: r.get::<_, i64>(6).map(|n| n.max(0) as u32).unwrap_or(0),
                }))
            })?;
            rows.map(|r| r.map_err(StoreError::from).and_then(|r| r)).collect()
        })
        .await
    }

    async fn set_staff_role(
        &self,
        app_id: &str,
        staff_id: &str,
        role: StaffRole,
        now: Millis,
        policy: Policy,
    ) -> Result<bool, StoreError> {
        let (app_id, staff_id) = (app_id.to_owned(), staff_id.to_owned());
        self.write(move |w| {
            let n = w.tx.execute(
                "UPDATE staff SET role = ?3 WHERE app_id = ?1 AND id = ?2",
                params![app_id, staff_id, role.as_str()],
            )?;
            if n == 1 {
                end_sign_ins(w, &app_id, &staff_id, now, &policy)?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn remove_staff(
        &self,
        app_id: &str,
        staff_id: &str,
        now: Millis,
        policy: Policy,
    ) -> Result<bool, StoreError> {
        let (app_id, staff_id) = (app_id.to_owned(), staff_id.to_owned());
        self.write(move |w| {
            let exists = w
                .tx
                .query_row("SELECT 1 FROM staff WHERE app_id = ?1 AND id = ?2", params![app_id, staff_id], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                return Ok(false);
            }
            end_sign_ins(w, &app_id, &staff_id, now, &policy)?;
            if let Some(user) = realm_user(w.tx, &app_id, &staff_id)? {
                users::delete(w, &user, now, &policy)?;
            }
            w.tx.execute("DELETE FROM staff WHERE id = ?1", [&staff_id])?;
            Ok(true)
        })
        .await
    }

    async fn set_staff_lifetimes(&self, app_id: &str, token_secs: u64, idle_secs: u64) -> Result<bool, StoreError> {
        let app_id = app_id.to_owned();
        self.write(move |w| {
            Ok(w.tx.execute(
                "UPDATE applications SET staff_token_secs = ?2, staff_idle_secs = ?3 WHERE id = ?1 AND staff_of IS NULL",
                params![app_id, token_secs as i64, idle_secs as i64],
            )? == 1)
        })
        .await
    }

    async fn create_sign_in(&self, id_hash: Vec<u8>, s: SignInRecord) -> Result<(), StoreError> {
        self.write(move |w| {
            w.tx.execute(
                "INSERT INTO staff_sign_ins (id_hash, app_id, staff_id, session_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id_hash, s.app_id, s.staff_id, s.session_id, s.created_at, s.expires_at],
            )?;
            Ok(())
        })
        .await
    }

    async fn sign_in(&self, id_hash: Vec<u8>) -> Result<Option<SignInRecord>, StoreError> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT app_id, staff_id, session_id, created_at, expires_at, token_issued
                 FROM staff_sign_ins WHERE id_hash = ?1",
            )?
            .query_row([id_hash], |r| {
                Ok(SignInRecord {
                    app_id: r.get(0)?,
                    staff_id: r.get(1)?,
                    session_id: r.get(2)?,
                    created_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    token_issued: r.get(5)?,
                })
            })
            .optional()?)
        })
        .await
    }

    async fn issue_staff_token(&self, sign_in_hash: Vec<u8>, t: NewStaffToken) -> Result<bool, StoreError> {
        self.write(move |w| {
            let n = w.tx.execute(
                "UPDATE staff_sign_ins SET token_issued = 1 WHERE id_hash = ?1 AND token_issued = 0",
                [sign_in_hash],
            )?;
            if n == 1 {
                w.tx.execute(
                    "INSERT INTO staff_tokens (hash, staff_id, session_id, created_at, expires_at, last_used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                    params![t.hash, t.staff_id, t.session_id, t.created_at, t.expires_at],
                )?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn staff_token(&self, hash: Vec<u8>) -> Result<Option<StaffTokenRecord>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {STAFF_COLUMNS}, a.name, t.session_id, x.status IN ('active', 'walkaway'), t.expires_at,
                        t.last_used_at, a.staff_idle_secs
                 FROM staff_tokens t JOIN staff s ON s.id = t.staff_id JOIN applications a ON a.id = s.app_id
                 JOIN sessions x ON x.id = t.session_id
                 WHERE t.hash = ?1"
            ))?
            .query_row([hash], |r| {
                Ok(staff_from_row(r)?.map(|staff| StaffTokenRecord {
                    staff,
                    app_name: r.get(5).unwrap_or_default(),
                    session_id: r.get(6).unwrap_or_default(),
                    session_live: r.get(7).unwrap_or(false),
                    expires_at: r.get(8).unwrap_or(0),
                    last_used_at: r.get(9).unwrap_or(0),
                    idle_ms: r.get::<_, i64>(10).unwrap_or(0).saturating_mul(1000),
                }))
            })
            .optional()?
            .transpose()
        })
        .await
    }

    async fn touch_staff_token(&self, hash: Vec<u8>, now: Millis) -> Result<(), StoreError> {
        self.write(move |w| {
            w.tx.execute("UPDATE staff_tokens SET last_used_at = ?2 WHERE hash = ?1", params![hash, now])?;
            Ok(())
        })
        .await
    }

    async fn end_staff_token(&self, hash: Vec<u8>, now: Millis, policy: Policy) -> Result<bool, StoreError> {
        self.write(move |w| {
            let session: Option<String> =
                w.tx.query_row("DELETE FROM staff_tokens WHERE hash = ?1 RETURNING session_id", [hash], |r| r.get(0))
                    .optional()?;
            let Some(session) = session else { return Ok(false) };
            sessions::end_one(w, &session, EndedBy::Console, now, &policy)?;
            Ok(true)
        })
        .await
    }

    async fn prune_staff(&self, before: Millis) -> Result<(), StoreError> {
        self.write(move |w| {
            w.tx.execute("DELETE FROM staff_sign_ins WHERE expires_at < ?1", [before])?;
            w.tx.execute("DELETE FROM staff_tokens WHERE expires_at < ?1", [before])?;
            Ok(())
        })
        .await
    }
}
