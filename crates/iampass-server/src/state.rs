//! The shared state every handler gets. axum clones it for every extractor and middleware of
//! every request, so it is one `Arc`: a profile under load showed cloning and dropping the
//! fields one by one (each an atomic count shared by both cores) at 5 % of the server's time.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::Sealer;
use crate::service::authenticators::passkey::{NoRelyingParty, RelyingParty};
use crate::service::push::PushSender;
use crate::store::Db;

#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Debug)]
pub struct Shared {
    pub store: Db,
    /// Applications with their secrets opened, while known to be current.
    pub apps: crate::service::app_cache::AppCache,
    pub sealer: Arc<Sealer>,
    pub clock: SharedClock,
    pub rate_limit: Arc<crate::ratelimit::RateLimiter>,
    /// Staff sign-in attempts: per application, and per application and name.
    pub sign_in_limits: (crate::ratelimit::RateLimiter, crate::ratelimit::RateLimiter),
    pub config: Arc<Config>,
    /// Resolved public base URL, without a trailing slash.
    pub public_url: Arc<str>,
    /// Who web phones make passkeys for (the public URL's host), or why there is none.
    pub relying_party: Result<RelyingParty, NoRelyingParty>,
    /// Web Push to web phones: the server's VAPID key and where it may send.
    pub push: PushSender,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Turns true when the server starts shutting down: open event streams and long-polls end,
    /// so a graceful shutdown does not wait on them.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    pub fn now(&self) -> crate::clock::Millis {
        self.clock.now_ms()
    }
}
