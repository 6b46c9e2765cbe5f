//! Devices (phones): binding, presence, disabling. A device is never deleted, only disabled with
//! a reason, so its history stays.

use super::users::user_event;
use super::{Sql, SqlBackend, Writer, args, sessions};
use crate::clock::{Millis, rfc3339};
use crate::domain::device::{DeviceEnd, DeviceKind};
use crate::domain::session::{Policy, Trigger};
use crate::store::*;
use iampass_proto::wire::{DeviceSummary, SessionSummary, UserChange};

pub(super) fn insert<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    d: &NewDevice,
    now: Millis,
) -> Result<(), StoreError> {
    w.c.exec(
        "INSERT INTO devices (id, user_id, kind, credential, name, platform, bound_at, bound_from, bound_user_agent,
                              last_seen_at, synced)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?7, ?10)",
        args![
            d.id,
            user.row,
            d.kind.as_str(),
            d.credential,
            d.name,
            d.platform,
            now,
            d.bound_from,
            d.user_agent,
            d.synced
        ],
    )?;
    w.emit(&user.app_id, now, user_event(&user.external_id, UserChange::DeviceBound, Some(d.id.clone()), None))
}

/// Disables the user's active phone, if any, ending the sessions it holds. Returns its id.
pub(super) fn disable_active<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    reason: DeviceEnd,
    now: Millis,
    policy: &Policy,
) -> Result<Option<String>, StoreError> {
    let id: Option<String> =
        w.c.row("SELECT id FROM devices WHERE user_id = ?1 AND disabled_at IS NULL", args![user.row], |r| r.get(0))?;
    let Some(id) = id else { return Ok(None) };
    disable(w, user, &id, reason, now, policy)?;
    Ok(Some(id))
}

/// Disables one device (if still active), ending the sessions it holds.
fn disable<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    id: &str,
    reason: DeviceEnd,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    let n = w.c.exec(
        "UPDATE devices SET disabled_at = ?2, disabled_reason = ?3 WHERE id = ?1 AND disabled_at IS NULL",
        args![id, now, reason.as_str()],
    )?;
    if n == 1 {
        sessions::end_for_device(w, id, reason.ends_sessions_as(), now, policy)?;
        w.emit(
            &user.app_id,
            now,
            user_event(&user.external_id, UserChange::DeviceDisabled, Some(id.to_owned()), Some(reason.as_str())),
        )?;
    }
    Ok(())
}

pub(super) fn active_summary<C: Sql>(c: &mut C, user_row: i64) -> Result<Option<DeviceSummary>, StoreError> {
    c.row(
        "SELECT id, name, platform, bound_at, nearby, last_seen_at, kind, synced
         FROM devices WHERE user_id = ?1 AND disabled_at IS NULL",
        args![user_row],
        |r| {
            let kind: DeviceKind = r.get(6)?;
            Ok(DeviceSummary {
                device_id: r.get(0)?,
                name: r.get(1)?,
                platform: r.get(2)?,
                bound_at: rfc3339(r.get(3)?),
                nearby: r.get(4)?,
                last_seen_at: r.get::<Option<i64>>(5)?.map(rfc3339),
                kind: kind.wire(),
                synced: r.get(7)?,
            })
        },
    )
}

impl<B: SqlBackend> DeviceStore for B {
    async fn device(&self, id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            c.row(
                "SELECT d.id, u.id, u.app_id, u.external_id, u.created_at, u.deleted_at IS NOT NULL, a.name,
                        d.kind, d.credential, d.name, d.nearby, d.disabled_reason, d.synced
                 FROM devices d JOIN users u ON u.id = d.user_id JOIN applications a ON a.id = u.app_id
                 WHERE d.id = ?1",
                args![id],
                |r| {
                    Ok(DeviceRecord {
                        id: r.get(0)?,
                        user: UserRow {
                            row: r.get(1)?,
                            app_id: r.get(2)?,
                            external_id: r.get(3)?,
                            created_at: r.get(4)?,
                        },
                        user_deleted: r.get(5)?,
                        app_name: r.get(6)?,
                        kind: r.get(7)?,
                        credential: r.get(8)?,
                        name: r.get(9)?,
                        nearby: r.get(10)?,
                        ended: r.get(11)?,
                        synced: r.get(12)?,
                    })
                },
            )
        })
        .await
    }

    async fn set_presence(
        &self,
        device: &DeviceRecord,
        nearby: bool,
        now: Millis,
        policy: Policy,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let device = device.clone();
        self.write(move |w| {
            let changed = w.c.exec(
                "UPDATE devices SET nearby = ?2, last_seen_at = ?3 WHERE id = ?1 AND nearby != ?2",
                args![device.id, nearby, now],
            )?;
            if changed == 1 {
                let reason = if nearby { "near" } else { "away" };
                let ev = user_event(
                    &device.user.external_id,
                    UserChange::PresenceChanged,
                    Some(device.id.clone()),
                    Some(reason),
                );
                w.emit(&device.user.app_id, now, ev)?;
            }
            sessions::apply_to_device(w, &device.id, &Trigger::Presence { nearby }, now, &policy)
        })
        .await
    }

    async fn remove_device(&self, device: &DeviceRecord, now: Millis, policy: Policy) -> Result<(), StoreError> {
        let (user, id) = (device.user.clone(), device.id.clone());
        self.write(move |w| disable(w, &user, &id, DeviceEnd::Removed, now, &policy)).await
    }

    async fn stop_phone(&self, user: &UserRow, now: Millis, policy: Policy) -> Result<Option<String>, StoreError> {
        let user = user.clone();
        self.write(move |w| disable_active(w, &user, DeviceEnd::Lost, now, &policy)).await
    }

    async fn touch_device(&self, id: &str, now: Millis) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            w.c.exec("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1", args![id, now])?;
            Ok(())
        })
        .await
    }

    async fn update_credential(
        &self,
        id: &str,
        credential: Vec<u8>,
        synced: Option<bool>,
        now: Millis,
    ) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            w.c.exec(
                "UPDATE devices SET credential = ?2, synced = ?3, last_seen_at = ?4
                 WHERE id = ?1 AND disabled_reason IS NULL",
                args![id, credential, synced, now],
            )?;
            Ok(())
        })
        .await
    }
}
