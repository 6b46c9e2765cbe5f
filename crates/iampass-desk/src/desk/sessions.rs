//! The live session dashboard's actions: pages of sessions named from the book, counts, remote
//! logout, verifying a caller with a push, and the monitor loop that follows the event stream.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt as _;
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::{PageQuery, SessionsQuery};
use iampass_proto::wire::{SessionStatus, SessionSummary};
use serde::Serialize;
use tokio::sync::watch;
use ts_rs::TS;

use super::Desk;
use crate::error::{DeskError, DeskResult};
use crate::monitor::{self, AlertDetector, BATCH_WINDOW, DashboardRow, MonitorEvent};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct DashboardPage {
    pub rows: Vec<DashboardRow>,
    pub next_cursor: Option<String>,
}

/// How a caller verification ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VerifyResult {
    /// `active` means the caller approved on their own phone.
    pub status: SessionStatus,
    pub reason: Option<String>,
    pub verified: bool,
}

/// A caller verification whose push went out (or could not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct VerifyStarted {
    /// Pass to `finish_verification` for the answer; `None` when no push went out.
    pub verification_id: Option<String>,
    /// Number matching: the code to read to the caller, who types it on their phone.
    pub verification_code: Option<String>,
    /// Already decided when no push went out (no phone, push cap reached, ...).
    pub result: Option<VerifyResult>,
    /// When the push stops waiting (for the dialog's countdown).
    pub answer_by: Option<String>,
}

/// A verification push waiting for its answer.
#[derive(Debug)]
pub(super) struct PendingVerification {
    employee_id: i64,
    employee_name: String,
}

fn verification_detail(r: &VerifyResult) -> String {
    if r.verified {
        "approved on the phone".to_owned()
    } else {
        format!("not verified: {}{}", r.status, r.reason.as_deref().map(|x| format!(" ({x})")).unwrap_or_default())
    }
}

/// The server ends an approved verification's login as soon as its answer is read.
const VERIFY_POLL: Duration = Duration::from_millis(100);
const VERIFY_GIVE_UP: Duration = Duration::from_secs(180);

impl Desk {
    /// Book names for server rows (the server knows only tokens).
    fn name_rows(&self, sessions: Vec<SessionSummary>) -> DeskResult<Vec<DashboardRow>> {
        let book = self.book()?;
        sessions
            .into_iter()
            .map(|s| {
                let employee = book.employee_by_token(&s.user_id)?;
                Ok(DashboardRow {
                    employee_id: employee.as_ref().map(|e| e.id),
                    phone_kind: employee.as_ref().and_then(|e| e.phone_kind),
                    phone_synced: employee.as_ref().and_then(|e| e.phone_synced),
                    employee_name: employee.map(|e| e.name),
                    session: s,
                })
            })
            .collect()
    }

    /// A page of sessions, newest first, filtered by status and employee.
    pub async fn dashboard_page(
        &self,
        status: Option<SessionStatus>,
        employee_id: Option<i64>,
        cursor: Option<String>,
        limit: u32,
    ) -> DeskResult<DashboardPage> {
        let client = self.client()?;
        let user_id = employee_id.map(|id| self.employee(id).map(|e| e.token)).transpose()?;
        let filter =
            SessionsQuery { status, user: user_id, page: PageQuery { cursor, limit: Some(limit.clamp(1, 1000)) } };
        let page = client.ask(client.sessions(&filter)).await?;
        Ok(DashboardPage { rows: self.name_rows(page.sessions)?, next_cursor: page.next_cursor })
    }

    pub async fn session_counts(&self) -> DeskResult<BTreeMap<SessionStatus, u64>> {
        let client = self.client()?;
        Ok(client.ask(client.session_counts()).await?.counts)
    }

    /// Logs one session out; the dashboard row changes when the server's event arrives.
    /// `employee_id` (from the row) names the employee in the audit log.
    pub async fn logout_session(&self, session_id: &str, employee_id: Option<i64>) -> DeskResult<()> {
        let who = employee_id.and_then(|id| self.employee(id).ok());
        let result = async {
            let client = self.client()?;
            client.ask(client.logout_session(session_id)).await.map(|_| ())
        }
        .await;
        self.audited("logout_session", who.as_ref().map(|e| (e.id, e.name.as_str())), session_id, result)
    }

    /// Logs out every session of an employee ("log out everywhere"); returns how many ended.
    pub async fn logout_employee(&self, id: i64) -> DeskResult<u32> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            Ok(client.ask(client.logout_user(&employee.token)).await?.closed)
        }
        .await;
        let detail = result.as_ref().map(|n| format!("{n} session(s)")).unwrap_or_default();
        self.audited("logout_everywhere", Some((id, &employee.name)), &detail, result)
    }

    /// Sends a push to the employee's phone. With number matching on, the answer carries the
    /// code to read to the caller; [`Desk::finish_verification`] then waits for the phone.
    pub async fn start_verification(&self, id: i64) -> DeskResult<VerifyStarted> {
        let employee = self.employee(id)?;
        let who = Some((id, employee.name.as_str()));
        let started = async {
            let client = self.client()?;
            client.ask(client.start_verification(&employee.token)).await
        }
        .await;
        let started = match started {
            Ok(started) => started,
            Err(e) => return self.audited("verify_caller", who, "", Err(e)),
        };
        let Some(verification_id) = started.verification_id else {
            let result = VerifyResult { status: started.status, reason: started.reason, verified: false };
            let result = self.audited("verify_caller", who, &verification_detail(&result), Ok(result))?;
            return Ok(VerifyStarted {
                verification_id: None,
                verification_code: None,
                result: Some(result),
                answer_by: None,
            });
        };
        let pending = PendingVerification { employee_id: id, employee_name: employee.name.clone() };
        self.pending_verifications()?.insert(verification_id.clone(), pending);
        Ok(VerifyStarted {
            verification_id: Some(verification_id),
            verification_code: started.verification_code,
            result: None,
            answer_by: started.answer_by,
        })
    }

    /// Lets pushes reach the employee again after the push cap paused them: staff verified them
    /// another way, and `reason` says how (it goes to both audit logs).
    pub async fn clear_push_cap(&self, id: i64, reason: &str) -> DeskResult<()> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            client.ask(client.clear_push_cap(&employee.token, reason)).await.map(|_| ())
        }
        .await;
        self.audited("clear_push_cap", Some((id, &employee.name)), reason.trim(), result)
    }

    /// Waits for the phone's answer to a verification push (the server ends an approved
    /// verification's login at once). The caller is who they say only if `verified`.
    pub async fn finish_verification(&self, verification_id: &str) -> DeskResult<VerifyResult> {
        let pending = self
            .pending_verifications()?
            .get(verification_id)
            .map(|p| (p.employee_id, p.employee_name.clone()))
            .ok_or(DeskError::NotFound("This verification"))?;
        let result = async {
            let client = self.client()?;
            let give_up = tokio::time::Instant::now() + VERIFY_GIVE_UP;
            loop {
                let s = client.ask(client.verification(verification_id)).await?;
                if !s.status.is_in_progress() || tokio::time::Instant::now() >= give_up {
                    let verified = s.status == SessionStatus::Active;
                    return Ok(VerifyResult { status: s.status, reason: s.reason, verified });
                }
                tokio::time::sleep(VERIFY_POLL).await;
            }
        }
        .await;
        self.pending_verifications()?.remove(verification_id);
        let detail = result.as_ref().map(verification_detail).unwrap_or_default();
        self.audited("verify_caller", Some((pending.0, &pending.1)), &detail, result)
    }

    /// Withdraws a verification push from the phone; a wait on it then ends as cancelled.
    pub async fn cancel_verification(&self, verification_id: &str) -> DeskResult<()> {
        let client = self.client()?;
        client.ask(client.cancel_verification(verification_id)).await?;
        Ok(())
    }

    fn pending_verifications(
        &self,
    ) -> DeskResult<std::sync::MutexGuard<'_, std::collections::HashMap<String, PendingVerification>>> {
        self.verifications.lock().map_err(|_| DeskError::Storage("the verification list is unavailable".into()))
    }

    /// Follows the event stream until `stop` turns true, calling `emit` with batches of changed
    /// rows, connection changes and alerts. Reconnects with backoff and resumes after the last
    /// event seen, so nothing is lost or repeated; a new connection (another server or
    /// application) starts afresh.
    /// The monitor's connection state now (a window asks this once it listens for events).
    pub fn monitor_state(&self) -> MonitorEvent {
        self.monitor_state.lock().ok().and_then(|s| s.clone()).unwrap_or(MonitorEvent::Connection {
            connected: false,
            retry_in_ms: None,
            message: Some("not connected yet".into()),
        })
    }

    pub async fn run_monitor(&self, emit: impl Fn(MonitorEvent) + Send + Sync, stop: watch::Receiver<bool>) {
        let remember = |e: MonitorEvent| {
            if matches!(e, MonitorEvent::Connection { .. })
                && let Ok(mut state) = self.monitor_state.lock()
            {
                *state = Some(e.clone());
            }
            emit(e);
        };
        self.follow_events(remember, stop).await;
    }

    /// The client the dashboard follows events with, if the console may see sessions.
    fn monitor_client(&self) -> Result<(ManagementClient, super::Active), String> {
        let active = self.active().map_err(|_| "not connected".to_owned())?;
        let client = active.client.clone().ok_or_else(|| "nobody is signed in".to_owned())?;
        if !self.may(iampass_proto::roles::Permission::ReadEvents) {
            return Err("the signed-in role follows no changes".into());
        }
        Ok((client, active))
    }

    async fn follow_events(&self, emit: impl Fn(MonitorEvent) + Send + Sync, mut stop: watch::Receiver<bool>) {
        let mut last: Option<(String, u64)> = None;
        let mut backoff = monitor::BACKOFF_FIRST;
        let mut alerts = AlertDetector::default();
        let mut connected = None;
        while !*stop.borrow() {
            let outcome: Result<(), String> = match self.monitor_client() {
                Err(why) => Err(why),
                Ok((client, active)) => {
                    let key = format!("{}|{}", active.profile.server_url, active.profile.application_id);
                    let resume = last.as_ref().filter(|(k, _)| *k == key).map(|(_, id)| *id);
                    match client.events(resume).await {
                        Err(e) => Err(DeskError::from_client(e, &active.profile.server_url).to_string()),
                        Ok(stream) => {
                            // Whatever the book missed while the stream was down (the stream
                            // then brings the rest; versions already here are skipped).
                            if self.catch_up().await {
                                emit(MonitorEvent::Book { changed: 0 });
                            }
                            if connected != Some(true) {
                                connected = Some(true);
                                emit(MonitorEvent::Connection { connected: true, retry_in_ms: None, message: None });
                            }
                            backoff = monitor::BACKOFF_FIRST;
                            let mut stream = Box::pin(stream.ready_chunks(1000));
                            let mut last_emit = tokio::time::Instant::now()
                                .checked_sub(BATCH_WINDOW)
                                .unwrap_or_else(tokio::time::Instant::now);
                            let ended = loop {
                                let batch = tokio::select! {
                                    b = stream.next() => b,
                                    _ = stop.changed() => return,
                                };
                                let Some(batch) = batch else { break "the server closed the event stream".to_owned() };
                                let mut events = Vec::new();
                                let mut failed = None;
                                for item in batch {
                                    match item {
                                        Ok(e) => events.push(e),
                                        Err(e) => failed = Some(e.to_string()),
                                    }
                                }
                                // Leading-edge throttle: a change after a quiet spell goes out at once;
                                // within a burst, whatever arrives until a window after the previous
                                // batch goes out together: one UI update per burst.
                                let window = tokio::time::sleep_until(last_emit + BATCH_WINDOW);
                                tokio::pin!(window);
                                while failed.is_none() {
                                    tokio::select! {
                                        more = stream.next() => match more {
                                            Some(items) => for item in items { match item { Ok(e) => events.push(e), Err(e) => failed = Some(e.to_string()) } },
                                            None => { failed = Some("the server closed the event stream".into()); }
                                        },
                                        _ = &mut window => break,
                                    }
                                }
                                last_emit = tokio::time::Instant::now();
                                if let Some(e) = events.last() {
                                    last = Some((key.clone(), e.id));
                                }
                                let book =
                                    self.apply_book_events(&events).await + self.apply_phone_events(&events).await;
                                if book > 0 {
                                    emit(MonitorEvent::Book { changed: book });
                                }
                                let changed: Vec<SessionSummary> = monitor::session_changes(&events).cloned().collect();
                                if !changed.is_empty() {
                                    match self.name_rows(changed) {
                                        Ok(rows) => {
                                            for row in &rows {
                                                let who = row
                                                    .employee_name
                                                    .clone()
                                                    .unwrap_or_else(|| "An unknown user".into());
                                                for alert in alerts.observe(&row.session, &who, self.now()) {
                                                    emit(MonitorEvent::Alert { alert });
                                                }
                                            }
                                            emit(MonitorEvent::Rows { rows });
                                        }
                                        Err(e) => tracing::error!(error = %e, "naming dashboard rows failed"),
                                    }
                                }
                                let name_of = |token: &str| {
                                    self.book()
                                        .and_then(|b| b.employee_by_token(token))
                                        .ok()
                                        .flatten()
                                        .map_or_else(|| "an unknown user".to_owned(), |e| e.name)
                                };
                                for (token, reason) in monitor::push_caps(&events) {
                                    emit(MonitorEvent::Alert {
                                        alert: monitor::push_cap_alert(&name_of(token), reason, self.now()),
                                    });
                                }
                                for (token, recovery) in monitor::recovery_alerts(&events) {
                                    emit(MonitorEvent::Alert {
                                        alert: monitor::recovery_alert(&name_of(token), recovery, self.now()),
                                    });
                                }
                                if let Some(e) = failed {
                                    break e;
                                }
                            };
                            Err(ended)
                        }
                    }
                }
            };
            if let Err(message) = outcome {
                connected = Some(false);
                emit(MonitorEvent::Connection {
                    connected: false,
                    retry_in_ms: Some(u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX)),
                    message: Some(message),
                });
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => backoff = monitor::next_backoff(backoff),
                    // Someone signed in or out, or connected elsewhere: try at once.
                    _ = self.connection_changed.notified() => backoff = monitor::BACKOFF_FIRST,
                    _ = stop.changed() => return,
                }
            }
        }
    }
}
