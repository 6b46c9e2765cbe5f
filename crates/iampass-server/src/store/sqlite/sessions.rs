//! Login sessions: creating them, applying the domain's transitions in a transaction (each change
//! one event), the phone's view, the console's paged listing, and the sweeper's due deadlines.

use iampass_proto::wire::{EventData, Method, RequestPurpose, SessionStatus, SessionSummary};
use rusqlite::{Connection, OptionalExtension as _, params};

use super::{SqliteStore, Writer, methods_from_db};
use crate::clock::Millis;
use crate::domain::session::{self, EndedBy, Facts, Policy, Refused, Trigger};
use crate::store::*;

const SELECT: &str = "SELECT s.seq, s.id, s.app_id, s.user_id, u.external_id, s.device_id, d.name, s.status, s.reason,
        s.methods, s.satisfied, s.duration_ms, s.created_at, s.authenticated_at, s.walkaway_since, s.updated_at, s.code,
        s.origin_address, s.origin_agent, s.purpose, s.verifier
     FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN devices d ON d.id = s.device_id";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SessionRow, StoreError>> {
    let status: String = r.get(7)?;
    let methods: String = r.get(9)?;
    let satisfied: String = r.get(10)?;
    let Some(status) = SessionStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!("unknown session status {status:?}"))));
    };
    let purpose: String = r.get(19)?;
    let Some(purpose) = RequestPurpose::parse(&purpose) else {
        return Ok(Err(StoreError::Corrupt(format!("unknown session purpose {purpose:?}"))));
    };
    let (methods, satisfied) = match (methods_from_db(&methods), methods_from_db(&satisfied)) {
        (Ok(m), Ok(s)) => (m, s),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    Ok(Ok(SessionRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        app_id: r.get(2)?,
        user_row: r.get(3)?,
        user_id: r.get(4)?,
        device_id: r.get(5)?,
        device_name: r.get(6)?,
        status,
        reason: r.get(8)?,
        methods,
        satisfied,
        duration_ms: r.get(11)?,
        created_at: r.get(12)?,
        authenticated_at: r.get(13)?,
        walkaway_since: r.get(14)?,
        updated_at: r.get(15)?,
        code: r.get(16)?,
        origin: RequestOrigin { address: r.get(17)?, user_agent: r.get(18)? },
        purpose,
        verifier: r.get(20)?,
    }))
}

fn query(c: &Connection, where_clause: &str, params: impl rusqlite::Params) -> Result<Vec<SessionRow>, StoreError> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} {where_clause}"))?;
    let rows = stmt.query_map(params, from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

fn by_id(c: &Connection, id: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(query(c, "WHERE s.id = ?1", [id])?.pop())
}

/// Applies one trigger to one session inside the transaction; saves and emits when it changes.
/// The outer `Result` is the database, the inner one the domain's refusal.
fn apply(
    w: &mut Writer<'_>,
    row: &SessionRow,
    trigger: &Trigger,
    now: Millis,
    policy: &Policy,
) -> Result<Result<SessionRow, Refused>, StoreError> {
    let change = match session::apply(&row.facts(), trigger, now, policy) {
        Err(refused) => return Ok(Err(refused)),
        Ok(None) => return Ok(Ok(row.clone())),
        Ok(Some(change)) => change,
    };
    let mut next = row.clone();
    next.status = change.status;
    next.reason = change.reason;
    if let Some(s) = change.satisfied {
        next.satisfied = s;
    }
    next.authenticated_at = change.authenticated_at;
    next.walkaway_since = change.walkaway_since;
    next.updated_at = now;
    let deadline = session::deadline(&next.facts(), policy);
    w.tx.prepare_cached(
        "UPDATE sessions SET status = ?2, reason = ?3, satisfied = ?4, authenticated_at = ?5, walkaway_since = ?6,
                updated_at = ?7, deadline_at = ?8 WHERE seq = ?1",
    )?
    .execute(params![
        next.seq,
        next.status.as_str(),
        next.reason,
        Method::join(&next.satisfied),
        next.authenticated_at,
        next.walkaway_since,
        now,
        deadline
    ])?;
    w.emit(&next.app_id, now, EventData::Session(next.summary()))?;
    Ok(Ok(next))
}

fn apply_all(
    w: &mut Writer<'_>,
    rows: Vec<SessionRow>,
    trigger: &Trigger,
    now: Millis,
    policy: &Policy,
) -> Result<Vec<SessionSummary>, StoreError> {
    let mut changed = Vec::new();
    for row in rows {
        if let Ok(next) = apply(w, &row, trigger, now, policy)?
            && next != row
        {
            changed.push(next.summary());
        }
    }
    Ok(changed)
}

const NOT_ENDED: &str = "('pending', 'identifying', 'active', 'walkaway')";

/// Ends every unfinished session of a user; returns how many ended.
pub(super) fn end_for_user(
    w: &mut Writer<'_>,
    user: &UserRow,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<usize, StoreError> {
    let rows = query(w.tx, &format!("WHERE s.user_id = ?1 AND s.status IN {NOT_ENDED}"), [user.row])?;
    Ok(apply_all(w, rows, &Trigger::End(by), now, policy)?.len())
}

/// Ends one session if it is unfinished (an ended one stays as it is).
pub(super) fn end_one(
    w: &mut Writer<'_>,
    session_id: &str,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    if let Some(row) = by_id(w.tx, session_id)? {
        let _ = apply(w, &row, &Trigger::End(by), now, policy)?;
    }
    Ok(())
}

pub(super) fn end_for_device(
    w: &mut Writer<'_>,
    device_id: &str,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<usize, StoreError> {
    Ok(apply_to_device(w, device_id, &Trigger::End(by), now, policy)?.len())
}

pub(super) fn apply_to_device(
    w: &mut Writer<'_>,
    device_id: &str,
    trigger: &Trigger,
    now: Millis,
    policy: &Policy,
) -> Result<Vec<SessionSummary>, StoreError> {
    let rows = query(w.tx, &format!("WHERE s.device_id = ?1 AND s.status IN {NOT_ENDED}"), [device_id])?;
    apply_all(w, rows, trigger, now, policy)
}

impl SessionStore for SqliteStore {
    async fn create_session(&self, new: NewSession, now: Millis, policy: Policy) -> Result<SessionRow, StoreError> {
        self.write(move |w| {
            let facts = Facts {
                status: SessionStatus::Pending,
                methods: new.methods.clone(),
                created_at: now,
                duration_ms: new.duration_ms,
                authenticated_at: None,
                walkaway_since: None,
            };
            w.tx.prepare_cached(
                "INSERT INTO sessions (id, token, secret_sealed, app_id, user_id, device_id, status, methods, duration_ms,
                                       created_at, updated_at, deadline_at, code, origin_address, origin_agent,
                                       purpose, verifier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            )?
            .execute(params![
                new.id,
                new.token,
                new.secret_sealed,
                new.user.app_id,
                new.user.row,
                new.device_id,
                Method::join(&new.methods),
                new.duration_ms,
                now,
                session::deadline(&facts, &policy),
                new.code,
                new.origin.address,
                new.origin.user_agent,
                new.purpose.as_str(),
                new.verifier
            ])?;
            let row = by_id(w.tx, &new.id)?.ok_or_else(|| StoreError::Corrupt("inserted session vanished".into()))?;
            w.emit(&row.app_id, now, EventData::Session(row.summary()))?;
            Ok(row)
        })
        .await
    }

    async fn session_auth(&self, token: &str) -> Result<Option<SessionAuth>, StoreError> {
        let token = token.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT id, token, secret_sealed FROM sessions WHERE token = ?1")?
                .query_row([token], |r| Ok(SessionAuth { id: r.get(0)?, token: r.get(1)?, secret_sealed: r.get(2)? }))
                .optional()?)
        })
        .await
    }

    async fn session(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| by_id(c, &id)).await
    }

    async fn transition(
        &self,
        id: &str,
        trigger: Trigger,
        now: Millis,
        policy: Policy,
    ) -> Result<Option<Result<SessionRow, Refused>>, StoreError> {
        let id = id.to_owned();
        self.write(move |w| {
            let Some(row) = by_id(w.tx, &id)? else { return Ok(None) };
            Ok(Some(apply(w, &row, &trigger, now, &policy)?))
        })
        .await
    }

    async fn fetch_requests(
        &self,
        device_id: &str,
        now: Millis,
        policy: Policy,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let device_id = device_id.to_owned();
        self.write(move |w| {
            let rows = query(
                w.tx,
                "WHERE s.device_id = ?1 AND s.status IN ('pending', 'identifying') ORDER BY s.seq",
                [&device_id],
            )?;
            let mut out = Vec::new();
            for row in rows {
                if let Ok(next) = apply(w, &row, &Trigger::Fetched, now, &policy)? {
                    out.push(next);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn end_user_sessions(
        &self,
        user: &UserRow,
        by: EndedBy,
        now: Millis,
        policy: Policy,
    ) -> Result<usize, StoreError> {
        let user = user.clone();
        self.write(move |w| end_for_user(w, &user, by, now, &policy)).await
    }

    async fn user_sessions(&self, user_row: i64, limit: u32) -> Result<Vec<SessionRow>, StoreError> {
        self.read(move |c| query(c, "WHERE s.user_id = ?1 ORDER BY s.seq DESC LIMIT ?2", params![user_row, limit]))
            .await
    }

    async fn list_sessions(
        &self,
        app_id: &str,
        status: Option<SessionStatus>,
        user_row: Option<i64>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<SessionRow>, Option<i64>), StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let before = before.unwrap_or(i64::MAX);
            let fetch = limit + 1;
            let status = status.map(|s| s.as_str());
            let mut rows = match (status, user_row) {
                (None, None) => query(
                    c,
                    "WHERE s.app_id = ?1 AND s.seq < ?2 ORDER BY s.seq DESC LIMIT ?3",
                    params![app_id, before, fetch],
                )?,
                (Some(st), None) => query(
                    c,
                    "WHERE s.app_id = ?1 AND s.status = ?4 AND s.seq < ?2 ORDER BY s.seq DESC LIMIT ?3",
                    params![app_id, before, fetch, st],
                )?,
                (st, Some(user)) => query(
                    c,
                    "WHERE s.user_id = ?4 AND s.app_id = ?1 AND (?5 IS NULL OR s.status = ?5) AND s.seq < ?2
                     ORDER BY s.seq DESC LIMIT ?3",
                    params![app_id, before, fetch, user, st],
                )?,
            };
            let next = if rows.len() > limit as usize {
                rows.truncate(limit as usize);
                rows.last().map(|r| r.seq)
            } else {
                None
            };
            Ok((rows, next))
        })
        .await
    }

    async fn unanswered_pushes(&self, user_row: i64, since: Millis) -> Result<u64, StoreError> {
        self.read(move |c| {
            let n: i64 = c
                .prepare_cached(
                    "SELECT COUNT(*) FROM sessions
                     WHERE user_id = ?1 AND created_at >= ?2 AND authenticated_at IS NULL AND purpose != 'verification'
                       AND status IN ('pending', 'identifying', 'cancelled', 'timeout', 'failed')
                       AND created_at > COALESCE((SELECT push_cap_cleared_at FROM users WHERE id = ?1), -1)
                       AND seq > COALESCE((SELECT MAX(seq) FROM sessions WHERE user_id = ?1 AND authenticated_at IS NOT NULL), 0)",
                )?
                .query_row(params![user_row, since], |r| r.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn session_counts(&self, app_id: &str) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT status, COUNT(*) FROM sessions WHERE app_id = ?1 GROUP BY status")?;
            let rows = stmt.query_map([app_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (status, n) = row?;
                let status = SessionStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown session status {status:?}")))?;
                out.push((status, u64::try_from(n).unwrap_or(0)));
            }
            Ok(out)
        })
        .await
    }

    async fn sweep(&self, now: Millis, policy: Policy, limit: u32) -> Result<usize, StoreError> {
        self.write(move |w| {
            let rows = query(w.tx, "WHERE s.deadline_at <= ?1 ORDER BY s.deadline_at LIMIT ?2", params![now, limit])?;
            Ok(apply_all(w, rows, &Trigger::Tick, now, &policy)?.len())
        })
        .await
    }

    async fn next_deadline(&self) -> Result<Option<Millis>, StoreError> {
        self.read(|c| {
            Ok(c.query_row("SELECT MIN(deadline_at) FROM sessions WHERE deadline_at IS NOT NULL", [], |r| r.get(0))?)
        })
        .await
    }
}
