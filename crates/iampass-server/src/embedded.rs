//! The console's embedded server: one call starts a server on loopback with its data in a folder,
//! and makes (or keeps) the application the console works in. The console needs nothing else of
//! this crate, so the server's insides can change without touching it.

use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::clock::SystemClock;
use crate::config::Config;
pub use crate::server::Running;
use crate::server::StartError;
use crate::service::apps;
use crate::store::prelude::*;

/// A running local server and the application the console uses in it.
#[derive(Debug)]
pub struct LocalServer {
    pub running: Running,
    pub application_id: String,
    /// Credentials issued by this start (a new application, or a new secret for a known one whose
    /// secret the console lost); `None` when the console's saved secret still holds.
    pub new_secret: Option<Zeroizing<String>>,
}

/// The application the console made in an earlier start, if any.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    pub application_id: &'a str,
    /// Whether the console still has its secret (a wiped keyring loses it).
    pub has_secret: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("{0}")]
    Service(#[from] crate::error::ServiceError),
}

/// Starts a server on 127.0.0.1 (a free port) with its database and key in `dir`. Reuses the known
/// application if the database has it, issuing a new secret if the console lost its own; otherwise
/// creates an application named `app_name`.
pub async fn start_local(dir: &Path, app_name: &str, known: Option<Known<'_>>) -> Result<LocalServer, LocalError> {
    let mut config = Config::with_db(dir.join("iampass.db"));
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let running = crate::start(config, Arc::new(SystemClock)).await?;
    let state = &running.state;
    let existing = match known {
        Some(k) => state.store.app(k.application_id).await.map_err(crate::error::ServiceError::from)?.map(|_| k),
        None => None,
    };
    let (application_id, new_secret) = match existing {
        Some(k) if k.has_secret => (k.application_id.to_owned(), None),
        Some(k) => {
            let app = apps::rotate_secret(&state.store, &state.sealer, k.application_id, state.now()).await?;
            (app.id, Some(app.secret))
        }
        None => {
            let app = state.create_app(app_name).await?;
            (app.id, Some(app.secret))
        }
    };
    Ok(LocalServer { running, application_id, new_secret })
}
