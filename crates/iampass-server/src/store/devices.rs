//! Devices (phones): binding, presence, disabling. A device is never deleted, only disabled with
//! a reason, so its history stays.

use iampass_proto::wire::{DeviceSummary, SessionSummary, UserChange};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::users::user_event;
use super::{Store, StoreError, UserRow, Writer, sessions};
use crate::clock::{Millis, rfc3339};
use crate::domain::session::{EndedBy, Policy, Trigger};

#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: String,
    pub public_key: Vec<u8>,
    pub name: String,
    pub platform: String,
    pub bound_from: Option<String>,
    pub user_agent: Option<String>,
}

/// A device and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: String,
    pub user: UserRow,
    pub user_deleted: bool,
    pub app_name: String,
    pub public_key: Vec<u8>,
    pub name: String,
    pub nearby: bool,
    pub disabled_reason: Option<String>,
}

impl DeviceRecord {
    pub fn is_active(&self) -> bool {
        self.disabled_reason.is_none() && !self.user_deleted
    }
}

pub(super) fn insert(w: &mut Writer<'_>, user: &UserRow, d: &NewDevice, now: Millis) -> Result<(), StoreError> {
    w.tx.prepare_cached(
        "INSERT INTO devices (id, user_id, public_key, name, platform, bound_at, bound_from, bound_user_agent, last_seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6)",
    )?
    .execute(params![d.id, user.row, d.public_key, d.name, d.platform, now, d.bound_from, d.user_agent])?;
    w.emit(&user.app_id, now, user_event(&user.external_id, UserChange::DeviceBound, Some(d.id.clone()), None))
}

/// Disables the user's active phone, if any, ending the sessions it holds. Returns its id.
pub fn disable_active(
    w: &mut Writer<'_>,
    user: &UserRow,
    reason: &str,
    now: Millis,
    policy: &Policy,
) -> Result<Option<String>, StoreError> {
    let id: Option<String> =
        w.tx.prepare_cached("SELECT id FROM devices WHERE user_id = ?1 AND disabled_at IS NULL")?
            .query_row([user.row], |r| r.get(0))
            .optional()?;
    let Some(id) = id else { return Ok(None) };
    disable(w, user, &id, reason, now, policy)?;
    Ok(Some(id))
}

/// Disables one device (if still active), ending the sessions it holds.
fn disable(
    w: &mut Writer<'_>,
    user: &UserRow,
    id: &str,
    reason: &str,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    let by = match reason {
        "lost" => EndedBy::DeviceLost,
        "replaced" => EndedBy::DeviceReplaced,
        "user_deleted" => EndedBy::UserDeleted,
        _ => EndedBy::DeviceRemoved,
    };
    let n = w.tx.execute(
        "UPDATE devices SET disabled_at = ?2, disabled_reason = ?3 WHERE id = ?1 AND disabled_at IS NULL",
        params![id, now, reason],
    )?;
    if n == 1 {
        sessions::end_for_device(w, id, by, now, policy)?;
        w.emit(
            &user.app_id,
            now,
            user_event(&user.external_id, UserChange::DeviceDisabled, Some(id.to_owned()), Some(reason)),
        )?;
    }
    Ok(())
}

pub(super) fn active_summary(c: &Connection, user_row: i64) -> Result<Option<DeviceSummary>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT id, name, platform, bound_at, nearby, last_seen_at FROM devices WHERE user_id = ?1 AND disabled_at IS NULL",
    )?
    .query_row([user_row], |r| {
        Ok(DeviceSummary {
            device_id: r.get(0)?,
            name: r.get(1)?,
            platform: r.get(2)?,
            bound_at: rfc3339(r.get(3)?),
            nearby: r.get(4)?,
            last_seen_at: r.get::<_, Option<i64>>(5)?.map(rfc3339),
        })
    })
    .optional()?)
}

impl Store {
    pub async fn device(&self, id: &str) -> Result<Option<DeviceRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT d.id, u.id, u.app_id, u.external_id, u.created_at, u.deleted_at IS NOT NULL, a.name,
                        d.public_key, d.name, d.nearby, d.disabled_reason
                 FROM devices d JOIN users u ON u.id = d.user_id JOIN applications a ON a.id = u.app_id
                 WHERE d.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(DeviceRecord {
                    id: r.get(0)?,
                    user: UserRow { row: r.get(1)?, app_id: r.get(2)?, external_id: r.get(3)?, created_at: r.get(4)? },
                    user_deleted: r.get(5)?,
                    app_name: r.get(6)?,
                    public_key: r.get(7)?,
                    name: r.get(8)?,
                    nearby: r.get(9)?,
                    disabled_reason: r.get(10)?,
                })
            })
            .optional()?)
        })
        .await
    }

    /// Records that the phone is, or is not, near its user; its live sessions follow.
    pub async fn set_presence(
        &self,
        device: &DeviceRecord,
        nearby: bool,
        now: Millis,
        policy: Policy,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let device = device.clone();
        self.write(move |w| {
            let changed = w.tx.execute(
                "UPDATE devices SET nearby = ?2, last_seen_at = ?3 WHERE id = ?1 AND nearby != ?2",
                params![device.id, nearby, now],
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

    /// The phone unregisters itself (or is removed): disabled, its sessions closed.
    pub async fn remove_device(&self, device: &DeviceRecord, now: Millis, policy: Policy) -> Result<(), StoreError> {
        let (user, id) = (device.user.clone(), device.id.clone());
        self.write(move |w| disable(w, &user, &id, "removed", now, &policy)).await
    }

    pub async fn touch_device(&self, id: &str, now: Millis) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            w.tx.prepare_cached("UPDATE devices SET last_seen_at = ?2 WHERE id = ?1")?.execute(params![id, now])?;
            Ok(())
        })
        .await
    }
}
