//! Login sessions: creating them, applying the domain's transitions in a transaction (each change
//! one event), the phone's view, the console's paged listing, and the sweeper's due deadlines.

use super::{Arg, Row, Sql, SqlBackend, Writer, args, methods_from_db, params};
use crate::clock::Millis;
use crate::domain::session::{self, EndedBy, Facts, Policy, Refused, Trigger};
use crate::store::*;
use iampass_proto::wire::{EventData, Method, RequestPurpose, SessionStatus, SessionSummary};

const SELECT: &str = "SELECT s.seq, s.id, s.app_id, s.user_id, u.external_id, s.device_id, d.name, s.status, s.reason,
        s.methods, s.satisfied, s.duration_ms, s.created_at, s.authenticated_at, s.walkaway_since, s.updated_at, s.code,
        s.origin_address, s.origin_agent, s.purpose, s.verifier, s.recovery_ask
     FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN devices d ON d.id = s.device_id";

fn from_row(r: &dyn Row) -> Result<SessionRow, StoreError> {
    let status: SessionStatus = r.get(7)?;
    let purpose: RequestPurpose = r.get(19)?;
    let methods = methods_from_db(&r.get::<String>(9)?)?;
    let satisfied = methods_from_db(&r.get::<String>(10)?)?;
    Ok(SessionRow {
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
        recovery: r
            .get::<Option<String>>(21)?
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a session's recovery request: {e}")))?,
    })
}

fn query<C: Sql>(c: &mut C, where_clause: &str, args: &[Arg<'_>]) -> Result<Vec<SessionRow>, StoreError> {
    c.rows(&format!("{SELECT} {where_clause}"), args, from_row)
}

fn by_id<C: Sql>(c: &mut C, id: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(query(c, "WHERE s.id = ?1", args![id])?.pop())
}

/// Applies one trigger to one session inside the transaction; saves and emits when it changes.
/// The outer `Result` is the database, the inner one the domain's refusal.
fn apply<C: Sql>(
    w: &mut Writer<'_, C>,
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
    w.c.exec(
        "UPDATE sessions SET status = ?2, reason = ?3, satisfied = ?4, authenticated_at = ?5, walkaway_since = ?6,
                updated_at = ?7, deadline_at = ?8 WHERE seq = ?1",
        args![
            next.seq,
            next.status.as_str(),
            next.reason,
            Method::join(&next.satisfied),
            next.authenticated_at,
            next.walkaway_since,
            now,
            deadline
        ],
    )?;
    w.emit(&next.app_id, now, EventData::Session(next.summary()))?;
    Ok(Ok(next))
}

fn apply_all<C: Sql>(
    w: &mut Writer<'_, C>,
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
pub(super) fn end_for_user<C: Sql>(
    w: &mut Writer<'_, C>,
    user: &UserRow,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<usize, StoreError> {
    let rows = query(w.c, &format!("WHERE s.user_id = ?1 AND s.status IN {NOT_ENDED}"), args![user.row])?;
    Ok(apply_all(w, rows, &Trigger::End(by), now, policy)?.len())
}

/// Ends one session if it is unfinished (an ended one stays as it is).
pub(super) fn end_one<C: Sql>(
    w: &mut Writer<'_, C>,
    session_id: &str,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<(), StoreError> {
    if let Some(row) = by_id(w.c, session_id)? {
        let _ = apply(w, &row, &Trigger::End(by), now, policy)?;
    }
    Ok(())
}

pub(super) fn end_for_device<C: Sql>(
    w: &mut Writer<'_, C>,
    device_id: &str,
    by: EndedBy,
    now: Millis,
    policy: &Policy,
) -> Result<usize, StoreError> {
    Ok(apply_to_device(w, device_id, &Trigger::End(by), now, policy)?.len())
}

pub(super) fn apply_to_device<C: Sql>(
    w: &mut Writer<'_, C>,
    device_id: &str,
    trigger: &Trigger,
    now: Millis,
    policy: &Policy,
) -> Result<Vec<SessionSummary>, StoreError> {
    let rows = query(w.c, &format!("WHERE s.device_id = ?1 AND s.status IN {NOT_ENDED}"), args![device_id])?;
    apply_all(w, rows, trigger, now, policy)
}

impl<B: SqlBackend> SessionStore for B {
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
            let recovery_ask = new
                .recovery
                .as_ref()
                .map(serde_json::to_string)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("a recovery request: {e}")))?;
            w.c.exec(
                "INSERT INTO sessions (id, token, secret_sealed, app_id, user_id, device_id, status, methods, duration_ms,
                                       created_at, updated_at, deadline_at, code, origin_address, origin_agent,
                                       purpose, verifier, recovery_ask)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                args![
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
                new.verifier,
                recovery_ask
                ],
            )?;
            let row = by_id(w.c, &new.id)?.ok_or_else(|| StoreError::Corrupt("inserted session vanished".into()))?;
            w.emit(&row.app_id, now, EventData::Session(row.summary()))?;
            Ok(row)
        })
        .await
    }

    async fn session_auth(&self, token: &str) -> Result<Option<SessionAuth>, StoreError> {
        self.read_row("SELECT id, token, secret_sealed FROM sessions WHERE token = ?1", params![token], |r| {
            Ok(SessionAuth { id: r.get(0)?, token: r.get(1)?, secret_sealed: r.get(2)? })
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
            let Some(row) = by_id(w.c, &id)? else { return Ok(None) };
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
                w.c,
                "WHERE s.device_id = ?1 AND s.status IN ('pending', 'identifying') ORDER BY s.seq",
                args![device_id],
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
        self.read(move |c| query(c, "WHERE s.user_id = ?1 ORDER BY s.seq DESC LIMIT ?2", args![user_row, limit])).await
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
                    args![app_id, before, fetch],
                )?,
                (Some(st), None) => query(
                    c,
                    "WHERE s.app_id = ?1 AND s.status = ?4 AND s.seq < ?2 ORDER BY s.seq DESC LIMIT ?3",
                    args![app_id, before, fetch, st],
                )?,
                (st, Some(user)) => query(
                    c,
                    "WHERE s.user_id = ?4 AND s.app_id = ?1 AND (CAST(?5 AS TEXT) IS NULL OR s.status = ?5) AND s.seq < ?2
                     ORDER BY s.seq DESC LIMIT ?3",
                    args![app_id, before, fetch, user, st],
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
            pushes_since(
                c,
                user_row,
                since,
                "authenticated_at IS NULL AND purpose != 'verification'
                 AND status IN ('pending', 'identifying', 'cancelled', 'timeout', 'failed')
                 AND seq > COALESCE((SELECT MAX(seq) FROM sessions WHERE user_id = ?1 AND authenticated_at IS NOT NULL
                                     AND purpose != 'verification'), 0)",
            )
        })
        .await
    }

    async fn verification_pushes(&self, user_row: i64, since: Millis) -> Result<u64, StoreError> {
        self.read(move |c| pushes_since(c, user_row, since, "purpose = 'verification'")).await
    }

    async fn session_counts(&self, app_id: &str) -> Result<Vec<(SessionStatus, u64)>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            c.rows("SELECT status, COUNT(*) FROM sessions WHERE app_id = ?1 GROUP BY status", args![app_id], |r| {
                Ok((r.get::<SessionStatus>(0)?, u64::try_from(r.get::<i64>(1)?).unwrap_or(0)))
            })
        })
        .await
    }

    async fn sweep(&self, now: Millis, policy: Policy, limit: u32) -> Result<usize, StoreError> {
        self.write(move |w| {
            let rows = query(w.c, "WHERE s.deadline_at <= ?1 ORDER BY s.deadline_at LIMIT ?2", args![now, limit])?;
            Ok(apply_all(w, rows, &Trigger::Tick, now, &policy)?.len())
        })
        .await
    }

    async fn next_deadline(&self) -> Result<Option<Millis>, StoreError> {
        self.read(|c| {
            Ok(c.row("SELECT MIN(deadline_at) FROM sessions WHERE deadline_at IS NOT NULL", &[], |r| r.get(0))?
                .flatten())
        })
        .await
    }
}

/// The user's sessions since `since`, and since staff last cleared their push cap, that also meet
/// `condition` (over `sessions`; `?1` is the user's row): what both push caps count.
fn pushes_since(c: &mut Conn, user_row: i64, since: Millis, condition: &str) -> Result<u64, StoreError> {
    let n: i64 = c
        .row(
            &format!(
                "SELECT COUNT(*) FROM sessions
                 WHERE user_id = ?1 AND created_at >= ?2
                   AND created_at > COALESCE((SELECT push_cap_cleared_at FROM users WHERE id = ?1), -1)
                   AND {condition}"
            ),
            args![user_row, since],
            |r| r.get(0),
        )?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}
