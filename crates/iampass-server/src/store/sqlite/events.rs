//! The change log behind each application's event stream and the outgoing webhook.

use iampass_proto::wire::{Event, EventData};
use rusqlite::{Connection, Params, Transaction, params};

use super::SqliteStore;
use crate::clock::{Millis, rfc3339};
use crate::store::*;

pub(super) fn insert(tx: &Transaction<'_>, app_id: &str, at: Millis, data: &EventData) -> Result<u64, StoreError> {
    let json = serde_json::to_string(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached("INSERT INTO events (app_id, at, data) VALUES (?1, ?2, ?3)")?
        .execute(params![app_id, at, json])?;
    Ok(tx.last_insert_rowid() as u64)
}

pub(super) fn latest_id(c: &Connection) -> Result<u64, StoreError> {
    Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Runs a query selecting `app_id, id, at, data` and decodes each row.
fn select_events(c: &Connection, sql: &str, params: impl Params) -> Result<Vec<(String, Event)>, StoreError> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (app_id, id, at, data) = row?;
        let data: EventData = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push((app_id, Event { id: id as u64, at: rfc3339(at), data }));
    }
    Ok(out)
}

impl EventStore for SqliteStore {
    async fn events_after(&self, app_id: &str, after: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let sql = "SELECT app_id, id, at, data FROM events WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
            Ok(select_events(c, sql, params![app_id, after as i64, limit])?.into_iter().map(|(_, e)| e).collect())
        })
        .await
    }

    async fn all_events_after(&self, after: u64, limit: u32) -> Result<Vec<(String, Event)>, StoreError> {
        self.read(move |c| {
            let sql = "SELECT app_id, id, at, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2";
            select_events(c, sql, params![after as i64, limit])
        })
        .await
    }

    async fn newest_event_id(&self) -> Result<u64, StoreError> {
        self.read(latest_id).await
    }

    async fn webhook_cursor(&self) -> Result<Option<u64>, StoreError> {
        self.read(|c| {
            let row = c
                .prepare_cached("SELECT delivered_through FROM webhook_cursor WHERE id = 1")?
                .query_row([], |r| r.get::<_, i64>(0));
            match row {
                Ok(id) => Ok(Some(id as u64)),
                Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn set_webhook_cursor(&self, delivered_through: u64) -> Result<(), StoreError> {
        self.write(move |w| {
            w.tx.prepare_cached(
                "INSERT INTO webhook_cursor (id, delivered_through) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET delivered_through = excluded.delivered_through",
            )?
            .execute([delivered_through as i64])?;
            Ok(())
        })
        .await
    }

    async fn latest_event_id(&self, app_id: &str) -> Result<u64, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM events WHERE app_id = ?1")?
                .query_row([app_id], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    async fn prune_events(&self, before: Millis) -> Result<usize, StoreError> {
        self.write(move |w| Ok(w.tx.execute("DELETE FROM events WHERE at < ?1", [before])?)).await
    }
}
