//! Wakes whoever waits on a change, the moment the store commits it: event-stream subscribers
//! (by the newest event id) and phones long-polling for a login request (by device id). It holds
//! no data; the store is the truth and waiters re-read it, so a missed wake-up loses nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, watch};

#[derive(Debug)]
pub struct Hub {
    latest_event: watch::Sender<u64>,
    devices: Mutex<HashMap<String, Arc<Notify>>>,
    /// Moves on whenever an application's row may have changed (its secret, its settings, its
    /// deletion): what the application cache checks its entries against.
    applications: AtomicU64,
}

impl Hub {
    pub fn new(latest_event: u64) -> Self {
        Self {
            latest_event: watch::Sender::new(latest_event),
            devices: Mutex::new(HashMap::new()),
            applications: AtomicU64::new(0),
        }
    }

    /// Called after a commit that changed applications here, or when another process's change is
    /// seen (the application cache's watch).
    pub fn applications_changed(&self) {
        self.applications.fetch_add(1, Ordering::AcqRel);
    }

    pub fn applications_generation(&self) -> u64 {
        self.applications.load(Ordering::Acquire)
    }

    /// Called by the store after a commit that wrote events up to `id`.
    pub fn events_written(&self, id: u64) {
        self.latest_event.send_if_modified(|cur| {
            if id > *cur {
                *cur = id;
                true
            } else {
                false
            }
        });
    }

    pub fn subscribe_events(&self) -> watch::Receiver<u64> {
        self.latest_event.subscribe()
    }

    /// The notifier a phone waits on. Take it, register interest (`Notified::enable`), then read
    /// the store, then wait: a request created in between still wakes it.
    pub fn device_waiter(&self, device_id: &str) -> Arc<Notify> {
        let mut map = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(device_id.to_owned()).or_default().clone()
    }

    /// Drops the notifier once nobody waits on it, so the map holds only live long-polls.
    pub fn release_device_waiter(&self, device_id: &str, waiter: Arc<Notify>) {
        let mut map = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        drop(waiter);
        if map.get(device_id).is_some_and(|n| Arc::strong_count(n) == 1) {
            map.remove(device_id);
        }
    }

    pub fn wake_device(&self, device_id: &str) {
        let map = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get(device_id) {
            n.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn event_ids_only_move_forward() {
        let hub = Hub::new(5);
        let mut rx = hub.subscribe_events();
        hub.events_written(3);
        assert!(!rx.has_changed().unwrap_or(true));
        hub.events_written(9);
        assert!(rx.has_changed().unwrap_or(false));
        assert_eq!(*rx.borrow_and_update(), 9);
    }

    #[tokio::test]
    async fn a_device_wakes_even_if_the_request_lands_before_it_waits() {
        let hub = Hub::new(0);
        let waiter = hub.device_waiter("d");
        {
            let notified = waiter.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            hub.wake_device("d");
            tokio::time::timeout(std::time::Duration::from_secs(5), notified).await.expect("woken");
        }
        hub.release_device_waiter("d", waiter);
        assert!(hub.devices.lock().expect("lock").is_empty());
    }
}
