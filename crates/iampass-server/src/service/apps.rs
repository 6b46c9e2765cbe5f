//! Applications: created by operators (CLI or the operator endpoint); the secret is shown once.

use zeroize::Zeroizing;

use crate::crypto::{self, Sealer};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::{AppRecord, Store};

/// A new application's credentials, to be shown exactly once.
pub struct CreatedApp {
    pub id: String,
    pub name: String,
    pub secret: Zeroizing<String>,
}

impl std::fmt::Debug for CreatedApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApp").field("id", &self.id).field("name", &self.name).finish_non_exhaustive()
    }
}

pub const MAX_APP_NAME_CHARS: usize = 100;

pub fn validate_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_APP_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(crate::domain::Invalid::new(
            "invalid_name",
            format!("an application name is 1 to {MAX_APP_NAME_CHARS} characters, without control characters"),
        )
        .into());
    }
    Ok(name.to_owned())
}

pub fn secret_context(app_id: &str) -> String {
    format!("application-secret:{app_id}")
}

/// Creates an application; used by the CLI (no running server needed) and the operator endpoint.
pub async fn create(
    store: &impl Store,
    sealer: &Sealer,
    name: &str,
    number_matching: bool,
    now: i64,
) -> Result<CreatedApp, ServiceError> {
    let name = validate_name(name)?;
    let id = crypto::new_hex_id();
    let secret = Zeroizing::new(crypto::new_secret());
    let sealed = sealer.seal(&secret_context(&id), &secret);
    store
        .create_app(AppRecord {
            id: id.clone(),
            name: name.clone(),
            secret_sealed: sealed,
            created_at: now,
            secret_rotated_at: now,
            number_matching,
            staff_of: None,
            staff_token_secs: crate::domain::staff::DEFAULT_TOKEN_SECS,
            staff_idle_secs: crate::domain::staff::DEFAULT_IDLE_SECS,
        })
        .await?;
    Ok(CreatedApp { id, name, secret })
}

/// Issues a new secret; the old one stops working at once.
pub async fn rotate_secret(
    store: &impl Store,
    sealer: &Sealer,
    id: &str,
    now: i64,
) -> Result<CreatedApp, ServiceError> {
    let app = store.app(id).await?.ok_or_else(ServiceError::unknown_application)?;
    let secret = Zeroizing::new(crypto::new_secret());
    if !store.rotate_app_secret(id, sealer.seal(&secret_context(id), &secret), now).await? {
        return Err(ServiceError::unknown_application());
    }
    Ok(CreatedApp { id: app.id, name: app.name, secret })
}

impl AppState {
    pub async fn create_app(&self, name: &str) -> Result<CreatedApp, ServiceError> {
        create(&self.store, &self.sealer, name, false, self.now()).await
    }

    /// The application's secret, opened for one signature check.
    pub(crate) fn app_secret(&self, app: &AppRecord) -> Result<Zeroizing<String>, ServiceError> {
        Ok(self.sealer.open(&secret_context(&app.id), &app.secret_sealed)?)
    }
}
