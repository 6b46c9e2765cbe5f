//! The outgoing webhook: every event of every application (logins, answers, fraud reports,
//! logouts, walkaways, users added or removed), POSTed one by one in order to one URL and signed
//! (`iampass_proto::webhook`). Delivery is at least once: the position is kept in the store, so
//! a restart resumes where it stopped, and a failed delivery is retried with backoff while later
//! events wait, so the receiver sees them in order. Receivers drop repeats by event id.

use std::time::Duration;

use iampass_proto::webhook;
use iampass_proto::wire::WebhookDelivery;
use tokio::sync::watch;

use crate::config::WebhookConfig;
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::prelude::*;

/// Events read from the store at a time; the position is saved after each batch.
const BATCH: u32 = 100;
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);
/// A receiver that takes longer than this to answer has failed this attempt.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error("the receiver answered {0}")]
    Status(u16),
    /// Never carries the URL: it may hold the receiver's own token.
    #[error("the receiver could not be reached: {0}")]
    Transport(String),
}

/// Delivers events after `cursor` (from [`start_position`], fixed before the server takes a
/// request, so no event falls between the two) until `stop` turns true. Only the node that leads
/// the cluster delivers (with SQLite: always this one); a node that takes the lead resumes from
/// the saved position, so a dead leader's receiver sees at most the events of its last batch
/// again.
pub async fn run(state: AppState, hook: WebhookConfig, mut cursor: u64, mut stop: watch::Receiver<bool>) {
    let http = match reqwest::Client::builder()
        .timeout(DELIVERY_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(http) => http,
        Err(e) => {
            tracing::error!(error = %e.without_url(), "the webhook client cannot start; no events will be delivered");
            return;
        }
    };
    let mut leader = state.store.leadership();
    loop {
        if !*leader.borrow_and_update() {
            tokio::select! {
                changed = leader.changed() => if changed.is_err() { return },
                _ = stop.wait_for(|s| *s) => return,
            }
            continue;
        }
        match state.store.webhook_cursor().await {
            Ok(Some(saved)) => cursor = saved,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the webhook position; retrying");
                if pause(&mut stop, FIRST_RETRY).await {
                    return;
                }
                continue;
            }
        }
        if deliver_while_leading(&state, &http, &hook, &mut cursor, &mut stop, &mut leader).await {
            return;
        }
    }
}

/// Delivers until the server stops (true) or this node no longer leads (false).
async fn deliver_while_leading(
    state: &AppState,
    http: &reqwest::Client,
    hook: &WebhookConfig,
    cursor: &mut u64,
    stop: &mut watch::Receiver<bool>,
    leader: &mut watch::Receiver<bool>,
) -> bool {
    let mut changes = state.store.hub().subscribe_events();
    loop {
        if !*leader.borrow() {
            return false;
        }
        let batch = match state.store.all_events_after(*cursor, BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read events for the webhook; retrying");
                if pause(stop, FIRST_RETRY).await {
                    return true;
                }
                continue;
            }
        };
        if batch.is_empty() {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return true },
                _ = leader.changed() => {}
                _ = stop.wait_for(|s| *s) => return true,
            }
            continue;
        }
        for (application_id, event) in batch {
            let id = event.id;
            if !*leader.borrow() {
                save(state, *cursor).await;
                return false;
            }
            if !event.data.for_integrations() {
                *cursor = id;
                continue;
            }
            if !deliver_until_accepted(http, hook, state, &WebhookDelivery { application_id, event }, stop).await {
                save(state, *cursor).await;
                return true;
            }
            *cursor = id;
        }
        save(state, *cursor).await;
    }
}

/// Where delivery resumes: the saved position, or on the very first start the newest event (a
/// new receiver gets what happens from now on, not a week of history).
pub async fn start_position(state: &AppState) -> Result<u64, StoreError> {
    if let Some(cursor) = state.store.webhook_cursor().await? {
        return Ok(cursor);
    }
    let newest = state.store.newest_event_id().await?;
    state.store.set_webhook_cursor(newest).await?;
    Ok(newest)
}

async fn save(state: &AppState, cursor: u64) {
    if let Err(e) = state.store.set_webhook_cursor(cursor).await {
        // Not fatal: after a restart the receiver gets a few events again, which it drops by id.
        tracing::warn!(error = %e, "cannot save the webhook position");
    }
}

/// Sleeps for `how_long`; true if the server is stopping.
async fn pause(stop: &mut watch::Receiver<bool>, how_long: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(how_long) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// Retries one delivery with doubling pauses until the receiver takes it; false if the server
/// stops first.
async fn deliver_until_accepted(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    state: &AppState,
    delivery: &WebhookDelivery,
    stop: &mut watch::Receiver<bool>,
) -> bool {
    let body = match serde_json::to_vec(delivery) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(event_id = delivery.event.id, error = %e, "cannot encode an event for the webhook; skipped");
            return true;
        }
    };
    let mut wait = FIRST_RETRY;
    loop {
        // A receiver that is slow to answer must not hold up the server's shutdown.
        let attempt = tokio::select! {
            attempt = deliver(http, hook, state, delivery, &body) => attempt,
            _ = stop.wait_for(|s| *s) => return false,
        };
        match attempt {
            Ok(()) => {
                metrics::counter!("iampass_webhook_deliveries_total", "outcome" => "delivered").increment(1);
                return true;
            }
            Err(e) => {
                metrics::counter!("iampass_webhook_deliveries_total", "outcome" => "failed").increment(1);
                tracing::warn!(event_id = delivery.event.id, error = %e, retry_in_s = wait.as_secs(), "webhook delivery failed");
                if pause(stop, wait).await {
                    return false;
                }
                wait = (wait * 2).min(LAST_RETRY);
            }
        }
    }
}

async fn deliver(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    state: &AppState,
    delivery: &WebhookDelivery,
    body: &[u8],
) -> Result<(), DeliveryError> {
    let signature = webhook::sign(hook.secret.0.as_bytes(), state.clock.now_secs(), body);
    let response = http
        .post(hook.url.as_str())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(webhook::HEADER_SIGNATURE, signature)
        .header(webhook::HEADER_EVENT_ID, delivery.event.id)
        .header(webhook::HEADER_EVENT_TYPE, delivery.event.data.kind())
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| DeliveryError::Transport(e.without_url().to_string()))?;
    if response.status().is_success() { Ok(()) } else { Err(DeliveryError::Status(response.status().as_u16())) }
}
