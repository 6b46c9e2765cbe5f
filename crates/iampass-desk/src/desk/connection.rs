//! Connecting the console: to a server with credentials, by adding an application with the
//! operator token (credentials shown once), or to a local server the console runs itself.

use iampass_proto::client::{ManagementClient, default_http};
use iampass_server::embedded::{Known, start_local};
use serde::Serialize;
use ts_rs::TS;

use super::{Active, Desk};
use crate::book::Profile;
use crate::error::{DeskError, DeskResult};
use crate::secrets::SecretBackend;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ConnectionStatus {
    pub connected: bool,
    pub profile: Option<Profile>,
    pub secret_store: Option<SecretBackend>,
    /// Shown as a banner while true: the secret is in a file, not the keyring.
    pub warning: Option<String>,
    /// The signed-in staff member (a staff profile), with their role and the sign-in's limits.
    pub staff: Option<iampass_proto::wire::StaffSelf>,
    /// A staff profile with nobody signed in: the console shows the sign-in screen.
    pub needs_sign_in: bool,
    /// What the console may show.
    pub access: super::Access,
    /// How to move from the application secret to staff sign-in (a non-local profile with a secret).
    pub advice: Option<String>,
    /// Seconds without input after which the console locks (a staff sign-in only).
    #[ts(type = "number | null")]
    pub idle_lock_seconds: Option<u64>,
}

/// A new application's credentials: shown to the operator this once, then stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AppCreated {
    pub application_id: String,
    pub application_secret: String,
    pub status: ConnectionStatus,
}

const LOCAL_APP_NAME: &str = "IAMPASS Desk";

impl Desk {
    pub fn status(&self) -> ConnectionStatus {
        match self.active() {
            Ok(a) => ConnectionStatus {
                connected: true,
                warning: (a.backend == Some(SecretBackend::File)).then(|| {
                    "The application secret is kept in a private file (mode 0600) in the console's data folder, not in the system keyring (none is available, or the console is set to use the file).".to_owned()
                }),
                secret_store: a.backend,
                needs_sign_in: a.profile.staff_sign_in && a.staff.is_none(),
                access: super::staff::access_of(&a),
                advice: (a.backend.is_some() && !a.profile.embedded).then(|| {
                    "This console holds the application secret, which can do anything to every employee, and is exempt from the recovery rule (a new phone with no second person's approval). Give each help-desk member their own sign-in: add them under Staff, then choose “Use staff sign-in” in Settings.".to_owned()
                }),
                idle_lock_seconds: a.staff.as_ref().map(|s| {
                    let server = s.idle_seconds;
                    self.options.idle_lock_secs.map_or(server, |mine| mine.min(server))
                }),
                staff: a.staff,
                profile: Some(a.profile),
            },
            Err(_) => ConnectionStatus {
                connected: false,
                profile: None,
                secret_store: None,
                warning: None,
                staff: None,
                needs_sign_in: false,
                access: super::Access::NONE,
                advice: None,
                idle_lock_seconds: None,
            },
        }
    }

    /// Checks the credentials against the server, then keeps them.
    pub async fn connect(&self, server_url: &str, application_id: &str, secret: &str) -> DeskResult<ConnectionStatus> {
        let result = self.connect_inner(server_url.trim(), application_id.trim(), secret.trim(), false).await;
        self.audited("connect", None, server_url, result)
    }

    async fn connect_inner(
        &self,
        url: &str,
        app_id: &str,
        secret: &str,
        embedded: bool,
    ) -> DeskResult<ConnectionStatus> {
        check_app_id(app_id)?;
        if secret.is_empty() {
            return Err(DeskError::Invalid("The application secret is required.".into()));
        }
        let client = ManagementClient::new(url, app_id, secret).map_err(|e| DeskError::from_client(e, url))?;
        client.users(None, Some(1)).await.map_err(|e| DeskError::from_client(e, url))?;
        let backend = self.secrets.save(app_id, secret)?;
        let name = if embedded { "Local server".to_owned() } else { url.to_owned() };
        let profile = self.book()?.activate_profile(&name, url, app_id, embedded)?;
        self.set_active(Active { profile, client: Some(client), backend: Some(backend), staff: None });
        let _ = self.join_team().await;
        self.connection_changed.notify_waiters();
        Ok(self.status())
    }

    /// Creates an application through the server's operator endpoint and connects with it.
    pub async fn add_application(&self, server_url: &str, admin_token: &str, name: &str) -> DeskResult<AppCreated> {
        let result = async {
            let url = server_url.trim().trim_end_matches('/');
            let reply = default_http()
                .post(format!("{url}/operator/applications"))
                .bearer_auth(admin_token.trim())
                .json(&serde_json::json!({ "name": name }))
                .send()
                .await
                .map_err(|e| DeskError::from_client(e.into(), url))?;
            let status = reply.status();
            let body: serde_json::Value = reply.json().await.map_err(|e| DeskError::from_client(e.into(), url))?;
            if !status.is_success() {
                let reason = body["reason"].as_str().unwrap_or("refused").to_owned();
                return Err(if status.as_u16() == 401 {
                    DeskError::Invalid("The server refused the operator token.".into())
                } else {
                    DeskError::Refused { code: body["error"].as_str().unwrap_or("refused").to_owned(), reason }
                });
            }
            let id = body["application_id"].as_str().unwrap_or_default().to_owned();
            let secret = body["application_secret"].as_str().unwrap_or_default().to_owned();
            let status = self.connect_inner(url, &id, &secret, false).await?;
            Ok(AppCreated { application_id: id, application_secret: secret, status })
        }
        .await;
        self.audited("add_application", None, name, result)
    }

    /// Starts (or restarts) the embedded server on loopback with its data in the console's data
    /// folder, creating its application the first time, and connects to it.
    pub async fn start_local_server(&self) -> DeskResult<ConnectionStatus> {
        let result = self.start_local_inner().await;
        self.audited("start_local_server", None, "", result)
    }

    async fn start_local_inner(&self) -> DeskResult<ConnectionStatus> {
        let mut local = self.local.lock().await;
        if let Some(old) = local.take() {
            let _ = old.stop().await;
        }
        let dir = self.options.data_dir.join("server");
        let profile = self.book()?.embedded_profile()?;
        let has_secret = match &profile {
            Some(p) => self.secrets.load(&p.application_id)?.is_some(),
            None => false,
        };
        let known = profile.as_ref().map(|p| Known { application_id: &p.application_id, has_secret });
        let started =
            start_local(&dir, LOCAL_APP_NAME, known).await.map_err(|e| DeskError::LocalServer(e.to_string()))?;
        let url = started.running.public_url().to_owned();
        let app_id = started.application_id;
        let secret = match started.new_secret {
            Some(secret) => secret.to_string(),
            None => self.secrets.load(&app_id)?.map(|(s, _)| s.to_string()).unwrap_or_default(),
        };
        let server = started.running;
        *local = Some(server);
        drop(local);
        let status = self.connect_inner(&url, &app_id, &secret, true).await?;
        self.ensure_local_admin().await?;
        Ok(status)
    }
}

pub(super) fn check_app_id(app_id: &str) -> DeskResult<()> {
    if app_id.len() != 32 || !app_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DeskError::Invalid("The application id is 32 hexadecimal characters.".into()));
    }
    Ok(())
}
