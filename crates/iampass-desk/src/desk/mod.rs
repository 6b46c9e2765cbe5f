//! [`Desk`]: everything the console does, as plain async methods. One file per area; this one
//! holds the state and the audit helper every action goes through.

mod connection;
mod email;
mod employee_page;
mod employees;
mod enrollment;
mod kiosk;
mod recovery;
mod server_audit;
mod sessions;
mod staff;
mod team;

pub use connection::{AppCreated, ConnectionStatus};
pub use email::{SmtpSecurity, SmtpSettings};
pub use employee_page::EmployeePage;
pub use kiosk::KioskAction;
pub use server_audit::{ServerAuditPage, ServerAuditRow};
pub use sessions::{DashboardPage, VerifyResult, VerifyStarted};
pub use staff::{Access, SignInPrompt, StaffEnrollment};
pub use team::{DeskListing, TeamState, TeamStatus};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use iampass_proto::client::ManagementClient;
use iampass_proto::clock::{Millis, SharedClock};
use tokio::sync::Notify;

use crate::book::{Book, NewAudit, Profile};
use crate::error::{DeskError, DeskResult};
use crate::secrets::{SecretBackend, SecretStore};

/// Where the console keeps its data and how it stores secrets.
#[derive(Debug, Clone)]
pub struct DeskOptions {
    pub data_dir: PathBuf,
    /// Who is at the desk, for the audit log.
    pub operator: String,
    /// Keep secrets in the private file, never the keyring.
    pub secrets_in_file: bool,
    /// Where exports and saved QR codes go.
    pub save_dir: PathBuf,
    /// Lock a staff sign-in after this long without input, if sooner than the application's idle
    /// time (a kiosk in a busy hall may want less).
    pub idle_lock_secs: Option<u64>,
    /// What the desk reads the time from (the system's; a test's own, to pass time at will).
    pub clock: SharedClock,
}

/// The connected server.
#[derive(Debug, Clone)]
struct Active {
    profile: Profile,
    /// Who the console acts as: the application (its secret), a signed-in staff member, or
    /// nobody yet (a staff profile before sign-in).
    client: Option<ManagementClient>,
    /// Where the application secret is kept, for a profile that holds one.
    backend: Option<SecretBackend>,
    /// The signed-in staff member.
    staff: Option<iampass_proto::wire::StaffSelf>,
}

/// The connected server as the desk calls it: its client, and its address for the errors that
/// name it. `ask` turns a call's failure into what the desk says, once for every call.
#[derive(Debug, Clone)]
pub(super) struct Remote {
    client: ManagementClient,
    url: String,
}

impl std::ops::Deref for Remote {
    type Target = ManagementClient;

    fn deref(&self) -> &ManagementClient {
        &self.client
    }
}

impl Remote {
    pub(super) async fn ask<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, iampass_proto::client::ClientError>>,
    ) -> DeskResult<T> {
        call.await.map_err(|e| self.error(e))
    }

    pub(super) fn error(&self, e: iampass_proto::client::ClientError) -> DeskError {
        DeskError::from_client(e, &self.url)
    }
}

#[derive(Debug)]
pub struct Desk {
    book: Mutex<Book>,
    secrets: SecretStore,
    options: DeskOptions,
    active: RwLock<Option<Active>>,
    local: tokio::sync::Mutex<Option<iampass_server::embedded::Running>>,
    waits: Mutex<HashMap<i64, Arc<Notify>>>,
    /// Caller verifications whose push is out, by verification id, until their answer is read.
    verifications: Mutex<HashMap<String, sessions::PendingVerification>>,
    /// The monitor's last connection event, for a window that subscribes after it was sent.
    monitor_state: Mutex<Option<crate::monitor::MonitorEvent>>,
    /// A staff sign-in whose push is out: its client, its start, the name given.
    sign_in: Mutex<Option<(iampass_proto::client::StaffSignIn, iampass_proto::wire::SignInStarted, String)>>,
    /// Wakes the monitor when someone signs in or out, so it need not wait out its backoff.
    connection_changed: Notify,
    /// Wrong kiosk PINs, and the lockout they caused.
    pin_guard: Mutex<kiosk::PinGuard>,
    /// The book key last read from or written to the secret store, by application: every change
    /// the stream brings needs it, and a keyring read is a round trip to another process.
    book_key: Mutex<Option<(String, crate::team::seal::BookKey)>>,
}

impl Desk {
    /// Opens the book and reconnects to the last server (starting the local one if that was it).
    pub async fn open(options: DeskOptions) -> DeskResult<Self> {
        let book = Book::open(&options.data_dir.join("book.db"))?;
        let desk = Self {
            book: Mutex::new(book),
            secrets: SecretStore::new(options.data_dir.join("secrets"), options.secrets_in_file),
            options,
            active: RwLock::new(None),
            local: tokio::sync::Mutex::new(None),
            waits: Mutex::new(HashMap::new()),
            verifications: Mutex::new(HashMap::new()),
            monitor_state: Mutex::new(None),
            sign_in: Mutex::new(None),
            connection_changed: Notify::new(),
            pin_guard: Mutex::new(kiosk::PinGuard::default()),
            book_key: Mutex::new(None),
        };
        let profile = desk.book()?.active_profile()?;
        match profile {
            Some(p) if p.embedded => {
                desk.start_local_server().await?;
            }
            // Staff sign in again after every start: no token outlives the console.
            Some(p) if p.staff_sign_in => {
                desk.set_active(Active { profile: p, client: None, backend: None, staff: None })
            }
            Some(p) => {
                if let Some((secret, backend)) = desk.secrets.load(&p.application_id)? {
                    let client = ManagementClient::new(&p.server_url, &p.application_id, &secret)
                        .map_err(|e| DeskError::from_client(e, &p.server_url))?;
                    desk.set_active(Active { profile: p, client: Some(client), backend: Some(backend), staff: None });
                }
            }
            None => {}
        }
        Ok(desk)
    }

    fn now(&self) -> Millis {
        self.options.clock.now_ms()
    }

    fn book(&self) -> DeskResult<MutexGuard<'_, Book>> {
        self.book.lock().map_err(|_| DeskError::Storage("the book is unavailable after an earlier failure".into()))
    }

    fn set_active(&self, active: Active) {
        if let Ok(mut slot) = self.active.write() {
            *slot = Some(active);
        }
    }

    fn active(&self) -> DeskResult<Active> {
        self.active.read().ok().and_then(|a| a.clone()).ok_or(DeskError::NotConnected)
    }

    /// The server to act on, or why there is none (a staff profile nobody is signed in to).
    fn client(&self) -> DeskResult<Remote> {
        let a = self.active()?;
        let client = a.client.ok_or_else(|| DeskError::SignedOut("nobody is signed in to this console".into()))?;
        Ok(Remote { client, url: a.profile.server_url })
    }

    /// Who the local audit log names: the signed-in staff member, else the computer's user.
    fn operator(&self) -> String {
        self.active().ok().and_then(|a| a.staff).map_or_else(|| self.options.operator.clone(), |s| s.name)
    }

    /// Records `action` with its outcome, and hands the outcome back.
    fn audited<T>(
        &self,
        action: &str,
        employee: Option<(i64, &str)>,
        detail: &str,
        result: DeskResult<T>,
    ) -> DeskResult<T> {
        let detail = match &result {
            Ok(_) => detail.to_owned(),
            Err(e) => format!("{detail}{}{e}", if detail.is_empty() { "" } else { ": " }),
        };
        let operator = self.operator();
        let entry = NewAudit { operator: &operator, action, employee, ok: result.is_ok(), detail: &detail };
        if let Err(e) = self.book().and_then(|mut b| b.audit(&entry, self.now())) {
            tracing::error!(error = %e, action, "audit entry not written");
        }
        result
    }

    pub fn audit_entries(&self, limit: u32) -> DeskResult<Vec<crate::book::AuditEntry>> {
        self.book()?.audit_entries(limit)
    }

    /// Writes `content` to the save folder under `name` (made safe); returns the path.
    fn save_file(&self, name: &str, content: &[u8]) -> DeskResult<String> {
        let safe: String =
            name.chars().map(|c| if c.is_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
        std::fs::create_dir_all(&self.options.save_dir)?;
        let path = self.options.save_dir.join(safe);
        std::fs::write(&path, content)?;
        Ok(path.display().to_string())
    }

    /// Stops the embedded server, if it runs (on quit).
    pub async fn shutdown(&self) {
        if let Some(server) = self.local.lock().await.take() {
            let _ = server.stop().await;
        }
    }
}
