//! Starting and stopping the service: open the store and key, bind, serve with graceful shutdown,
//! run the sweeper. Used by `main` and by the tests, which start real servers on port 0.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::{CryptoError, Sealer};
use crate::hub::Hub;
use crate::serve::ConnLimits;
use crate::service::authenticators::passkey::RelyingParty;
use crate::service::push::PushSender;
use crate::service::{sweeper, webhook};
use crate::state::{AppState, Shared};
use crate::store::{Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("invalid public URL {0:?}: it must be an absolute http(s) URL")]
    PublicUrl(String),
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    #[error(transparent)]
    PushKey(#[from] crate::service::push::PushKeyError),
}

/// The process-wide Prometheus recorder (a recorder can be installed only once).
fn metrics_handle() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .clone()
}

/// Opens the store and key file: what both `serve` and the `app` commands need. Refuses a key
/// that is not the one the database's secrets are sealed with, before anything is sealed with it.
pub async fn open(config: &Config) -> Result<(Db, Sealer), StartError> {
    let sealer = match (&config.key_hex, &config.db) {
        (Some(key), _) => Sealer::from_hex(&key.0)?,
        (None, crate::store::Location::Sqlite(_)) => Sealer::load_or_create(&config.key_file)?,
        (None, crate::store::Location::Postgres(_)) => Sealer::load(&config.key_file)?,
    };
    let store = Db::open(&config.db, Arc::new(Hub::new(0)))?;
    check_key(&store, &sealer).await?;
    Ok((store, sealer))
}

/// The database keeps a value sealed with the key it was first opened with; every later open
/// must be able to open it. Without it, a node given another key would start, seal new secrets
/// with a key no other node has, and fail on every secret sealed before.
async fn check_key(store: &Db, sealer: &Sealer) -> Result<(), StartError> {
    use crate::store::PushStore as _;
    const NAME: &str = "key-check";
    let context = crate::service::push::server_secret_context(NAME);
    let now = iampass_proto::clock::Clock::now_ms(&iampass_proto::clock::SystemClock);
    let stored = store.server_secret(NAME, sealer.seal(&context, NAME), now).await?;
    match sealer.open(&context, &stored) {
        Ok(opened) if opened.as_str() == NAME => Ok(()),
        _ => Err(CryptoError::WrongKey.into()),
    }
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    /// Stops accepting, lets in-flight requests finish, stops the sweeper.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Resolves when the server stops on its own (it should not).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

fn resolve_public_url(config: &Config, addr: SocketAddr) -> Result<String, StartError> {
    match &config.public_url {
        Some(u) => {
            let parsed = url::Url::parse(u).map_err(|_| StartError::PublicUrl(u.clone()))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(StartError::PublicUrl(u.clone()));
            }
            Ok(u.trim_end_matches('/').to_owned())
        }
        None if config.tls_cert.is_some() => Ok(format!("https://{addr}")),
        None => Ok(format!("http://{addr}")),
    }
}

/// Binds `config.listen` (port 0 picks a free port) and serves until stopped.
pub async fn start(config: Config, clock: SharedClock) -> Result<Running, StartError> {
    let (store, sealer) = open(&config).await?;
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(crate::tls::acceptor(cert, key)?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.listen, source })?;
    let public_url = resolve_public_url(&config, addr)?;
    let relying_party = RelyingParty::for_public_url(&public_url);
    if let Err(why) = &relying_party {
        tracing::warn!("web phones cannot enroll: {why}");
    }
    if !crate::http::web_phone_built() {
        tracing::warn!(
            "THIS SERVER HAS NO WEB PHONE: it was built before ui/dist-phone existed, so every registration \
             link and QR code it hands out opens a page saying so. Run scripts/build-ui, then build the server again."
        );
    }
    let contact = config.push_contact.clone().unwrap_or_else(|| public_url.clone());
    let push = PushSender::load(&store, &sealer, contact, config.push_extra_hosts.clone(), clock.now_ms()).await?;
    let (shutdown, rx) = watch::channel(false);
    let state = AppState::new(Shared {
        store,
        apps: Default::default(),
        sealer: Arc::new(sealer),
        clock,
        rate_limit: Arc::new(crate::ratelimit::RateLimiter::new(config.rate_limit_per_sec, config.rate_limit_burst)),
        sign_in_limits: crate::service::staff::sign_in_limiters(&config),
        config: Arc::new(config),
        public_url: public_url.into(),
        relying_party,
        push,
        metrics: metrics_handle(),
        shutdown: rx.clone(),
    });
    let app = crate::http::router(state.clone());
    let limits = ConnLimits {
        header_read_timeout: Duration::from_secs(state.config.header_read_timeout_secs),
        max_header_bytes: state.config.max_header_bytes,
        tls,
    };
    let webhook = match state.config.webhook.clone() {
        Some(hook) => {
            let cursor = webhook::start_position(&state).await?;
            Some(tokio::spawn(webhook::run(state.clone(), hook, cursor, rx.clone())))
        }
        None => None,
    };
    let sweeper = tokio::spawn(sweeper::run(state.clone(), rx.clone()));
    let app_watch = tokio::spawn(crate::service::app_cache::watch(state.clone(), rx.clone()));
    let stop = rx;
    let task = tokio::spawn(async move {
        let served = crate::serve::serve(listener, app, limits, stop).await;
        sweeper.abort();
        app_watch.abort();
        if let Some(webhook) = webhook {
            // It stops by itself on the shutdown signal, saving its position first.
            let _ = webhook.await;
        }
        served
    });
    Ok(Running { addr, state, shutdown, task })
}
