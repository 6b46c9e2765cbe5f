//! The statements every request makes (its nonce, the user it names), run on the request's own
//! task over a few shared asynchronous connections. Requests' statements on one connection are
//! pipelined (sent without waiting for the previous answer), so under load one write and one
//! wake-up carry many; the blocking pool's hop per statement (two thread switches) cost more than
//! PostgreSQL's own work (docs/BENCHMARKS.md). Everything else (transactions, multi-statement
//! reads) stays on the pool.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::connect::Connector;
use super::{PgRow, bound, ended_connection, numbered, refs};
use crate::store::StoreError;
use crate::store::sql::{Param, Row};

/// Connections per node for pipelined statements: each is one backend process on the database,
/// so a few spread the work over its cores.
pub const LINES: usize = 4;

pub struct Pipeline {
    connector: Connector,
    lines: Vec<tokio::sync::Mutex<Option<Arc<Line>>>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("lines", &self.lines.len()).finish()
    }
}

/// One connection with the statements prepared on it.
struct Line {
    client: Client,
    prepared: Mutex<HashMap<&'static str, Statement>>,
}

impl Pipeline {
    pub fn new(connector: Connector) -> Self {
        Self {
            connector,
            lines: (0..LINES).map(|_| tokio::sync::Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        }
    }

    /// A live line, in turn; connects (again) when its connection is missing or gone.
    async fn line(&self) -> Result<(usize, Arc<Line>), StoreError> {
        let at = self.next.fetch_add(1, Ordering::Relaxed) % self.lines.len();
        let mut held = self.lines[at].lock().await;
        if let Some(line) = held.as_ref().filter(|l| !l.client.is_closed()) {
            return Ok((at, line.clone()));
        }
        let client = self
            .connector
            .connect_async()
            .await
            .map_err(|e| StoreError::Database(Box::new(super::ConnectError::from(e))))?;
        let line = Arc::new(Line { client, prepared: Mutex::new(HashMap::new()) });
        *held = Some(line.clone());
        Ok((at, line))
    }

    /// Forgets line `at` if it still is `dead`, so the next use connects afresh.
    async fn drop_line(&self, at: usize, dead: &Arc<Line>) {
        let mut held = self.lines[at].lock().await;
        if held.as_ref().is_some_and(|l| Arc::ptr_eq(l, dead)) {
            *held = None;
        }
    }

    /// The statement's rows; tried again on another connection while the one it ran on turns
    /// out dead (a database restart, a terminated backend): a statement refused that way never
    /// ran.
    async fn query(
        &self,
        sql: &'static str,
        args: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let mut tries = 0;
        loop {
            let (at, line) = self.line().await?;
            let answer = match line.statement(sql).await {
                Ok(statement) => line.client.query(&statement, args).await,
                Err(e) => Err(e),
            };
            tries += 1;
            match answer {
                Err(e) if tries <= self.lines.len() && (line.client.is_closed() || ended_connection(&e)) => {
                    self.drop_line(at, &line).await;
                }
                answer => return answer.map_err(StoreError::from),
            }
        }
    }

    /// The statement's first row, read by `f`.
    pub async fn row<T>(
        &self,
        sql: &'static str,
        params: &[Param],
        f: impl Fn(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let args = Param::args(params);
        let bound = bound(&args);
        self.query(sql, &refs(&bound)).await?.first().map(|r| f(&PgRow(r))).transpose()
    }
}

/// Spent nonces, written together: every request spends one, and one insert of many rows costs
/// the database about what one row does. A request's nonce waits only for the insert before it
/// to finish (at most [`LINES`] inserts run at once), so batches grow with the load and stay
/// single rows when it is light.
#[derive(Debug, Clone)]
pub struct Nonces {
    queue: mpsc::UnboundedSender<Spend>,
}

/// One request's nonce and where its answer goes: `true` if it was not spent before.
#[derive(Debug)]
struct Spend {
    scope: String,
    nonce: String,
    keep_until: i64,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

/// Rows per insert at most.
const MAX_BATCH: usize = 512;

const INSERT_NONCES: &str = "INSERT INTO nonces (scope, nonce, keep_until)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
     ON CONFLICT DO NOTHING RETURNING scope, nonce";

impl Nonces {
    /// Starts the writer on the current runtime; it stops when every clone of this is dropped.
    pub fn start(pipeline: Arc<Pipeline>) -> Self {
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(pipeline, requests));
        Self { queue }
    }

    /// Whether `nonce` was fresh in `scope` (and is now spent).
    pub async fn spend(&self, scope: &str, nonce: &str, keep_until: i64) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        let spend = Spend { scope: scope.to_owned(), nonce: nonce.to_owned(), keep_until, answer };
        self.queue.send(spend).map_err(|_| StoreError::Join("the nonce writer stopped".into()))?;
        answered.await.map_err(|_| StoreError::Join("the nonce writer stopped".into()))?
    }
}

async fn write_batches(pipeline: Arc<Pipeline>, mut requests: mpsc::UnboundedReceiver<Spend>) {
    let running = Arc::new(Semaphore::new(LINES));
    while let Some(first) = requests.recv().await {
        // Waiting for a free slot is what lets the next batch fill.
        let Ok(slot) = running.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(spend) => batch.push(spend),
                Err(_) => break,
            }
        }
        let pipeline = pipeline.clone();
        tokio::spawn(async move {
            insert_batch(&pipeline, batch).await;
            drop(slot);
        });
    }
}

async fn insert_batch(pipeline: &Pipeline, batch: Vec<Spend>) {
    let mut rows: HashSet<(&str, &str)> = HashSet::with_capacity(batch.len());
    let (mut scopes, mut nonces, mut keeps) = (Vec::new(), Vec::new(), Vec::new());
    for s in &batch {
        // The same nonce twice in one batch: one row; the second request finds it spent below.
        if rows.insert((&s.scope, &s.nonce)) {
            scopes.push(s.scope.as_str());
            nonces.push(s.nonce.as_str());
            keeps.push(s.keep_until);
        }
    }
    let inserted = pipeline.query(INSERT_NONCES, &[&scopes, &nonces, &keeps]).await.and_then(|rows| {
        rows.iter()
            .map(|r| Ok((r.try_get::<_, String>(0)?, r.try_get::<_, String>(1)?)))
            .collect::<Result<HashSet<(String, String)>, StoreError>>()
    });
    match inserted {
        Ok(inserted) => {
            let fresh = first_of_each(batch.iter().map(|s| (s.scope.as_str(), s.nonce.as_str())), inserted);
            for (s, fresh) in batch.into_iter().zip(fresh) {
                let _ = s.answer.send(Ok(fresh));
            }
        }
        Err(e) => {
            let why = e.to_string();
            for s in batch {
                let _ = s.answer.send(Err(StoreError::Grouped(why.clone())));
            }
        }
    }
}

/// For each request of a batch, in order, whether it spent its nonce: the first request of
/// each row the insert made; a copy later in the batch, like any row already there, is a replay.
fn first_of_each<'a>(
    batch: impl Iterator<Item = (&'a str, &'a str)>,
    mut inserted: HashSet<(String, String)>,
) -> Vec<bool> {
    batch.map(|(scope, nonce)| inserted.remove(&(scope.to_owned(), nonce.to_owned()))).collect()
}

impl Line {
    async fn statement(&self, sql: &'static str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(&numbered(sql)).await?;
        self.prepared.lock().unwrap_or_else(|p| p.into_inner()).insert(sql, statement.clone());
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_copy_of_an_inserted_nonce_is_fresh() {
        let batch = [("a", "1"), ("a", "1"), ("a", "2"), ("b", "1"), ("a", "1")];
        let inserted = HashSet::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "1".to_owned())]);
        assert_eq!(first_of_each(batch.into_iter(), inserted), [true, false, false, true, false]);
    }
}
