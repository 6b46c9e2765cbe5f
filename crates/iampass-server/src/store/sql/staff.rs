//! Staff accounts, sign-ins and bearer tokens.

use super::{Row, Sql, SqlBackend, Writer, args, params, sessions, users};
use crate::clock::Millis;
use crate::domain::device::DeviceKind;
use crate::domain::session::{EndedBy, Policy};
use crate::store::*;
use iampass_proto::wire::StaffRole;

const STAFF_COLUMNS: &str = "s.id, s.app_id, s.name, s.role, s.created_at";

/// A bearer token with its staff member, application and sign-in session: read on every request
/// a signed-in staff member makes.
static TOKEN_QUERY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT {STAFF_COLUMNS}, a.name, t.session_id, x.status IN ('active', 'walkaway'), t.expires_at,
                t.last_used_at, a.staff_idle_secs
         FROM staff_tokens t JOIN staff s ON s.id = t.staff_id JOIN applications a ON a.id = s.app_id
         JOIN sessions x ON x.id = t.session_id
         WHERE t.hash = ?1"
    )
});

fn staff_from_row(r: &dyn Row) -> Result<StaffRecord, StoreError> {
    let role: StaffRole = r.get(3)?;
    Ok(StaffRecord { id: r.get(0)?, app_id: r.get(1)?, name: r.get(2)?, role, created_at: r.get(4)? })
}

/// The staff member's user in the realm, if they still have one.
fn realm_user<C: Sql>(c: &mut C, app_id: &str, staff_id: &str) -> Result<Option<UserRow>, StoreError> {
    let realm: Option<String> =
        c.row("SELECT id FROM applications WHERE staff_of = ?1", args![app_id], |r| r.get(0))?;
    match realm {
        Some(realm) => users::find(c, &realm, staff_id),
        None => Ok(None),
    }
}

/// Ends every console token of a staff member and closes their sign-in sessions.
fn end_sign_ins<C: Sql>(
    w: &mut Writer<'_, C>,
    app_id: &str,
    staff_id: &str,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    w.c.exec("DELETE FROM staff_tokens WHERE staff_id = ?1", args![staff_id])?;
    if let Some(user) = realm_user(w.c, app_id, staff_id)? {
        sessions::end_for_user(w, &user, EndedBy::Console, now, policy)?;
    }
    Ok(())
}

impl<B: SqlBackend> StaffStore for B {
    async fn staff_realm(&self, realm: AppRecord) -> Result<AppRecord, StoreError> {
        let parent =
            realm.staff_of.clone().ok_or_else(|| StoreError::Corrupt("a staff realm needs its application".into()))?;
        self.write(move |w| {
            w.c.exec(
                "INSERT INTO applications (id, name, secret_sealed, created_at, secret_rotated_at, number_matching, staff_of)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?6, ?5) ON CONFLICT DO NOTHING",
                args![realm.id, realm.name, realm.secret_sealed, realm.created_at, parent, false],
            )?;
            let id: String = w
                .c
                .row("SELECT id FROM applications WHERE staff_of = ?1", args![parent], |r| r.get(0))?
                .ok_or_else(|| StoreError::Corrupt("the staff realm vanished".into()))?;
            Ok::<_, StoreError>(AppRecord { id, ..realm })
        })
        .await
    }

    async fn add_staff(&self, realm_id: &str, staff: StaffRecord) -> Result<Option<UserRow>, StoreError> {
        let realm_id = realm_id.to_owned();
        self.write(move |w| {
            let n = w.c.exec(
                "INSERT INTO staff (id, app_id, name, role, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                args![staff.id, staff.app_id, staff.name, staff.role.as_str(), staff.created_at],
            )?;
            if n == 0 {
                return Ok(None);
            }
            w.c.exec(
                "INSERT INTO users (app_id, external_id, created_at) VALUES (?1, ?2, ?3)",
                args![realm_id, staff.id, staff.created_at],
            )?;
            users::find(w.c, &realm_id, &staff.id)
        })
        .await
    }

    async fn staff_member(&self, app_id: &str, id_or_name: &str) -> Result<Option<StaffRecord>, StoreError> {
        let (app_id, key) = (app_id.to_owned(), id_or_name.to_owned());
        self.read(move |c| {
            c.row(
                &format!(
                    "SELECT {STAFF_COLUMNS} FROM staff s WHERE s.app_id = ?1 AND (s.id = ?2 OR lower(s.name) = lower(?2))
                     ORDER BY s.id = ?2 DESC LIMIT 1"
                ),
                args![app_id, key],
                staff_from_row,
            )
        })
        .await
    }

    async fn list_staff(&self, app_id: &str) -> Result<Vec<StaffListed>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            c.rows(
                &format!(
                    "SELECT {STAFF_COLUMNS},
                   (SELECT d.kind FROM applications r JOIN users u ON u.app_id = r.id AND u.external_id = s.id
                      AND u.deleted_at IS NULL JOIN devices d ON d.user_id = u.id AND d.disabled_at IS NULL
                    WHERE r.staff_of = s.app_id),
                   (SELECT COUNT(*) FROM staff_tokens t JOIN sessions x ON x.id = t.session_id
                    WHERE t.staff_id = s.id AND x.status IN ('active', 'walkaway'))
                 FROM staff s WHERE s.app_id = ?1 ORDER BY lower(s.name), s.name"
                ),
                args![app_id],
                |r| {
                    Ok(StaffListed {
                        staff: staff_from_row(r)?,
                        phone: r.get::<Option<DeviceKind>>(5)?,
                        signed_in: r.get::<i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
                    })
                },
            )
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
            let n = w.c.exec(
                "UPDATE staff SET role = ?3 WHERE app_id = ?1 AND id = ?2",
                args![app_id, staff_id, role.as_str()],
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
            let exists =
                w.c.row("SELECT 1 FROM staff WHERE app_id = ?1 AND id = ?2", args![app_id, staff_id], |_| Ok(()))?
                    .is_some();
            if !exists {
                return Ok(false);
            }
            end_sign_ins(w, &app_id, &staff_id, now, &policy)?;
            if let Some(user) = realm_user(w.c, &app_id, &staff_id)? {
                users::delete(w, &user, now, &policy)?;
            }
            w.c.exec("DELETE FROM staff WHERE id = ?1", args![staff_id])?;
            Ok(true)
        })
        .await
    }

    async fn set_staff_lifetimes(&self, app_id: &str, token_secs: u64, idle_secs: u64) -> Result<bool, StoreError> {
        let app_id = app_id.to_owned();
        self.write(move |w| {
            w.applications_changed();
            Ok(w.c.exec(
                "UPDATE applications SET staff_token_secs = ?2, staff_idle_secs = ?3 WHERE id = ?1 AND staff_of IS NULL",
                args![app_id, token_secs as i64, idle_secs as i64],
            )? == 1)
        })
        .await
    }

    async fn create_sign_in(&self, id_hash: Vec<u8>, s: SignInRecord) -> Result<(), StoreError> {
        self.write(move |w| {
            w.c.exec(
                "INSERT INTO staff_sign_ins (id_hash, app_id, staff_id, session_id, created_at, expires_at, token_issued)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                args![id_hash, s.app_id, s.staff_id, s.session_id, s.created_at, s.expires_at, false],
            )?;
            Ok(())
        })
        .await
    }

    async fn sign_in(&self, id_hash: Vec<u8>) -> Result<Option<SignInRecord>, StoreError> {
        self.read(move |c| {
            c.row(
                "SELECT app_id, staff_id, session_id, created_at, expires_at, token_issued
                 FROM staff_sign_ins WHERE id_hash = ?1",
                args![id_hash],
                |r| {
                    Ok(SignInRecord {
                        app_id: r.get(0)?,
                        staff_id: r.get(1)?,
                        session_id: r.get(2)?,
                        created_at: r.get(3)?,
                        expires_at: r.get(4)?,
                        token_issued: r.get(5)?,
                    })
                },
            )
        })
        .await
    }

    async fn issue_staff_token(&self, sign_in_hash: Vec<u8>, t: NewStaffToken) -> Result<bool, StoreError> {
        self.write(move |w| {
            let n = w.c.exec(
                "UPDATE staff_sign_ins SET token_issued = ?2 WHERE id_hash = ?1 AND token_issued = ?3",
                args![sign_in_hash, true, false],
            )?;
            if n == 1 {
                w.c.exec(
                    "INSERT INTO staff_tokens (hash, staff_id, session_id, created_at, expires_at, last_used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                    args![t.hash, t.staff_id, t.session_id, t.created_at, t.expires_at],
                )?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn staff_token(&self, hash: Vec<u8>) -> Result<Option<StaffTokenRecord>, StoreError> {
        self.read_row(&TOKEN_QUERY, params![hash], |r| {
            Ok(StaffTokenRecord {
                staff: staff_from_row(r)?,
                app_name: r.get(5)?,
                session_id: r.get(6)?,
                session_live: r.get(7)?,
                expires_at: r.get(8)?,
                last_used_at: r.get(9)?,
                idle_ms: r.get::<i64>(10)?.saturating_mul(1000),
            })
        })
        .await
    }

    async fn touch_staff_token(&self, hash: Vec<u8>, now: Millis) -> Result<(), StoreError> {
        self.write(move |w| {
            w.c.exec("UPDATE staff_tokens SET last_used_at = ?2 WHERE hash = ?1", args![hash, now])?;
            Ok(())
        })
        .await
    }

    async fn end_staff_token(&self, hash: Vec<u8>, now: Millis, policy: Policy) -> Result<bool, StoreError> {
        self.write(move |w| {
            let session: Option<String> =
                w.c.row("DELETE FROM staff_tokens WHERE hash = ?1 RETURNING session_id", args![hash], |r| r.get(0))?;
            let Some(session) = session else { return Ok(false) };
            sessions::end_one(w, &session, EndedBy::Console, now, &policy)?;
            Ok(true)
        })
        .await
    }

    async fn prune_staff(&self, before: Millis) -> Result<(), StoreError> {
        self.write(move |w| {
            w.c.exec("DELETE FROM staff_sign_ins WHERE expires_at < ?1", args![before])?;
            w.c.exec("DELETE FROM staff_tokens WHERE expires_at < ?1", args![before])?;
            Ok(())
        })
        .await
    }
}
