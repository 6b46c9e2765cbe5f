//! The PostgreSQL backend, for several nodes on one database: PostgreSQL's side of the store's SQL
//! ([`super::sql`]): its schema and migrations, how a connection runs a statement (`?N` becomes
//! `$N`, prepared once per connection), transactions, and what makes nodes one service:
//!
//! - Every write transaction first takes one cluster-wide advisory lock, so writes are serialised
//!   across all nodes exactly as SQLite serialises them in one process: each compound change sees
//!   the rows it reads unchanged until it commits, and event ids are taken in commit order, so a
//!   reader following them never skips a commit that landed late.
//! - A transaction that wrote events notifies `iampass_events` (no payload: the rows are the
//!   truth). Each node keeps one connection of its own ([`node`]) that listens, reads the new
//!   rows into its hub (so a stream or a phone's long-poll on any node wakes), and re-reads from
//!   its last id after a reconnect; the same connection holds the leader's advisory lock, so
//!   the cluster's background work runs on one node and moves when that node's session ends.
//! - Spent nonces are a table, written with `ON CONFLICT DO NOTHING`.
//!
//! The client is the synchronous `postgres` crate (tokio-postgres driven on the calling thread),
//! which fits the store's synchronous SQL; those calls run on the blocking pool or the node's own
//! thread, never on the async workers. The statements every request makes alone (its nonce, a
//! lone read) run asynchronously instead, pipelined on a few shared connections, those of
//! requests arriving together joined into one ([`pipeline`]).

mod connect;
mod node;
mod pipeline;

use std::collections::HashMap;
use std::sync::Arc;

use postgres::types::{IsNull, ToSql, Type};
use postgres::{Client, Statement};

use super::sql::{Arg, AuditQueue, Param, Row, Sql, SqlBackend, Value, Writer};
use super::{Admin, Conn, NonceError, NonceStore, SchemaVersion, StoreError};
use crate::hub::Hub;

/// Each element is one schema version; a database at version N has run the first N.
const MIGRATIONS: &[&str] = &[
    include_str!("schema.sql"),
    include_str!("0002_app_generation.sql"),
    include_str!("0003_nonce_keys.sql"),
    include_str!("0004_team_book.sql"),
    include_str!("0005_recovery.sql"),
];
/// Where a database keeps its schema version (see [`migrate`]).
const VERSION_QUERY: &str = "SELECT version FROM schema_version";
/// Connections per node: requests hold one only for a statement or a transaction.
const POOL_SIZE: u32 = 16;
/// The advisory lock every write transaction holds (and migrations, across nodes starting at once).
const WRITE_LOCK: i64 = 0x1A3B_A55D_0001;
/// Follows `BEGIN` in every write transaction (see the module's notes).
const TAKE_WRITE_LOCK: &str = "SELECT pg_advisory_xact_lock(28843479728129)";
const _: () = assert!(WRITE_LOCK == 28_843_479_728_129);

/// A connection with the statements it has prepared.
pub struct PgConn {
    /// Always `Some` until dropped (see `Drop`).
    client: Option<Client>,
    prepared: HashMap<String, Statement>,
    /// The server said the session ended (a terminated backend) before the client saw its socket
    /// close: the pool must not hand it out again.
    ended: bool,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn").field("prepared", &self.prepared.len()).finish()
    }
}

impl PgConn {
    fn new(client: Client) -> Self {
        Self { client: Some(client), prepared: HashMap::new(), ended: false }
    }

    /// Whether the connection is gone (found out by the last statement on it).
    pub fn is_closed(&self) -> bool {
        self.ended || self.client.as_ref().is_none_or(Client::is_closed)
    }

    /// Notes whether `e` ended the connection, for the pool and the retry.
    fn failed(&mut self, e: postgres::Error) -> StoreError {
        self.ended |= ended_connection(&e);
        e.into()
    }

    fn client(&mut self) -> Result<&mut Client, StoreError> {
        self.client.as_mut().ok_or_else(|| StoreError::Corrupt("connection already closed".into()))
    }
}

/// Closing a client runs its small runtime, which must not happen on an async worker (a pool
/// is dropped wherever its last user is): the client is closed on a thread of its own.
impl Drop for PgConn {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = std::thread::Builder::new().name("pg-close".into()).spawn(move || drop(client));
        }
    }
}

/// Makes the pool's connections (r2d2 connects on its own threads).
#[derive(Debug)]
pub struct Manager {
    connector: connect::Connector,
}

/// A connection failure with its causes spelled out: the pool keeps only the message of the last
/// failure, and "error performing TLS handshake" alone does not say the certificate is untrusted.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl From<postgres::Error> for ConnectError {
    fn from(e: postgres::Error) -> Self {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !message.contains(&cause_text) {
                message = format!("{message}: {cause_text}");
            }
            source = cause.source();
        }
        Self(message)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PgConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<PgConn, ConnectError> {
        Ok(PgConn::new(self.connector.connect()?))
    }

    fn is_valid(&self, conn: &mut PgConn) -> Result<(), ConnectError> {
        match conn.client.as_mut() {
            Some(c) => Ok(c.simple_query("").map(drop)?),
            None => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut PgConn) -> bool {
        conn.is_closed()
    }
}

#[derive(Clone)]
pub struct PgStore {
    pool: r2d2::Pool<Manager>,
    hub: Arc<Hub>,
    audit: Arc<AuditQueue>,
    node: Arc<node::Node>,
    reads: Arc<pipeline::Reads>,
    nonces: pipeline::Nonces,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("connections", &self.pool.state().connections).finish()
    }
}

impl PgStore {
    /// Connects to `url` (`postgresql://user@host/db`), brings the schema up to date and starts
    /// this node's listener. Blocks; runs its own calls on a thread of its own, so it may be
    /// called from async code at start-up.
    pub fn open(url: &str, hub: Arc<Hub>) -> Result<Self, StoreError> {
        let connector = connect::Connector::from_url(url)?;
        // One connection first, on a thread of its own: it migrates, and a database that cannot
        // be reached is said at once, with its cause, not after the pool's wait.
        let latest = std::thread::scope(|s| {
            s.spawn(|| {
                let client = connector.connect().map_err(|e| StoreError::Database(Box::new(ConnectError::from(e))))?;
                let mut conn = PgConn::new(client);
                migrate(conn.client()?)?;
                super::sql::latest_event_id(&mut conn)
            })
            .join()
            .map_err(|_| StoreError::Join("the PostgreSQL start-up thread panicked".into()))?
        })?;
        // Not tested on checkout: a read and a write notice a dead connection themselves.
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(2))
            .test_on_check_out(false)
            .connection_timeout(connect::CONNECT_WAIT)
            .build(Manager { connector: connector.clone() })?;
        hub.events_written(latest);
        let pipeline = Arc::new(pipeline::Pipeline::new(connector.clone()));
        let nonces = pipeline::Nonces::start(pipeline.clone());
        let reads = Arc::new(pipeline::Reads::new(pipeline));
        let node = node::Node::start(connector, &hub, latest)?;
        Ok(Self { pool, hub, audit: Arc::new(AuditQueue::default()), node, reads, nonces })
    }
}

/// Runs the migrations the database has not had, in one transaction, holding the write lock so
/// that nodes starting together migrate once.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let found: Option<i64> = tx.query_opt(VERSION_QUERY, &[])?.map(|r| r.get(0));
    let found = SchemaVersion::from_stored(found, MIGRATIONS.len())?.migrated()?;
    for sql in MIGRATIONS.iter().skip(found) {
        tx.batch_execute(sql)?;
    }
    let known = MIGRATIONS.len() as i64;
    tx.execute("DELETE FROM schema_version", &[])?;
    tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&known])?;
    tx.commit()?;
    Ok(())
}

/// Runs `f` on a pooled connection, and again on a fresh one while the connection it ran on turns
/// out dead (a database restart): connections are not tested on checkout, which would cost a round
/// trip per read. Hands back the connection `f` last ran on, for a transaction to go on with.
fn on_live_connection<T>(
    pool: &r2d2::Pool<Manager>,
    f: impl Fn(&mut Conn) -> Result<T, StoreError>,
) -> Result<(Conn, T), StoreError> {
    let mut conn = Conn::Postgres(pool.get()?);
    let mut answer = f(&mut conn);
    for _ in 0..=POOL_SIZE {
        if answer.is_ok() || !conn.is_broken() {
            break;
        }
        conn = Conn::Postgres(pool.get()?);
        answer = f(&mut conn);
    }
    answer.map(|answer| (conn, answer))
}

impl SqlBackend for PgStore {
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || on_live_connection(&pool, f).map(|(_, answer)| answer))
            .await
            .map_err(|e| StoreError::Join(e.to_string()))?
    }

    async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut Writer<'_, Conn>) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let hub = self.hub.clone();
        tokio::task::spawn_blocking(move || {
            // A connection that died meanwhile fails at `BEGIN`, before anything was written.
            let (mut conn, ()) = on_live_connection(&pool, |c| c.exec("BEGIN", &[]).map(drop))?;
            let (out, committed) = super::sql::transaction(&mut conn, TAKE_WRITE_LOCK, |w| -> Result<T, E> {
                let out = f(w)?;
                if !w.written.is_empty() {
                    w.c.exec("SELECT pg_notify('iampass_events', '')", &[]).map_err(E::from)?;
                }
                Ok(out)
            })?;
            committed.publish(&hub);
            Ok(out)
        })
        .await
        .map_err(|e| E::from(StoreError::Join(e.to_string())))?
    }

    fn audit_queue(&self) -> &AuditQueue {
        &self.audit
    }

    async fn read_row<T, F>(&self, sql: &'static str, params: Vec<Param>, f: F) -> Result<Option<T>, StoreError>
    where
        T: Send + 'static,
        F: Fn(&dyn Row) -> Result<T, StoreError> + Send + Sync + 'static,
    {
        self.reads.row(sql, params, f).await
    }
}

impl NonceStore for PgStore {
    /// An insert outside the write lock, together with other requests' nonces
    /// ([`pipeline::Nonces`]): the primary key decides.
    async fn spend_nonce(&self, scope: &str, nonce: &str, _now_secs: i64, keep_until: i64) -> Result<(), NonceError> {
        if self.nonces.spend(scope, nonce, keep_until).await? {
            Ok(())
        } else {
            Err(iampass_proto::AuthError::ReplayedNonce.into())
        }
    }

    async fn forget_nonces(&self, now_secs: i64) -> Result<usize, StoreError> {
        self.read(move |c| c.exec("DELETE FROM nonces WHERE keep_until < ?1", super::sql::args![now_secs])).await
    }
}

impl Admin for PgStore {
    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    fn leadership(&self) -> tokio::sync::watch::Receiver<bool> {
        self.node.leadership()
    }

    async fn schema_version(&self) -> Result<SchemaVersion, StoreError> {
        self.read(|c| SchemaVersion::from_stored(c.row(VERSION_QUERY, &[], |r| r.get(0))?, MIGRATIONS.len())).await
    }

    /// PostgreSQL checks its own pages; this says the database answers.
    async fn check(&self) -> Result<String, StoreError> {
        self.read(|c| {
            c.row("SELECT 'ok'::text", &[], |r| r.get::<String>(0))?
                .ok_or_else(|| StoreError::Corrupt("no answer".into()))
        })
        .await
    }
}

/// Whether `e` says the connection itself ended (it was closed, or the server ended the
/// session: SQLSTATE classes 08, connection exception, and 57P, operator intervention), so a
/// statement refused that way never ran and may run on another connection.
fn ended_connection(e: &postgres::Error) -> bool {
    e.is_closed() || e.code().is_some_and(|c| c.code().starts_with("08") || c.code().starts_with("57P"))
}

/// `?N` → `$N`, outside quoted strings.
fn numbered(sql: &str) -> String {
    placeholders(sql, |n| format!("${n}"))
}

/// Each placeholder `?N` outside quoted strings replaced by `name(N)`.
fn placeholders(sql: &str, name: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => {
                quoted = !quoted;
                out.push(ch);
            }
            '?' if !quoted => {
                let mut n = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    n.push(d);
                }
                out.push_str(&name(&n));
            }
            _ => out.push(ch),
        }
    }
    out
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(stmt) = self.prepared.get(sql) {
            return Ok(stmt.clone());
        }
        let prepared = self.client()?.prepare(&numbered(sql));
        let stmt = prepared.map_err(|e| self.failed(e))?;
        self.prepared.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// An argument bound as the statement's parameter type asks (PostgreSQL checks types strictly).
#[derive(Debug)]
struct PgArg<'a>(Arg<'a>);

impl ToSql for PgArg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self.0 {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) if *ty == Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
            Arg::Int(i) if *ty == Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
            Arg::Int(i) => i.to_sql(ty, out),
            Arg::Bool(b) => b.to_sql(ty, out),
            Arg::Text(s) => s.to_sql(ty, out),
            Arg::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

fn bound<'a>(args: &'a [Arg<'a>]) -> Vec<PgArg<'a>> {
    args.iter().map(|a| PgArg(*a)).collect()
}

fn refs<'a>(args: &'a [PgArg<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

impl Sql for PgConn {
    fn exec(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<usize, StoreError> {
        let stmt = self.statement(sql)?;
        let args = bound(args);
        let done = self.client()?.execute(&stmt, &refs(&args));
        Ok(done.map_err(|e| self.failed(e))? as usize)
    }

    fn rows<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        mut f: impl FnMut(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let stmt = self.statement(sql)?;
        let args = bound(args);
        let rows = self.client()?.query(&stmt, &refs(&args));
        rows.map_err(|e| self.failed(e))?.iter().map(|r| f(&PgRow(r))).collect()
    }

    fn row<T>(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
        f: impl FnOnce(&dyn Row) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let stmt = self.statement(sql)?;
        let args = bound(args);
        let rows = self.client()?.query(&stmt, &refs(&args));
        match rows.map_err(|e| self.failed(e))?.first() {
            Some(r) => Ok(Some(f(&PgRow(r))?)),
            None => Ok(None),
        }
    }
}

struct PgRow<'r>(&'r postgres::Row);

impl Row for PgRow<'_> {
    fn value(&self, i: usize) -> Result<Value<'_>, StoreError> {
        value_at(self.0, i)
    }
}

/// Column `i` of `row`, as the SQL layer sees values.
fn value_at(row: &postgres::Row, i: usize) -> Result<Value<'_>, StoreError> {
    let ty =
        row.columns().get(i).map(|c| c.type_().clone()).ok_or_else(|| StoreError::Corrupt(format!("no column {i}")))?;
    let v = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(|n| Value::Int(i64::from(n))),
        Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(|n| Value::Int(i64::from(n))),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(Value::Bool),
        Type::BYTEA => row.try_get::<_, Option<&[u8]>>(i)?.map(Value::Blob),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row.try_get::<_, Option<&str>>(i)?.map(Value::Text),
        other => return Err(StoreError::Corrupt(format!("column {i} has the unexpected type {other}"))),
    };
    Ok(v.unwrap_or(Value::Null))
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_the_postgresql_way_outside_strings() {
        assert_eq!(
            numbered("SELECT ?1, '?', ?12 WHERE a = 'x?y' AND b = ?2"),
            "SELECT $1, '?', $12 WHERE a = 'x?y' AND b = $2"
        );
    }
}
