//! This node's own connection to the shared database, on a thread of its own. It listens on
//! `iampass_events` and, woken by a commit on any node (or every [`TICK`] regardless), reads the
//! rows after the last id it saw into the hub, so event streams and phones' long-polls on this
//! node wake for changes made on others. It also holds the leader's advisory lock while it has
//! it: the lock belongs to this connection's session, so when the node dies or loses the
//! database, PostgreSQL releases it and another node's next tick takes it over.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator as _;
use tokio::sync::watch;

use super::PgConn;
use super::connect::Connector;
use crate::hub::Hub;
use crate::store::StoreError;
use crate::store::sql::{Sql, args, events_written_after, publish};

/// The longest a node goes without looking for new events and for a free leader's lock; also
/// how soon a survivor takes over a dead leader's work.
const TICK: Duration = Duration::from_millis(500);
const LEADER_LOCK: i64 = 0x1A3B_A55D_0002;
const BATCH: u32 = 500;
pub(super) const APPLICATION_NAME: &str = "iampass-node";
const LONGEST_RETRY: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct Node {
    leader: Arc<watch::Sender<bool>>,
    stop: Arc<AtomicBool>,
}

impl Node {
    /// Starts the node's thread, following events after `last`.
    pub(super) fn start(connector: Connector, hub: &Arc<Hub>, last: u64) -> Result<Arc<Self>, StoreError> {
        // Named, so an operator sees each node's listener in pg_stat_activity.
        let config = connector.named(APPLICATION_NAME);
        let leader = Arc::new(watch::Sender::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (hub, thread_leader, thread_stop) = (Arc::downgrade(hub), leader.clone(), stop.clone());
        std::thread::Builder::new()
            .name("pg-node".into())
            .spawn(move || run(&config, &hub, &thread_leader, &thread_stop, last))
            .map_err(|e| StoreError::Join(format!("cannot start the database listener: {e}")))?;
        Ok(Arc::new(Self { leader, stop }))
    }

    pub(super) fn leadership(&self) -> watch::Receiver<bool> {
        self.leader.subscribe()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn run(config: &Connector, hub: &Weak<Hub>, leader: &watch::Sender<bool>, stop: &AtomicBool, mut last: u64) {
    let mut retry = TICK;
    while !stop.load(Ordering::Relaxed) && hub.strong_count() > 0 {
        match follow(config, hub, leader, stop, &mut last, &mut retry) {
            Ok(()) => break,
            Err(e) => {
                if leader.send_replace(false) {
                    tracing::warn!("this node no longer runs the cluster's background work");
                }
                tracing::warn!(error = %e, "lost the database connection that follows events; reconnecting");
                std::thread::sleep(retry);
                retry = (retry * 2).min(LONGEST_RETRY);
            }
        }
    }
    leader.send_replace(false);
}

/// One connection's life: until the node stops (`Ok`) or the connection fails (`Err`).
fn follow(
    config: &Connector,
    hub: &Weak<Hub>,
    leader: &watch::Sender<bool>,
    stop: &AtomicBool,
    last: &mut u64,
    retry: &mut Duration,
) -> Result<(), StoreError> {
    let mut conn = PgConn::new(config.connect()?);
    conn.client()?.batch_execute("LISTEN iampass_events")?;
    *retry = TICK;
    loop {
        let Some(hub) = hub.upgrade() else { return Ok(()) };
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        loop {
            let batch = events_written_after(&mut conn, *last, BATCH)?;
            let Some(newest) = batch.last().map(|(id, _)| *id) else { break };
            *last = newest;
            publish(&hub, &batch);
            if batch.len() < BATCH as usize {
                break;
            }
        }
        drop(hub);
        if !*leader.borrow() {
            let won = conn.row("SELECT pg_try_advisory_lock(?1)", args![LEADER_LOCK], |r| r.get::<bool>(0))?;
            if won == Some(true) {
                leader.send_replace(true);
                tracing::info!("this node now runs the cluster's background work (sweeper, webhook)");
            }
        }
        let client = conn.client()?;
        let mut notifications = client.notifications();
        if notifications.timeout_iter(TICK).next()?.is_some() {
            // Several commits at once need one read.
            while notifications.iter().next()?.is_some() {}
        }
    }
}
