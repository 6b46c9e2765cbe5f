//! Recoveries, their evidence and the holds on an employee's recoveries.

use iampass_proto::wire::{EventData, RecoveryChange, RecoveryEvent, RecoveryState};

use super::{Row, Sql, SqlBackend, Writer, args, links};
use crate::clock::Millis;
use crate::domain::recovery::History;
use crate::store::*;

const COLUMNS: &str = "r.id, r.app_id, u.id, u.external_id, u.created_at, r.requested_by, r.requested_by_name,
     r.requested_at, r.reason, r.check_done, r.evidence, r.session_id, r.approver_id, r.approver_name,
     r.approved_at, r.state, r.link_issued_at";

fn from_row(r: &dyn Row) -> Result<RecoveryRow, StoreError> {
    let app_id: String = r.get(1)?;
    let session_id: String = r.get(11)?;
    let evidence = match r.get::<String>(10)?.as_str() {
        "verification" => RecoveryEvidenceRow::Verification { session_id },
        _ => RecoveryEvidenceRow::SecondStaff {
            approver_id: r.get::<Option<String>>(12)?.unwrap_or_default(),
            approver_name: r.get::<Option<String>>(13)?.unwrap_or_default(),
            session_id,
        },
    };
    Ok(RecoveryRow {
        id: r.get(0)?,
        user: UserRow { row: r.get(2)?, app_id: app_id.clone(), external_id: r.get(3)?, created_at: r.get(4)? },
        app_id,
        requested_by: r.get(5)?,
        requested_by_name: r.get(6)?,
        requested_at: r.get(7)?,
        reason: r.get(8)?,
        check: r.get(9)?,
        evidence,
        approved_at: r.get(14)?,
        state: r.get(15)?,
        link_issued_at: r.get(16)?,
    })
}

fn find<C: Sql>(c: &mut C, app_id: &str, id: &str) -> Result<Option<RecoveryRow>, StoreError> {
    c.row(
        &format!(
            "SELECT {COLUMNS} FROM recoveries r JOIN users u ON u.id = r.user_id WHERE r.app_id = ?1 AND r.id = ?2"
        ),
        args![app_id, id],
        from_row,
    )
}

fn emit<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    recovery_id: Option<&str>,
    change: RecoveryChange,
    by: Option<&str>,
    detail: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    let event = RecoveryEvent {
        user_id: user.external_id.clone(),
        recovery_id: recovery_id.map(str::to_owned),
        change,
        by: by.map(str::to_owned),
        detail: detail.map(str::to_owned),
    };
    w.emit(&user.app_id, now, EventData::Recovery(event))
}

fn live_hold<C: Sql>(c: &mut C, user_row: i64) -> Result<Option<(Millis, String)>, StoreError> {
    c.row("SELECT held_at, why FROM recovery_holds WHERE user_id = ?1 AND cleared_at IS NULL", args![user_row], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

impl<B: SqlBackend> RecoveryStore for B {
    async fn had_phone(&self, user_row: i64) -> Result<bool, StoreError> {
        self.read(move |c| {
            Ok(c.row("SELECT 1 FROM devices WHERE user_id = ?1 LIMIT 1", args![user_row], |_| Ok(()))?.is_some())
        })
        .await
    }

    async fn recovery_history(&self, user_row: i64, since: Millis) -> Result<History, StoreError> {
        self.read(move |c| {
            let hold = live_hold(c, user_row)?;
            // A cleared hold starts the count again: what led to it was looked at by an admin.
            let cleared: Option<Millis> = c
                .row("SELECT MAX(cleared_at) FROM recovery_holds WHERE user_id = ?1", args![user_row], |r| r.get(0))?
                .flatten();
            let from = cleared.map_or(since, |at| at.max(since));
            let last_link = c
                .row(
                    "SELECT MAX(link_issued_at) FROM recoveries WHERE user_id = ?1 AND link_issued_at > ?2",
                    args![user_row, from],
                    |r| r.get(0),
                )?
                .flatten();
            // A verification the phone refused (denied, or reported as not the user's own); a
            // timeout is not counted: a lost phone's verification times out because it is lost.
            let refused_verification = c
                .row(
                    "SELECT MAX(updated_at) FROM sessions WHERE user_id = ?1 AND purpose = 'verification'
                       AND updated_at > ?2
                       AND ((status = 'cancelled' AND reason = 'denied') OR (status = 'failed' AND reason = 'fraud'))",
                    args![user_row, from],
                    |r| r.get(0),
                )?
                .flatten();
            Ok(History { hold, last_link, refused_verification })
        })
        .await
    }

    async fn recoveries_asked(&self, app_id: &str, staff_id: &str, since: Millis) -> Result<i64, StoreError> {
        let (app_id, staff_id) = (app_id.to_owned(), staff_id.to_owned());
        self.read(move |c| {
            Ok(c.row(
                "SELECT COUNT(*) FROM recoveries WHERE app_id = ?1 AND requested_by = ?2 AND requested_at > ?3",
                args![app_id, staff_id, since],
                |r| r.get(0),
            )?
            .unwrap_or(0))
        })
        .await
    }

    async fn hold_recoveries(&self, user: &UserRow, why: &str, by: &str, now: Millis) -> Result<(), StoreError> {
        let (user, why, by) = (user.clone(), why.to_owned(), by.to_owned());
        self.write(move |w| {
            if live_hold(w.c, user.row)?.is_some() {
                return Ok(());
            }
            w.c.exec(
                "INSERT INTO recovery_holds (user_id, held_at, why) VALUES (?1, ?2, ?3)",
                args![user.row, now, why],
            )?;
            emit(w, &user, None, RecoveryChange::Held, Some(&by), Some(&why), now)
        })
        .await
    }

    async fn clear_recovery_hold(
        &self,
        user: &UserRow,
        by: &str,
        reason: &str,
        now: Millis,
    ) -> Result<bool, StoreError> {
        let (user, by, reason) = (user.clone(), by.to_owned(), reason.to_owned());
        self.write(move |w| {
            let cleared = w.c.exec(
                "UPDATE recovery_holds SET cleared_at = ?2, cleared_by = ?3, clear_reason = ?4
                 WHERE user_id = ?1 AND cleared_at IS NULL",
                args![user.row, now, by, reason],
            )?;
            if cleared > 0 {
                emit(w, &user, None, RecoveryChange::HoldCleared, Some(&by), Some(&reason), now)?;
            }
            Ok(cleared > 0)
        })
        .await
    }

    async fn create_recovery(&self, row: RecoveryRow, alert: Option<String>) -> Result<(), RecoveryError> {
        self.write(move |w| {
            if live_hold(w.c, row.user.row)?.is_some() {
                return Err(RecoveryRefusal::Held.into());
            }
            let used = w.c.row(
                "SELECT 1 FROM recoveries WHERE session_id = ?1",
                args![row.evidence.session_id()],
                |_| Ok(()),
            )?;
            if used.is_some() {
                return Err(RecoveryRefusal::EvidenceUsed.into());
            }
            let (approver_id, approver_name) = match &row.evidence {
                RecoveryEvidenceRow::SecondStaff { approver_id, approver_name, .. } => {
                    (Some(approver_id.as_str()), Some(approver_name.as_str()))
                }
                RecoveryEvidenceRow::Verification { .. } => (None, None),
            };
            w.c.exec(
                "INSERT INTO recoveries (id, app_id, user_id, requested_by, requested_by_name, requested_at, reason,
                     check_done, evidence, session_id, approver_id, approver_name, approved_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                args![
                    row.id,
                    row.app_id,
                    row.user.row,
                    row.requested_by,
                    row.requested_by_name,
                    row.requested_at,
                    row.reason,
                    row.check.as_str(),
                    row.evidence.kind(),
                    row.evidence.session_id(),
                    approver_id,
                    approver_name,
                    row.approved_at,
                    row.state.as_str()
                ],
            )?;
            let by = Some(row.requested_by_name.as_str());
            emit(w, &row.user, Some(&row.id), RecoveryChange::Requested, by, None, row.requested_at)?;
            if row.state == RecoveryState::Approved {
                emit(w, &row.user, Some(&row.id), RecoveryChange::Approved, by, None, row.requested_at)?;
            }
            if let Some(alert) = alert {
                emit(w, &row.user, Some(&row.id), RecoveryChange::ManyRequests, by, Some(&alert), row.requested_at)?;
            }
            Ok(())
        })
        .await
    }

    async fn recovery(&self, app_id: &str, id: &str) -> Result<Option<RecoveryRow>, StoreError> {
        let (app_id, id) = (app_id.to_owned(), id.to_owned());
        self.read(move |c| find(c, &app_id, &id)).await
    }

    async fn recoveries_of(&self, user_row: i64, limit: u32) -> Result<Vec<RecoveryRow>, StoreError> {
        self.read(move |c| {
            c.rows(
                &format!(
                    "SELECT {COLUMNS} FROM recoveries r JOIN users u ON u.id = r.user_id WHERE r.user_id = ?1
                     ORDER BY r.requested_at DESC, r.id LIMIT ?2"
                ),
                args![user_row, limit],
                from_row,
            )
        })
        .await
    }

    async fn recovery_hold(&self, user_row: i64) -> Result<Option<(Millis, String)>, StoreError> {
        self.read(move |c| live_hold(c, user_row)).await
    }

    async fn settle_recovery(
        &self,
        app_id: &str,
        id: &str,
        state: RecoveryState,
        approved_at: Option<Millis>,
        now: Millis,
    ) -> Result<Option<RecoveryRow>, StoreError> {
        let (app_id, id) = (app_id.to_owned(), id.to_owned());
        self.write(move |w| {
            let Some(before) = find(w.c, &app_id, &id)? else { return Ok(None) };
            if before.state == state {
                return Ok(Some(before));
            }
            w.c.exec(
                "UPDATE recoveries SET state = ?3, approved_at = ?4 WHERE app_id = ?1 AND id = ?2",
                args![app_id, id, state.as_str(), approved_at],
            )?;
            let change = match state {
                RecoveryState::Approved => Some(RecoveryChange::Approved),
                RecoveryState::Refused => Some(RecoveryChange::Refused),
                _ => None,
            };
            if let Some(change) = change {
                let by = match &before.evidence {
                    RecoveryEvidenceRow::SecondStaff { approver_name, .. } => Some(approver_name.as_str()),
                    RecoveryEvidenceRow::Verification { .. } => None,
                };
                emit(w, &before.user, Some(&id), change, by, None, now)?;
            }
            find(w.c, &app_id, &id)
        })
        .await
    }

    async fn issue_recovery_link(
        &self,
        app_id: &str,
        id: &str,
        token_hash: Vec<u8>,
        now: Millis,
        expires_at: Millis,
    ) -> Result<RecoveryRow, RecoveryError> {
        let (app_id, id) = (app_id.to_owned(), id.to_owned());
        self.write(move |w| {
            // Approved, not used, and the employee not held since: checked in the transaction, so
            // two requests for the link get one.
            let Some(row) = find(w.c, &app_id, &id)? else { return Err(RecoveryRefusal::NotApproved.into()) };
            if row.state != RecoveryState::Approved {
                return Err(RecoveryRefusal::NotApproved.into());
            }
            if live_hold(w.c, row.user.row)?.is_some() {
                return Err(RecoveryRefusal::Held.into());
            }
            w.c.exec(
                "UPDATE recoveries SET state = 'used', link_issued_at = ?3 WHERE app_id = ?1 AND id = ?2",
                args![app_id, id, now],
            )?;
            links::issue(w, &row.user, &token_hash, None, now, expires_at)?;
            emit(w, &row.user, Some(&id), RecoveryChange::LinkIssued, Some(&row.requested_by_name), None, now)?;
            Ok(RecoveryRow { state: RecoveryState::Used, link_issued_at: Some(now), ..row })
        })
        .await
    }
}
