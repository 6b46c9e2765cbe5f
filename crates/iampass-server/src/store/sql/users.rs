//! Users table, and what deleting a user ends with it.

use super::{Row, Sql, SqlBackend, Writer, args, devices, links, params, sessions};
use crate::clock::{Millis, rfc3339};
use crate::domain::device::DeviceEnd;
use crate::domain::session::{EndedBy, Policy};
use crate::store::*;
use iampass_proto::wire::{EventData, UserChange, UserEvent, UserSummary};

pub(super) fn find<C: Sql>(c: &mut C, app_id: &str, external_id: &str) -> Result<Option<UserRow>, StoreError> {
    Ok(c.row(WITH_DEVICE, args![app_id, external_id], |r| with_device(r, app_id, external_id))?.map(|(user, _)| user))
}

/// The live user and the id of their active phone, in one indexed lookup.
const WITH_DEVICE: &str = "SELECT u.id, u.created_at, d.id FROM users u
     LEFT JOIN devices d ON d.user_id = u.id AND d.disabled_at IS NULL
     WHERE u.app_id = ?1 AND u.external_id = ?2 AND u.deleted_at IS NULL";

fn with_device(r: &dyn Row, app_id: &str, external_id: &str) -> Result<(UserRow, Option<String>), StoreError> {
    let user = UserRow {
        row: r.get(0)?,
        app_id: app_id.to_owned(),
        external_id: external_id.to_owned(),
        created_at: r.get(1)?,
    };
    Ok((user, r.get(2)?))
}

pub(super) fn user_event(
    user_id: &str,
    change: UserChange,
    device_id: Option<String>,
    reason: Option<&str>,
) -> EventData {
    EventData::User(UserEvent { user_id: user_id.to_owned(), change, device_id, reason: reason.map(str::to_owned) })
}

/// Adds a user unless a live one has this id; whether it was added.
pub(super) fn add<C: Sql>(w: &mut Writer<'_, C>, app_id: &str, id: &str, now: Millis) -> Result<bool, StoreError> {
    let n = w.c.exec(
        "INSERT INTO users (app_id, external_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (app_id, external_id) WHERE deleted_at IS NULL DO NOTHING",
        args![app_id, id, now],
    )?;
    if n == 1 {
        w.emit(app_id, now, user_event(id, UserChange::Added, None, None))?;
    }
    Ok(n == 1)
}

/// Deletes a user: their sessions close, their phone is disabled, their link revoked.
pub(super) fn delete<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    sessions::end_for_user(w, user, EndedBy::UserDeleted, now, policy)?;
    devices::disable_active(w, user, DeviceEnd::UserDeleted, now, policy)?;
    links::revoke_live(w.c, user.row, now)?;
    w.c.exec("UPDATE users SET deleted_at = ?2 WHERE id = ?1", args![user.row, now])?;
    w.emit(&user.app_id, now, user_event(&user.external_id, UserChange::Deleted, None, None))
}

impl<B: SqlBackend> UserStore for B {
    async fn clear_push_cap(&self, user: &UserRow, now: Millis) -> Result<(), StoreError> {
        let row = user.row;
        self.write(move |w| {
            w.c.exec("UPDATE users SET push_cap_cleared_at = ?2 WHERE id = ?1", args![row, now])?;
            Ok(())
        })
        .await
    }

    async fn note_push_capped(
        &self,
        user: &UserRow,
        now: Millis,
        since: Millis,
        reason: String,
    ) -> Result<bool, StoreError> {
        let user = user.clone();
        self.write(move |w| {
            let marked = w.c.exec(
                "UPDATE users SET push_capped_at = ?2
                 WHERE id = ?1 AND (push_capped_at IS NULL OR push_capped_at < ?3)",
                args![user.row, now, since],
            )?;
            if marked == 1 {
                w.emit(&user.app_id, now, user_event(&user.external_id, UserChange::PushCapped, None, Some(&reason)))?;
            }
            Ok(marked == 1)
        })
        .await
    }

    async fn user(&self, app_id: &str, external_id: &str) -> Result<Option<UserRow>, StoreError> {
        Ok(self.user_with_device(app_id, external_id).await?.map(|(user, _)| user))
    }

    async fn user_with_device(
        &self,
        app_id: &str,
        external_id: &str,
    ) -> Result<Option<(UserRow, Option<String>)>, StoreError> {
        let (app, external) = (app_id.to_owned(), external_id.to_owned());
        self.read_row(WITH_DEVICE, params![app_id, external_id], move |r| with_device(r, &app, &external)).await
    }

    async fn add_users(
        &self,
        app_id: &str,
        ids: Vec<String>,
        now: Millis,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let app_id = app_id.to_owned();
        self.write(move |w| {
            let (mut created, mut existing) = (Vec::new(), Vec::new());
            for id in ids {
                if add(w, &app_id, &id, now)? {
                    created.push(id);
                } else {
                    existing.push(id);
                }
            }
            Ok((created, existing))
        })
        .await
    }

    async fn delete_users(
        &self,
        app_id: &str,
        ids: Vec<String>,
        now: Millis,
        policy: Policy,
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let app_id = app_id.to_owned();
        self.write(move |w| {
            let (mut deleted, mut missing) = (Vec::new(), Vec::new());
            for id in ids {
                let Some(user) = find(w.c, &app_id, &id)? else {
                    missing.push(id);
                    continue;
                };
                delete(w, &user, now, &policy)?;
                deleted.push(id);
            }
            Ok((deleted, missing))
        })
        .await
    }

    async fn list_users(
        &self,
        app_id: &str,
        only: Option<String>,
        after: i64,
        limit: u32,
        now: Millis,
    ) -> Result<(Vec<UserSummary>, Option<i64>), StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let rows = c.rows(
                "SELECT u.id, u.external_id, u.created_at,
                        (SELECT MAX(l.expires_at) FROM registration_links l
                          WHERE l.user_id = u.id AND l.state = 'live' AND l.expires_at > ?4)
                 FROM users u WHERE u.app_id = ?1 AND u.deleted_at IS NULL AND u.id > ?2
                   AND (CAST(?5 AS TEXT) IS NULL OR u.external_id = ?5)
                 ORDER BY u.id LIMIT ?3",
                args![app_id, after, limit + 1, now, only],
                |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?, r.get::<Option<i64>>(3)?)),
            )?;
            let more = rows.len() > limit as usize;
            let mut out = Vec::new();
            let mut last = None;
            for (row, external_id, created_at, link) in rows.into_iter().take(limit as usize) {
                let device = devices::active_summary(c, row)?;
                out.push(UserSummary {
                    user_id: external_id,
                    created_at: rfc3339(created_at),
                    device_registered: device.is_some(),
                    device,
                    registration_link_expires_at: link.map(rfc3339),
                });
                last = Some(row);
            }
            Ok((out, if more { last } else { None }))
        })
        .await
    }
}
