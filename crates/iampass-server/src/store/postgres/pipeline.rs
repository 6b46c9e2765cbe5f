//! The statements every request makes (its nonce, the user it names), run on the request's own
//! task over a few shared asynchronous connections, and those of requests arriving together
//! joined into one statement: the blocking pool's hop per statement (two thread switches) cost
//! more than PostgreSQL's own work, and PostgreSQL's work per statement (a message, a snapshot, a
//! send) more than the rows it finds (docs/BENCHMARKS.md). Statements on one connection are
//! pipelined (sent without waiting for the previous answer). Everything else (transactions,
//! multi-statement reads) stays on the pool.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

use super::connect::Connector;
use super::{bound, ended_connection, numbered, placeholders, refs, value_at};
use crate::store::StoreError;
use crate::store::nonce::{NonceKey, nonce_key};
use crate::store::sql::{Param, Row, Value};

/// Connections per node for pipelined statements: each is one backend process on the database,
/// so a few spread the work over its cores.
pub(super) const LINES: usize = 4;

/// Set on every line. A plan made once: the batched statements' row counts vary with the load,
/// so PostgreSQL would plan them afresh each time (a tenth of its time here), though their plan
/// never changes (an index lookup per row). Commits not waiting for the disk, which only the
/// nonces' inserts have (the reads write nothing): see [`Nonces`].
const LINE_SETTINGS: &str = "SET plan_cache_mode = force_generic_plan; SET synchronous_commit = off";

pub(super) struct Pipeline {
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
    prepared: Mutex<HashMap<String, Statement>>,
}

impl Pipeline {
    pub(super) fn new(connector: Connector) -> Self {
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
        client.batch_execute(LINE_SETTINGS).await.map_err(StoreError::from)?;
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
    async fn query(&self, sql: &str, args: &[&(dyn ToSql + Sync)]) -> Result<Vec<tokio_postgres::Row>, StoreError> {
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

    /// The statement's first row.
    async fn first(&self, sql: &str, params: &[Param]) -> Result<Option<Found>, StoreError> {
        let args = Param::args(params);
        let bound = bound(&args);
        Ok(self.query(sql, &refs(&bound)).await?.into_iter().next().map(|row| Found { row, skip: 0 }))
    }
}

/// Rows per statement at most, for batches of nonces or of reads.
const MAX_BATCH: usize = 512;

/// Hands what arrives on `requests` to `run` in batches, one batch at a time: a request waits
/// only for the batch before it, so batches grow with the load (as many as arrived during one
/// trip to the database) and stay single requests when it is light. One batch in flight per
/// kind of statement beat four (docs/BENCHMARKS.md): the database's cost is per statement, not
/// per row, and kinds (and nodes) still run beside each other. Stops when every sender is dropped.
fn gather<T, F, Fut>(mut requests: mpsc::UnboundedReceiver<T>, run: F)
where
    T: Send + 'static,
    F: Fn(Vec<T>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        while let Some(first) = requests.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            run(batch).await;
        }
    });
}

/// One row a read found, its own columns counted from 0 whatever the statement put before them.
struct Found {
    row: tokio_postgres::Row,
    skip: usize,
}

impl Row for Found {
    fn value(&self, i: usize) -> Result<Value<'_>, StoreError> {
        value_at(&self.row, i + self.skip)
    }
}

/// Lone-statement reads (a statement, its parameters, its first row), joined into one statement
/// while others with the same statement wait: `unnest` turns the batch's parameters into rows,
/// and the statement runs once per row as a `LATERAL` subquery, by the same index as alone.
#[derive(Debug)]
pub(super) struct Reads {
    pipeline: Arc<Pipeline>,
    queues: Mutex<HashMap<Shape, mpsc::UnboundedSender<Lookup>>>,
}

/// What reads that can share a statement have in common: the statement and its parameters' types.
type Shape = (&'static str, Vec<Kind>);

/// One request's read and where its row goes.
struct Lookup {
    params: Vec<Param>,
    answer: oneshot::Sender<Result<Option<Found>, StoreError>>,
}

/// A parameter's type, which its column of the batch is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Int,
    Bool,
    Text,
    Blob,
}

impl Kind {
    /// `None` for a NULL, which has no array type to be sent in: such a read runs alone.
    fn of(p: &Param) -> Option<Kind> {
        match p {
            Param::Null => None,
            Param::Int(_) => Some(Kind::Int),
            Param::Bool(_) => Some(Kind::Bool),
            Param::Text(_) => Some(Kind::Text),
            Param::Blob(_) => Some(Kind::Blob),
        }
    }

    fn array(self) -> &'static str {
        match self {
            Kind::Int => "bigint[]",
            Kind::Bool => "boolean[]",
            Kind::Text => "text[]",
            Kind::Blob => "bytea[]",
        }
    }
}

impl Reads {
    pub(super) fn new(pipeline: Arc<Pipeline>) -> Self {
        Self { pipeline, queues: Mutex::new(HashMap::new()) }
    }

    /// The statement's first row, read by `f`.
    pub(super) async fn row<T>(
        &self,
        sql: &'static str,
        params: Vec<Param>,
        f: impl Fn(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let Some(kinds) = params.iter().map(Kind::of).collect::<Option<Vec<Kind>>>() else {
            return self.pipeline.first(sql, &params).await?.map(|found| f(&found)).transpose();
        };
        let shape = (sql, kinds);
        let (answer, answered) = oneshot::channel();
        let mut lookup = Lookup { params, answer };
        // A queue whose reader is gone (its runtime ended) is closed, and replaced by `queue`.
        for _ in 0..2 {
            match self.queue(&shape).send(lookup) {
                Ok(()) => {
                    let found = answered.await.map_err(|_| StoreError::Join("the reader stopped".into()))??;
                    return found.map(|found| f(&found)).transpose();
                }
                Err(mpsc::error::SendError(back)) => lookup = back,
            }
        }
        Err(StoreError::Join("the reader stopped".into()))
    }

    /// The queue of reads of this shape; starts its reader the first time, or when the last one
    /// is gone.
    fn queue(&self, shape: &Shape) -> mpsc::UnboundedSender<Lookup> {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = queues.get(shape).filter(|q| !q.is_closed()) {
            return queue.clone();
        }
        let (queue, lookups) = mpsc::unbounded_channel();
        let (sql, kinds) = (shape.0, &shape.1);
        let (pipeline, batched) = (self.pipeline.clone(), Arc::<str>::from(batched(sql, kinds)));
        gather(lookups, move |batch| {
            let (pipeline, batched) = (pipeline.clone(), batched.clone());
            async move { read_batch(&pipeline, sql, &batched, batch).await }
        });
        queues.insert(shape.clone(), queue.clone());
        queue
    }
}

/// `sql` for many parameter rows at once: each answer row starts with the number (from 1) of
/// the parameter row it belongs to, then `sql`'s own first row for it.
fn batched(sql: &str, kinds: &[Kind]) -> String {
    let arrays: Vec<String> = kinds.iter().enumerate().map(|(i, k)| format!("${}::{}", i + 1, k.array())).collect();
    let names: Vec<String> = (1..=kinds.len()).map(|n| format!("p{n}")).collect();
    format!(
        "SELECT batch_keys.i, q.* FROM unnest({}) WITH ORDINALITY AS batch_keys({}, i)
         CROSS JOIN LATERAL ({} LIMIT 1) AS q",
        arrays.join(", "),
        names.join(", "),
        placeholders(sql, |n| format!("batch_keys.p{n}")),
    )
}

async fn read_batch(pipeline: &Pipeline, sql: &str, batched: &str, batch: Vec<Lookup>) {
    let found = match &batch[..] {
        [one] => pipeline.first(sql, &one.params).await.map(|found| vec![found]),
        _ => read_together(pipeline, batched, &batch).await,
    };
    answer_each(batch.into_iter().map(|lookup| lookup.answer), found);
}

/// Sends each request of a batch its own answer, in order, or every one the batch's error.
fn answer_each<A>(
    answers: impl Iterator<Item = oneshot::Sender<Result<A, StoreError>>>,
    batch: Result<Vec<A>, StoreError>,
) {
    match batch {
        Ok(each) => {
            for (answer, one) in answers.zip(each) {
                let _ = answer.send(Ok(one));
            }
        }
        Err(e) => {
            let why = e.to_string();
            for answer in answers {
                let _ = answer.send(Err(StoreError::Grouped(why.clone())));
            }
        }
    }
}

/// Each lookup's row, in the batch's order.
async fn read_together(pipeline: &Pipeline, batched: &str, batch: &[Lookup]) -> Result<Vec<Option<Found>>, StoreError> {
    let columns = (0..batch[0].params.len())
        .map(|at| Column::of(batch.iter().map(|l| &l.params[at])))
        .collect::<Result<Vec<Column<'_>>, StoreError>>()?;
    let args: Vec<&(dyn ToSql + Sync)> = columns.iter().map(Column::as_sql).collect();
    let mut found: Vec<Option<Found>> = std::iter::repeat_with(|| None).take(batch.len()).collect();
    for row in pipeline.query(batched, &args).await? {
        let at = usize::try_from(row.try_get::<_, i64>(0)?).ok().and_then(|n| n.checked_sub(1));
        let slot = at
            .and_then(|at| found.get_mut(at))
            .ok_or_else(|| StoreError::Corrupt("a batched read answered for no request".into()))?;
        *slot = Some(Found { row, skip: 1 });
    }
    Ok(found)
}

/// One parameter of every read in a batch, sent as one array.
enum Column<'a> {
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Text(Vec<&'a str>),
    Blob(Vec<&'a [u8]>),
}

impl<'a> Column<'a> {
    /// The batch shares its statement's parameter types (the queue is theirs), so a parameter
    /// of another type, like a NULL, is a fault here.
    fn of(mut params: impl Iterator<Item = &'a Param>) -> Result<Self, StoreError> {
        let mismatch = || StoreError::Corrupt("a batched read's parameters differ in type".into());
        let first = params.next().ok_or_else(mismatch)?;
        let mut column = match first {
            Param::Int(_) => Column::Int(Vec::new()),
            Param::Bool(_) => Column::Bool(Vec::new()),
            Param::Text(_) => Column::Text(Vec::new()),
            Param::Blob(_) => Column::Blob(Vec::new()),
            Param::Null => return Err(mismatch()),
        };
        for p in std::iter::once(first).chain(params) {
            match (&mut column, p) {
                (Column::Int(v), Param::Int(i)) => v.push(*i),
                (Column::Bool(v), Param::Bool(b)) => v.push(*b),
                (Column::Text(v), Param::Text(t)) => v.push(t),
                (Column::Blob(v), Param::Blob(b)) => v.push(b),
                _ => return Err(mismatch()),
            }
        }
        Ok(column)
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Column::Int(v) => v,
            Column::Bool(v) => v,
            Column::Text(v) => v,
            Column::Blob(v) => v,
        }
    }
}

/// Spent nonces, written together ([`gather`]): every request spends one, and one insert of
/// many rows costs the database about what one row does.
///
/// Their commits do not wait for the disk (`synchronous_commit = off` on these connections):
/// waiting for each flush held every batch behind it and cost a quarter of the throughput
/// (docs/BENCHMARKS.md). What that gives up is small and bounded: the next synchronous commit
/// anywhere (any write request's own transaction, which runs after its nonce was spent) flushes
/// the nonce with it, so the nonce of every request that changed something is on disk before its
/// answer; only a read-only request's nonce can be lost, and only if PostgreSQL itself (not a
/// node) crashes within 0.6 s of it (three rounds of its WAL writer, 200 ms each by default).
/// The embedded SQLite server keeps its nonces in memory and forgets them all on a restart.
#[derive(Debug, Clone)]
pub(super) struct Nonces {
    queue: mpsc::UnboundedSender<Spend>,
}

/// One request's nonce and where its answer goes: `true` if it was not spent before.
#[derive(Debug)]
struct Spend {
    key: NonceKey,
    keep_until: i64,
    answer: oneshot::Sender<Result<bool, StoreError>>,
}

const INSERT_NONCES: &str = "INSERT INTO nonces (key, keep_until)
     SELECT * FROM unnest($1::bytea[], $2::bigint[])
     ON CONFLICT DO NOTHING RETURNING key";

impl Nonces {
    /// Starts the writer on the current runtime; it stops when every clone of this is dropped.
    pub(super) fn start(pipeline: Arc<Pipeline>) -> Self {
        let (queue, requests) = mpsc::unbounded_channel();
        gather(requests, move |batch| {
            let pipeline = pipeline.clone();
            async move { insert_batch(&pipeline, batch).await }
        });
        Self { queue }
    }

    /// Whether `nonce` was fresh in `scope` (and is now spent).
    pub(super) async fn spend(&self, scope: &str, nonce: &str, keep_until: i64) -> Result<bool, StoreError> {
        let (answer, answered) = oneshot::channel();
        let spend = Spend { key: nonce_key(scope, nonce), keep_until, answer };
        self.queue.send(spend).map_err(|_| StoreError::Join("the nonce writer stopped".into()))?;
        answered.await.map_err(|_| StoreError::Join("the nonce writer stopped".into()))?
    }
}

async fn insert_batch(pipeline: &Pipeline, batch: Vec<Spend>) {
    let mut rows: HashSet<&NonceKey> = HashSet::with_capacity(batch.len());
    let (mut keys, mut keeps) = (Vec::new(), Vec::new());
    for s in &batch {
        // The same nonce twice in one batch: one row; the second request finds it spent below.
        if rows.insert(&s.key) {
            keys.push(&s.key[..]);
            keeps.push(s.keep_until);
        }
    }
    let inserted = pipeline.query(INSERT_NONCES, &[&keys, &keeps]).await.and_then(|rows| {
        rows.iter()
            .map(|r| NonceKey::try_from(r.try_get::<_, &[u8]>(0)?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<HashSet<NonceKey>, StoreError>>()
    });
    let fresh = inserted.map(|inserted| first_of_each(batch.iter().map(|s| s.key), inserted));
    answer_each(batch.into_iter().map(|s| s.answer), fresh);
}

/// For each request of a batch, in order, whether it spent its nonce: the first request of
/// each row the insert made; a copy later in the batch, like any row already there, is a replay.
fn first_of_each(batch: impl Iterator<Item = NonceKey>, mut inserted: HashSet<NonceKey>) -> Vec<bool> {
    batch.map(|key| inserted.remove(&key)).collect()
}

impl Line {
    async fn statement(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(s) = self.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(sql) {
            return Ok(s.clone());
        }
        let statement = self.client.prepare(&numbered(sql)).await?;
        self.prepared.lock().unwrap_or_else(|p| p.into_inner()).insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batched_read_runs_its_statement_once_per_parameter_row() {
        assert_eq!(
            batched("SELECT a FROM t WHERE x = ?1 AND y = ?2 AND z = '?3'", &[Kind::Text, Kind::Int]),
            "SELECT batch_keys.i, q.* FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS batch_keys(p1, p2, i)
         CROSS JOIN LATERAL (SELECT a FROM t WHERE x = batch_keys.p1 AND y = batch_keys.p2 AND z = '?3' LIMIT 1) AS q"
        );
    }

    #[test]
    fn a_batch_of_parameters_of_different_types_is_refused() {
        let params = [Param::Text("a".into()), Param::Int(1)];
        assert!(Column::of(params.iter()).is_err());
        assert!(Column::of([Param::Null].iter()).is_err());
        assert!(matches!(Column::of(params[..1].iter()), Ok(Column::Text(v)) if v == ["a"]));
    }

    #[test]
    fn only_the_first_copy_of_an_inserted_nonce_is_fresh() {
        let batch = [("a", "1"), ("a", "1"), ("a", "2"), ("b", "1"), ("a", "1")].map(|(s, n)| nonce_key(s, n));
        let inserted = HashSet::from([nonce_key("a", "1"), nonce_key("b", "1")]);
        assert_eq!(first_of_each(batch.into_iter(), inserted), [true, false, false, true, false]);
    }
}
