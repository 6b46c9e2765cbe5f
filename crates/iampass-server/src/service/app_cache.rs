//! Applications as a signed request needs them (the row and its opened secret), kept in memory.
//! Reading the row and opening its secret were, after the network, the largest share of a signed
//! request's work (docs/BENCHMARKS.md), and a database on another machine makes each read a round
//! trip. Rows change rarely (a rotated secret, a setting, a deletion), so entries are trusted
//! only while they are known to be current:
//!
//! - a change made through this process drops every entry with its commit (the store moves the
//!   hub's application generation on);
//! - a change made elsewhere (another node, the operator's command line on the same file) moves
//!   the database's `app_generation` on, which [`watch`] reads every [`POLL`]; when it moved, every
//!   entry is dropped;
//! - entries are used only while the last successful poll is recent ([`VOUCH`]); when the watch
//!   stops or cannot read the database, every request reads the row again.
//!
//! So a secret rotated or an application deleted elsewhere stops working here within [`VOUCH`]
//! at most, and at once where it was changed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::AppRecord;
use crate::store::prelude::*;

/// How often each process reads the database's application generation.
pub const POLL: Duration = Duration::from_millis(250);

/// How long after a successful poll's start the entries are trusted: two polls, so one late
/// poll does not empty the cache, and a change elsewhere is seen within this at most.
pub const VOUCH: Duration = Duration::from_millis(500);

/// More applications than any deployment has; past it, rows are read every time rather than
/// letting memory grow.
const MAX_ENTRIES: usize = 10_000;

/// An application with its secret opened, for checking signatures.
pub struct SigningApp {
    pub record: AppRecord,
    secret: Zeroizing<String>,
}

impl SigningApp {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl std::fmt::Debug for SigningApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningApp").field("id", &self.record.id).finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct AppCache {
    entries: RwLock<Entries>,
    /// Milliseconds after `epoch` until which the entries may be used.
    vouched_until: AtomicU64,
    epoch: Instant,
}

/// The entries read under one application generation; a newer generation empties them.
#[derive(Debug, Default)]
struct Entries {
    generation: u64,
    apps: HashMap<String, Arc<SigningApp>>,
}

impl Default for AppCache {
    fn default() -> Self {
        Self { entries: RwLock::default(), vouched_until: AtomicU64::new(0), epoch: Instant::now() }
    }
}

impl AppCache {
    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }

    fn vouched(&self) -> bool {
        self.millis(Instant::now()) < self.vouched_until.load(Ordering::Acquire)
    }

    fn vouch_until(&self, deadline: Instant) {
        self.vouched_until.store(self.millis(deadline), Ordering::Release);
    }

    fn withdraw(&self) {
        self.vouched_until.store(0, Ordering::Release);
    }

    fn get(&self, id: &str, generation: u64) -> Option<Arc<SigningApp>> {
        if !self.vouched() {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        (entries.generation == generation).then(|| entries.apps.get(id).cloned()).flatten()
    }

    /// Keeps `app`, read after `generation` was current; a read from before a newer generation
    /// may be stale and is not kept.
    fn put(&self, generation: u64, app: Arc<SigningApp>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if generation < entries.generation {
            return;
        }
        if generation > entries.generation {
            *entries = Entries { generation, apps: HashMap::new() };
        }
        if entries.apps.len() < MAX_ENTRIES {
            entries.apps.insert(app.record.id.clone(), app);
        }
    }

    /// Drops every entry (the opened secrets with them).
    fn clear(&self) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).apps.clear();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|p| p.into_inner()).apps.len()
    }
}

impl AppState {
    /// The application `id` with its secret opened: from memory while the cache may be trusted,
    /// else read and opened (and kept).
    pub(crate) async fn signing_app(&self, id: &str) -> Result<Option<Arc<SigningApp>>, ServiceError> {
        // Taken before the read: a change committed while reading moves it on, and the
        // possibly stale row is then not kept.
        let generation = self.store.hub().applications_generation();
        if let Some(app) = self.apps.get(id, generation) {
            return Ok(Some(app));
        }
        let Some(record) = self.store.app(id).await? else { return Ok(None) };
        let secret = self.app_secret(&record)?;
        let app = Arc::new(SigningApp { record, secret });
        self.apps.put(generation, app.clone());
        Ok(Some(app))
    }
}

/// Reads the database's application generation every [`POLL`] until `shutdown` fires, on every
/// node: drops the cache when it moved, vouches for the cache while it can read it.
pub async fn watch(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut seen: Option<i64> = None;
    let mut failing = false;
    loop {
        let started = Instant::now();
        match state.store.app_generation().await {
            Ok(n) => {
                // The first reading also drops what was read before it: a change made
                // elsewhere before then moved no generation this process saw.
                if seen != Some(n) {
                    state.store.hub().applications_changed();
                    seen = Some(n);
                }
                state.apps.vouch_until(started + VOUCH);
                if failing {
                    tracing::info!("application cache in use again");
                    failing = false;
                }
            }
            Err(e) => {
                state.apps.withdraw();
                state.apps.clear();
                seen = None;
                if !failing {
                    tracing::warn!(error = %e, "cannot read the application generation: applications are read on every request until it can");
                    failing = true;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL.saturating_sub(started.elapsed())) => {}
            _ = shutdown.changed() => {
                state.apps.withdraw();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(id: &str) -> Arc<SigningApp> {
        Arc::new(SigningApp {
            record: AppRecord {
                id: id.into(),
                name: "n".into(),
                secret_sealed: vec![],
                created_at: 0,
                secret_rotated_at: 0,
                number_matching: false,
                staff_of: None,
                staff_token_secs: 1,
                staff_idle_secs: 1,
            },
            secret: Zeroizing::new("s".into()),
        })
    }

    #[test]
    fn nothing_is_served_until_a_poll_vouches_for_it() {
        let cache = AppCache::default();
        cache.put(0, app("a"));
        assert!(cache.get("a", 0).is_none(), "no poll yet");
        cache.vouch_until(Instant::now() + VOUCH);
        assert!(cache.get("a", 0).is_some());
        cache.withdraw();
        assert!(cache.get("a", 0).is_none(), "withdrawn");
    }

    #[test]
    fn a_vouch_runs_out() {
        let cache = AppCache::default();
        cache.put(0, app("a"));
        cache.vouch_until(Instant::now());
        assert!(cache.get("a", 0).is_none());
    }

    #[test]
    fn a_new_generation_drops_every_entry_and_refuses_reads_from_before_it() {
        let cache = AppCache::default();
        cache.vouch_until(Instant::now() + Duration::from_secs(60));
        cache.put(3, app("a"));
        assert!(cache.get("a", 3).is_some());
        assert!(cache.get("a", 4).is_none(), "an entry from an older generation is not served");
        cache.put(4, app("b"));
        assert_eq!(cache.len(), 1, "the older generation's entries are gone");
        cache.put(3, app("a"));
        assert!(cache.get("a", 4).is_none(), "a read begun before the change is not kept");
        assert_eq!(cache.len(), 1);
    }
}
