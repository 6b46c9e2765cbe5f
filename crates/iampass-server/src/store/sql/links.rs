//! Registration links: issued hashed, one live per user, single use, expiring; and binding a
//! phone at one, which is where a device comes into being.

use iampass_proto::wire::UserChange;

use super::users::user_event;
use super::{Sql, SqlBackend, Writer, args, devices};
use crate::clock::Millis;
use crate::domain::device::DeviceEnd;
use crate::domain::link;
use crate::domain::session::Policy;
use crate::store::*;

pub(super) fn revoke_live<C: Sql>(c: &mut C, user_row: i64, now: Millis) -> Result<usize, StoreError> {
    c.exec(
        "UPDATE registration_links SET state = 'revoked', ended_at = ?2 WHERE user_id = ?1 AND state = 'live'",
        args![user_row, now],
    )
}

/// Issues a new link for `user`, revoking any live one (one live link per user).
pub(super) fn issue<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    token_hash: &[u8],
    display_name: Option<&str>,
    now: Millis,
    expires_at: Millis,
) -> Result<(), StoreError> {
    revoke_live(w.c, user.row, now)?;
    w.c.exec(
        "INSERT INTO registration_links (token_hash, user_id, display_name, created_at, expires_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, 'live')",
        args![token_hash, user.row, display_name, now, expires_at],
    )?;
    w.emit(&user.app_id, now, user_event(&user.external_id, UserChange::LinkIssued, None, None))
}

fn info<C: Sql>(c: &mut C, token_hash: &[u8]) -> Result<Option<LinkInfo>, StoreError> {
    c.row(
        "SELECT l.state, l.expires_at, l.display_name, u.id, u.app_id, u.external_id, u.created_at,
                u.deleted_at IS NOT NULL, a.name
         FROM registration_links l JOIN users u ON u.id = l.user_id JOIN applications a ON a.id = u.app_id
         WHERE l.token_hash = ?1",
        args![token_hash],
        |r| {
            Ok(LinkInfo {
                state: r.get(0)?,
                expires_at: r.get(1)?,
                display_name: r.get(2)?,
                user: UserRow { row: r.get(3)?, app_id: r.get(4)?, external_id: r.get(5)?, created_at: r.get(6)? },
                user_deleted: r.get(7)?,
                app_name: r.get(8)?,
            })
        },
    )
}

impl<B: SqlBackend> LinkStore for B {
    async fn issue_link(
        &self,
        user: UserRow,
        token_hash: Vec<u8>,
        display_name: Option<String>,
        now: Millis,
        expires_at: Millis,
        lost: Option<Policy>,
    ) -> Result<(), StoreError> {
        self.write(move |w| {
            if let Some(policy) = lost {
                devices::disable_active(w, &user, DeviceEnd::Lost, now, &policy)?;
            }
            issue(w, &user, &token_hash, display_name.as_deref(), now, expires_at)
        })
        .await
    }

    async fn link_info(&self, token_hash: Vec<u8>) -> Result<Option<LinkInfo>, StoreError> {
        self.read(move |c| info(c, &token_hash)).await
    }

    async fn bind_device(
        &self,
        token_hash: Vec<u8>,
        device: NewDevice,
        now: Millis,
        policy: Policy,
    ) -> Result<BindOutcome, StoreError> {
        self.write(move |w| {
            let Some(link) = info(w.c, &token_hash)? else { return Ok(BindOutcome::Unknown) };
            if let Err(refusal) = link::usable(link.state, link.expires_at, link.user_deleted, now) {
                return Ok(BindOutcome::Refused(refusal));
            }
            w.c.exec(
                "UPDATE registration_links SET state = 'used', ended_at = ?2 WHERE token_hash = ?1",
                args![token_hash, now],
            )?;
            devices::disable_active(w, &link.user, DeviceEnd::Replaced, now, &policy)?;
            devices::insert(w, &link.user, &device, now)?;
            Ok(BindOutcome::Bound { user: link.user, app_name: link.app_name, display_name: link.display_name })
        })
        .await
    }
}
