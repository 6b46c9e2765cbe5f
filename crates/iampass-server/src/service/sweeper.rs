//! Applies time-driven changes (login timeouts, session expiry, walkaway grace) as they fall due,
//! and forgets old events. Status reads apply their own session's deadline too, so an answer is
//! never stale even between sweeps.

use std::time::Duration;

use crate::config::secs_to_ms;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;

const BATCH: u32 = 500;
/// Never sleep longer than this, so a session created meanwhile is not missed for long.
const MAX_SLEEP_MS: i64 = 1000;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Spent nonces outlive their window by at most this (they are refused by timestamp meanwhile).
const FORGET_NONCES_EVERY: Duration = Duration::from_secs(60);

impl AppState {
    /// One pass over every due deadline; returns how many sessions changed.
    pub async fn sweep_once(&self) -> Result<usize, ServiceError> {
        let mut total = 0;
        loop {
            let n = self.store.sweep(self.now(), self.config.policy(), BATCH).await?;
            total += n;
            if n < BATCH as usize {
                return Ok(total);
            }
        }
    }
}

/// Runs until `shutdown` fires, on the node that leads the cluster (with SQLite: always this
/// one); the others wait to take over.
pub async fn run(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut last_prune = tokio::time::Instant::now() - PRUNE_EVERY;
    let mut last_forget = tokio::time::Instant::now();
    let mut leader = state.store.leadership();
    loop {
        let leading = *leader.borrow_and_update();
        metrics::gauge!("iampass_cluster_leader").set(if leading { 1.0 } else { 0.0 });
        if !leading {
            tokio::select! {
                changed = leader.changed() => if changed.is_err() { return },
                _ = shutdown.changed() => return,
            }
            continue;
        }
        if let Err(e) = state.sweep_once().await {
            tracing::error!(error = %e, "sweep failed");
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = tokio::time::Instant::now();
            let before = state.now() - secs_to_ms(state.config.event_retention_secs);
            if let Err(e) = state.store.prune_events(before).await {
                tracing::error!(error = %e, "event pruning failed");
            }
            // Ended sign-ins and tokens are kept a day (for support questions), then forgotten.
            if let Err(e) = state.store.prune_staff(state.now() - 24 * 3600 * 1000).await {
                tracing::error!(error = %e, "staff sign-in pruning failed");
            }
        }
        if last_forget.elapsed() >= FORGET_NONCES_EVERY {
            last_forget = tokio::time::Instant::now();
            if let Err(e) = state.store.forget_nonces(state.clock.now_secs()).await {
                tracing::error!(error = %e, "forgetting spent nonces failed");
            }
        }
        let now = state.now();
        let next = state.store.next_deadline().await.ok().flatten();
        let sleep_ms = next.map_or(MAX_SLEEP_MS, |d| (d - now).clamp(5, MAX_SLEEP_MS));
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(sleep_ms as u64)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
