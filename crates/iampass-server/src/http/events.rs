//! The console's Server-Sent Events stream: every session and user change of one application, in
//! order, each once. Resumes after `Last-Event-ID`; heartbeats keep proxies from closing it.
//! It reads the store's event log, woken by the hub, so a slow reader misses nothing.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use futures_util::Stream;

use super::auth::Manager;
use super::permissions::act;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;

const BATCH: u32 = 500;
pub(super) const HEARTBEAT: Duration = Duration::from_secs(15);
const STAFF_RECHECK: Duration = Duration::from_secs(2);

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/management/events/{app}", get(events))
}

async fn events(
    State(s): State<AppState>,
    auth: Manager<act::ReadEvents>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ServiceError> {
    let app_id = auth.actor.app_id().to_owned();
    let actor = auth.actor;
    let bearer = auth.bearer;
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let start = match resume {
        Some(id) => id,
        None => s.store.latest_event_id(&app_id).await?,
    };
    let rx = s.store.hub().subscribe_events();
    let stream = futures_util::stream::unfold(
        (s, app_id, start, rx, Vec::new().into_iter(), bearer, actor),
        |(s, app, mut last, mut rx, mut buf, bearer, actor)| async move {
            loop {
                if let Some(ev) = buf.next() {
                    let sse = to_sse(&ev);
                    return Some((Ok(sse), (s, app, last, rx, buf, bearer, actor)));
                }
                rx.borrow_and_update();
                match s.store.events_after(&app, last, BATCH).await {
                    Ok(batch) if !batch.is_empty() => {
                        last = batch.last().map_or(last, |e| e.id);
                        buf = batch
                            .into_iter()
                            .filter(|e| actor.may(iampass_proto::roles::event_permission(&e.data)))
                            .collect::<Vec<_>>()
                            .into_iter();
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "event stream read failed");
                        return None;
                    }
                }
                let mut shutdown = s.shutdown.clone();
                tokio::select! {
                    changed = rx.changed() => if changed.is_err() { return None },
                    // The server is stopping: end the stream so the shutdown need not wait for it.
                    _ = shutdown.wait_for(|stop| *stop) => return None,
                    // A staff member's stream ends with their sign-in (sign-out, removal, role
                    // change, expiry), checked this often.
                    _ = tokio::time::sleep(STAFF_RECHECK), if bearer.is_some() => {}
                }
                if let Some(token) = &bearer
                    && !s.staff_token_holds(token).await
                {
                    return None;
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

fn to_sse(ev: &iampass_proto::wire::Event) -> SseEvent {
    let data = serde_json::to_string(ev).unwrap_or_else(|_| "{}".into());
    SseEvent::default().id(ev.id.to_string()).event(ev.data.kind()).data(data)
}
