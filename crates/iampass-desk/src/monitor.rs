//! Follows the server's event stream for the dashboard: session changes in batches (one UI update
//! per burst), resumed after `Last-Event-ID` when the connection drops, with backoff, so no change
//! is lost or doubled; the connection's state for the banner; and alerts (a denied or fraud push,
//! a walkaway, a burst of failed logins, an employee whose pushes the push cap paused).

use std::collections::VecDeque;
use std::time::Duration;

use iampass_proto::wire::{
    AuthenticatorKind, Event, EventData, RecoveryChange, RecoveryEvent, RequestPurpose, SessionStatus, SessionSummary,
    UserChange,
};
use serde::Serialize;
use ts_rs::TS;

/// Within a burst, changes are handed on at most once per this window (the first at once).
pub const BATCH_WINDOW: Duration = Duration::from_millis(100);
/// Reconnection delays: doubling from the first to the last, then staying there.
pub const BACKOFF_FIRST: Duration = Duration::from_millis(500);
pub const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A burst: this many failed, denied or timed-out logins within the window.
pub const BURST_COUNT: usize = 5;
pub const BURST_WINDOW_MS: i64 = 60_000;

/// A session as the dashboard shows it: the server's summary plus who it is in the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DashboardRow {
    pub session: SessionSummary,
    #[ts(type = "number | null")]
    pub employee_id: Option<i64>,
    pub employee_name: Option<String>,
    /// The employee's phone kind and, for a passkey, whether it is synced (from the book).
    pub phone_kind: Option<AuthenticatorKind>,
    pub phone_synced: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AlertKind {
    Denied,
    Fraud,
    Walkaway,
    FailureBurst,
    /// The server stopped sending an employee pushes: too many went unanswered or were refused.
    PushCap,
    /// The server held an employee's recoveries, or one staff member asked for many: the pattern
    /// of someone working the help desk for a new phone.
    Recovery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Alert {
    pub kind: AlertKind,
    pub message: String,
    pub session_id: Option<String>,
    pub at: String,
}

/// What the monitor tells the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum MonitorEvent {
    /// Changed sessions, oldest change first; a row replaces the one with the same session id.
    Rows {
        rows: Vec<DashboardRow>,
    },
    Connection {
        connected: bool,
        #[ts(type = "number | null")]
        retry_in_ms: Option<u64>,
        message: Option<String>,
    },
    Alert {
        alert: Alert,
    },
    /// The team book changed on this desk (a colleague's edit arrived): lists reload.
    Book {
        #[ts(type = "number")]
        changed: usize,
    },
}

/// An alert's kind as a short heading (desktop notifications; the UI has its own words).
pub fn alert_title(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Fraud => "fraud reported",
        AlertKind::Denied => "a login push was denied",
        AlertKind::Walkaway => "a walkaway",
        AlertKind::FailureBurst => "many failed logins",
        AlertKind::PushCap => "pushes paused",
        AlertKind::Recovery => "new phones on hold",
    }
}

/// Remembers recent failures to spot a burst; pure, so it is tested without a server.
#[derive(Debug, Default)]
pub struct AlertDetector {
    failures: VecDeque<i64>,
}

impl AlertDetector {
    /// Alerts raised by one session change at `now` (ms); `who` names the employee. A caller
    /// verification is not a login: its answer shows in the verification dialog, not as an alert
    /// or a failed login.
    pub fn observe(&mut self, s: &SessionSummary, who: &str, now: i64) -> Vec<Alert> {
        if s.purpose == RequestPurpose::Verification {
            return Vec::new();
        }
        let at = iampass_proto::clock::rfc3339(now);
        let alert =
            |kind, message: String| Alert { kind, message, session_id: Some(s.session_id.clone()), at: at.clone() };
        let mut out = Vec::new();
        match (s.status, s.reason.as_deref()) {
            (SessionStatus::Failed, Some("fraud")) => out
                .push(alert(AlertKind::Fraud, format!("{who} reported a login push as fraud (\"this was not me\")."))),
            (SessionStatus::Cancelled, Some("denied")) => {
                out.push(alert(AlertKind::Denied, format!("{who} denied a login push.")))
            }
            (SessionStatus::Walkaway, _) => {
                out.push(alert(AlertKind::Walkaway, format!("{who} walked away from a logged-in session.")))
            }
            _ => {}
        }
        if matches!(s.status, SessionStatus::Failed | SessionStatus::Cancelled | SessionStatus::Timeout) {
            self.failures.push_back(now);
            while self.failures.front().is_some_and(|t| now - t > BURST_WINDOW_MS) {
                self.failures.pop_front();
            }
            if self.failures.len() == BURST_COUNT {
                out.push(Alert {
                    kind: AlertKind::FailureBurst,
                    message: format!("{BURST_COUNT} logins failed within a minute."),
                    session_id: None,
                    at,
                });
            }
        }
        out
    }
}

/// Employees (by token) whose logins the push cap now refuses, with the server's reason.
pub fn push_caps(events: &[Event]) -> impl Iterator<Item = (&str, Option<&str>)> {
    events.iter().filter_map(|e| match &e.data {
        EventData::User(u) if u.change == UserChange::PushCapped => Some((u.user_id.as_str(), u.reason.as_deref())),
        _ => None,
    })
}

/// The alert for a push cap reached by `who`.
pub fn push_cap_alert(who: &str, reason: Option<&str>, now: i64) -> Alert {
    let why = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    Alert {
        kind: AlertKind::PushCap,
        message: format!(
            "New pushes to {who} are paused: too many went unanswered or were refused{why}. \
             Someone may be trying to tire them into approving one; call them on a number you know."
        ),
        session_id: None,
        at: iampass_proto::clock::rfc3339(now),
    }
}

/// The recovery alerts in a batch of events: an employee (by token) whose recoveries are now held,
/// or for whom one staff member's many recoveries were noticed, as the alert to raise with the
/// employee's name.
pub fn recovery_alerts(events: &[Event]) -> impl Iterator<Item = (&str, &RecoveryEvent)> {
    events.iter().filter_map(|e| match &e.data {
        EventData::Recovery(r) if matches!(r.change, RecoveryChange::Held | RecoveryChange::ManyRequests) => {
            Some((r.user_id.as_str(), r))
        }
        _ => None,
    })
}

/// The alert for a recovery event about `who`.
pub fn recovery_alert(who: &str, r: &RecoveryEvent, now: i64) -> Alert {
    let by = r.by.as_deref().unwrap_or("a staff member");
    let detail = r.detail.as_deref().unwrap_or("");
    let message = match r.change {
        RecoveryChange::ManyRequests => format!(
            "Many recoveries by {by} ({detail}), the latest for {who}: check that {by}'s account is in their own hands."
        ),
        _ => format!(
            "New phones for {who} are on hold ({detail}); {by} asked. Someone may be calling as {who}: \
             an admin must look at it and clear the hold on {who}'s page."
        ),
    };
    Alert { kind: AlertKind::Recovery, message, session_id: None, at: iampass_proto::clock::rfc3339(now) }
}

/// The session changes in a batch of events (user events are for other screens).
pub fn session_changes(events: &[Event]) -> impl Iterator<Item = &SessionSummary> {
    events.iter().filter_map(|e| match &e.data {
        EventData::Session(s) => Some(s),
        _ => None,
    })
}

/// The next reconnection delay after `current`.
pub fn next_backoff(current: Duration) -> Duration {
    (current * 2).min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use iampass_proto::wire::Method;

    fn summary(status: SessionStatus, reason: Option<&str>) -> SessionSummary {
        SessionSummary {
            session_id: "s".into(),
            user_id: "u".into(),
            status,
            reason: reason.map(str::to_owned),
            methods: vec![Method::Acceptance],
            satisfied_methods: vec![],
            device_id: None,
            device_name: None,
            created_at: "t".into(),
            authenticated_at: None,
            expires_at: None,
            updated_at: "t".into(),
            purpose: RequestPurpose::Login,
            requested_from: None,
        }
    }

    #[test]
    fn a_hold_and_many_recoveries_are_alerts_and_the_rest_is_not() {
        let event = |change, detail: &str| Event {
            id: 1,
            at: "t".into(),
            data: EventData::Recovery(RecoveryEvent {
                user_id: "tok".into(),
                recovery_id: None,
                change,
                by: Some("Hal".into()),
                detail: Some(detail.into()),
            }),
        };
        let events = [
            event(RecoveryChange::Requested, ""),
            event(RecoveryChange::Held, "a second recovery within 24 hours"),
            event(RecoveryChange::LinkIssued, ""),
            event(RecoveryChange::ManyRequests, "Hal asked for 4 recoveries within an hour"),
        ];
        let alerts: Vec<Alert> = recovery_alerts(&events).map(|(_, r)| recovery_alert("Ann", r, 0)).collect();
        assert_eq!(alerts.len(), 2);
        assert!(alerts.iter().all(|a| a.kind == AlertKind::Recovery));
        assert!(alerts[0].message.contains("New phones for Ann are on hold (a second recovery within 24 hours)"));
        assert!(alerts[1].message.contains("Many recoveries by Hal"));
    }

    #[test]
    fn a_denied_verification_is_not_a_failed_login() {
        let mut d = AlertDetector::default();
        let denied = SessionSummary {
            purpose: RequestPurpose::Verification,
            ..summary(SessionStatus::Cancelled, Some("denied"))
        };
        for t in 0..10 {
            assert!(d.observe(&denied, "Ann", t).is_empty());
        }
    }

    #[test]
    fn denials_fraud_and_walkaways_raise_alerts() {
        let mut d = AlertDetector::default();
        assert_eq!(d.observe(&summary(SessionStatus::Cancelled, Some("denied")), "Ann", 0)[0].kind, AlertKind::Denied);
        assert_eq!(d.observe(&summary(SessionStatus::Failed, Some("fraud")), "Ann", 1)[0].kind, AlertKind::Fraud);
        assert_eq!(
            d.observe(&summary(SessionStatus::Walkaway, Some("phone_away")), "Ann", 2)[0].kind,
            AlertKind::Walkaway
        );
        assert!(d.observe(&summary(SessionStatus::Active, None), "Ann", 3).is_empty());
        assert!(d.observe(&summary(SessionStatus::Cancelled, Some("logout")), "Ann", 4).is_empty());
    }

    #[test]
    fn a_burst_of_failures_is_flagged_once_per_window() {
        let mut d = AlertDetector::default();
        let timeout = summary(SessionStatus::Timeout, Some("no_answer"));
        let kinds: Vec<Vec<AlertKind>> =
            (0..6).map(|i| d.observe(&timeout, "x", i * 1000).into_iter().map(|a| a.kind).collect()).collect();
        assert_eq!(kinds[4], vec![AlertKind::FailureBurst]);
        assert!(kinds[5].is_empty());
        // Failures spread over more than a minute are no burst.
        let mut slow = AlertDetector::default();
        assert!((0..10).all(|i| slow.observe(&timeout, "x", i * 20_000).is_empty()));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        assert_eq!(next_backoff(BACKOFF_FIRST), Duration::from_secs(1));
        assert_eq!(next_backoff(Duration::from_secs(8)), BACKOFF_MAX);
    }
}
