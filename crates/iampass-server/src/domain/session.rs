//! The login session's life, as a pure function of (state, what happened, now):
//!
//! `pending` → (phone fetched it) `identifying` → `active` | `cancelled` (denied) | `failed`
//! (a method not satisfied, fraud) | `timeout` (no answer in time). `active` → `closed` (logout by
//! the app, the console or the phone; user deleted; device lost or removed; duration over) and
//! ⇄ `walkaway` (phone away; `closed` after a grace period).

use iampass_proto::wire::{Method, SessionStatus};

use crate::clock::Millis;

/// Timings that are configuration, not session data.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub request_timeout_ms: Millis,
    pub walkaway_grace_ms: Millis,
}

/// What the state machine needs to know about a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub status: SessionStatus,
    pub methods: Vec<Method>,
    pub created_at: Millis,
    pub duration_ms: Millis,
    pub authenticated_at: Option<Millis>,
    pub walkaway_since: Option<Millis>,
}

/// Who ended a session, which becomes its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Application,
    Console,
    Phone,
    UserDeleted,
    DeviceLost,
    DeviceRemoved,
    DeviceReplaced,
}

impl EndedBy {
    pub fn reason(self) -> &'static str {
        match self {
            EndedBy::Application => "logout",
            EndedBy::Console => "console_logout",
            EndedBy::Phone => "phone_logout",
            EndedBy::UserDeleted => "user_deleted",
            EndedBy::DeviceLost => "device_lost",
            EndedBy::DeviceRemoved => "device_removed",
            EndedBy::DeviceReplaced => "device_replaced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// The phone picked the request up.
    Fetched,
    Approve {
        satisfied: Vec<Method>,
    },
    /// The phone approved with a number-matching code that is not the login screen's.
    WrongCode,
    Deny {
        fraud: bool,
    },
    Presence {
        nearby: bool,
    },
    End(EndedBy),
    /// Time passed: apply whatever deadline is due.
    Tick,
}

/// The new state after a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub satisfied: Option<Vec<Method>>,
    pub authenticated_at: Option<Millis>,
    pub walkaway_since: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the login is no longer waiting for an answer (it is {0})")]
    NotWaiting(SessionStatus),
    #[error("the session has already ended ({0})")]
    Ended(SessionStatus),
}

/// When the session's next time-driven change is due, if it has one.
pub fn deadline(f: &Facts, p: &Policy) -> Option<Millis> {
    match f.status {
        SessionStatus::Pending | SessionStatus::Identifying => Some(f.created_at + p.request_timeout_ms),
        SessionStatus::Active => f.authenticated_at.map(|a| a + f.duration_ms),
        SessionStatus::Walkaway => {
            let expiry = f.authenticated_at.map(|a| a + f.duration_ms);
            let grace = f.walkaway_since.map(|w| w + p.walkaway_grace_ms);
            match (expiry, grace) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        }
        _ => None,
    }
}

/// When an active session expires (for listings).
pub fn expires_at(f: &Facts) -> Option<Millis> {
    f.authenticated_at.map(|a| a + f.duration_ms)
}

fn to(status: SessionStatus, reason: &str, f: &Facts) -> Change {
    Change {
        status,
        reason: Some(reason.to_owned()),
        satisfied: None,
        authenticated_at: f.authenticated_at,
        walkaway_since: f.walkaway_since,
    }
}

/// Applies `trigger` at `now`. `Ok(None)`: nothing changes (a repeated logout, a tick before any
/// deadline, presence that matches). `Err`: the trigger makes no sense in this state.
pub fn apply(f: &Facts, trigger: &Trigger, now: Millis, p: &Policy) -> Result<Option<Change>, Refused> {
    use SessionStatus::*;
    // A due deadline wins over whatever else arrives at the same moment.
    if let Some(d) = deadline(f, p).filter(|d| now >= *d) {
        let change = match f.status {
            Pending | Identifying => to(Timeout, "no_answer", f),
            Walkaway if f.walkaway_since.is_some_and(|w| w + p.walkaway_grace_ms <= d) => to(Closed, "walkaway", f),
            _ => to(Closed, "duration_elapsed", f),
        };
        return match trigger {
            Trigger::Tick | Trigger::End(_) | Trigger::Presence { .. } => Ok(Some(change)),
            Trigger::Fetched | Trigger::Approve { .. } | Trigger::WrongCode | Trigger::Deny { .. } => {
                Err(Refused::NotWaiting(change.status))
            }
        };
    }
    match (f.status, trigger) {
        (_, Trigger::Tick) => Ok(None),
        (Pending, Trigger::Fetched) => Ok(Some(Change { reason: None, ..to(Identifying, "", f) })),
        (Identifying, Trigger::Fetched) => Ok(None),
        (Pending | Identifying, Trigger::Approve { satisfied }) => {
            if f.methods.iter().all(|m| satisfied.contains(m)) {
                Ok(Some(Change {
                    status: Active,
                    reason: None,
                    satisfied: Some(satisfied.clone()),
                    authenticated_at: Some(now),
                    walkaway_since: None,
                }))
            } else {
                Ok(Some(Change { satisfied: Some(satisfied.clone()), ..to(Failed, "method_not_satisfied", f) }))
            }
        }
        (Pending | Identifying, Trigger::WrongCode) => Ok(Some(to(Failed, "wrong_code", f))),
        (Pending | Identifying, Trigger::Deny { fraud: true }) => Ok(Some(to(Failed, "fraud", f))),
        (Pending | Identifying, Trigger::Deny { fraud: false }) => Ok(Some(to(Cancelled, "denied", f))),
        (Pending | Identifying, Trigger::End(by)) => Ok(Some(to(Cancelled, by.reason(), f))),
        (Pending | Identifying, Trigger::Presence { .. }) => Ok(None),
        (Active | Walkaway, Trigger::End(by)) => Ok(Some(to(Closed, by.reason(), f))),
        (Active, Trigger::Presence { nearby: false }) => {
            Ok(Some(Change { reason: Some("phone_away".into()), walkaway_since: Some(now), ..to(Walkaway, "", f) }))
        }
        (Walkaway, Trigger::Presence { nearby: true }) => {
            Ok(Some(Change { reason: None, walkaway_since: None, ..to(Active, "", f) }))
        }
        (Active, Trigger::Presence { nearby: true }) | (Walkaway, Trigger::Presence { nearby: false }) => Ok(None),
        (Active | Walkaway, Trigger::Fetched | Trigger::Approve { .. } | Trigger::WrongCode | Trigger::Deny { .. }) => {
            Err(Refused::NotWaiting(f.status))
        }
        (s, Trigger::End(_)) if s.is_terminal() => Ok(None),
        (s, Trigger::Presence { .. }) if s.is_terminal() => Ok(None),
        (s, _) => Err(Refused::Ended(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionStatus::*;

    const P: Policy = Policy { request_timeout_ms: 60_000, walkaway_grace_ms: 300_000 };

    fn facts(status: SessionStatus) -> Facts {
        Facts {
            status,
            methods: vec![Method::Acceptance],
            created_at: 0,
            duration_ms: 3_600_000,
            authenticated_at: if status.is_live() { Some(1_000) } else { None },
            walkaway_since: if status == Walkaway { Some(2_000) } else { None },
        }
    }

    fn status_after(s: SessionStatus, t: Trigger, now: Millis) -> Result<Option<SessionStatus>, Refused> {
        apply(&facts(s), &t, now, &P).map(|c| c.map(|c| c.status))
    }

    #[test]
    fn login_happy_path() {
        assert_eq!(status_after(Pending, Trigger::Fetched, 10), Ok(Some(Identifying)));
        let c = apply(&facts(Identifying), &Trigger::Approve { satisfied: vec![Method::Acceptance] }, 20, &P);
        let c = c.ok().flatten().expect("change");
        assert_eq!((c.status, c.authenticated_at), (Active, Some(20)));
    }

    #[test]
    fn denial_fraud_and_missing_methods() {
        assert_eq!(status_after(Identifying, Trigger::Deny { fraud: false }, 5), Ok(Some(Cancelled)));
        let c = apply(&facts(Identifying), &Trigger::Deny { fraud: true }, 5, &P).ok().flatten().expect("change");
        assert_eq!((c.status, c.reason.as_deref()), (Failed, Some("fraud")));
        let mut f = facts(Identifying);
        f.methods = vec![Method::Acceptance, Method::Device];
        let c = apply(&f, &Trigger::Approve { satisfied: vec![Method::Acceptance] }, 5, &P).ok().flatten().expect("c");
        assert_eq!((c.status, c.reason.as_deref()), (Failed, Some("method_not_satisfied")));
    }

    #[test]
    fn a_wrong_number_matching_code_fails_the_login() {
        let c = apply(&facts(Identifying), &Trigger::WrongCode, 5, &P).ok().flatten().expect("change");
        assert_eq!((c.status, c.reason.as_deref()), (Failed, Some("wrong_code")));
        assert_eq!(status_after(Active, Trigger::WrongCode, 5), Err(Refused::NotWaiting(Active)));
    }

    #[test]
    fn silence_times_out_exactly_at_the_deadline() {
        assert_eq!(status_after(Pending, Trigger::Tick, 59_999), Ok(None));
        assert_eq!(status_after(Pending, Trigger::Tick, 60_000), Ok(Some(Timeout)));
        assert_eq!(
            status_after(Identifying, Trigger::Approve { satisfied: vec![Method::Acceptance] }, 60_000),
            Err(Refused::NotWaiting(Timeout))
        );
    }

    #[test]
    fn walkaway_and_back_and_grace_expiry() {
        assert_eq!(status_after(Active, Trigger::Presence { nearby: false }, 1_500), Ok(Some(Walkaway)));
        assert_eq!(status_after(Walkaway, Trigger::Presence { nearby: true }, 2_500), Ok(Some(Active)));
        assert_eq!(status_after(Walkaway, Trigger::Tick, 2_000 + 299_999), Ok(None));
        let c = apply(&facts(Walkaway), &Trigger::Tick, 302_000, &P).ok().flatten().expect("change");
        assert_eq!((c.status, c.reason.as_deref()), (Closed, Some("walkaway")));
        assert_eq!(deadline(&facts(Walkaway), &P), Some(302_000));
    }

    #[test]
    fn duration_closes_an_active_session() {
        let c = apply(&facts(Active), &Trigger::Tick, 3_601_000, &P).ok().flatten().expect("change");
        assert_eq!((c.status, c.reason.as_deref()), (Closed, Some("duration_elapsed")));
        assert_eq!(status_after(Active, Trigger::Tick, 3_600_999), Ok(None));
    }

    #[test]
    fn ending_is_idempotent_and_pending_logins_are_cancelled() {
        assert_eq!(status_after(Active, Trigger::End(EndedBy::Console), 5), Ok(Some(Closed)));
        assert_eq!(status_after(Pending, Trigger::End(EndedBy::Application), 5), Ok(Some(Cancelled)));
        for s in [Closed, Failed, Timeout, Cancelled] {
            assert_eq!(status_after(s, Trigger::End(EndedBy::Application), 5), Ok(None));
            assert_eq!(status_after(s, Trigger::Tick, 5), Ok(None));
            assert_eq!(status_after(s, Trigger::Approve { satisfied: vec![] }, 5), Err(Refused::Ended(s)));
        }
    }

    #[test]
    fn answering_a_live_session_again_is_refused() {
        assert_eq!(status_after(Active, Trigger::Deny { fraud: false }, 5), Err(Refused::NotWaiting(Active)));
    }
}
