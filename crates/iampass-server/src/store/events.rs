//! The change log behind each application's event stream.

use iampass_proto::wire::{Event, EventData};
use rusqlite::{Connection, Transaction, params};

use super::{Store, StoreError};
use crate::clock::{Millis, rfc3339};

pub(super) fn insert(tx: &Transaction<'_>, app_id: &str, at: Millis, data: &EventData) -> Result<u64, StoreError> {
    let json = serde_json::to_string(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.prepare_cached("INSERT INTO events (app_id, at, data) VALUES (?1, ?2, ?3)")?
        .execute(params![app_id, at, json])?;
    Ok(tx.last_insert_rowid() as u64)
}

pub(super) fn latest_id(c: &Connection) -> Result<u64, StoreError> {
    Ok(c.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |r| r.get::<_, i64>(0))? as u64)
}

impl Store {
    /// Up to `limit` events of `app_id` after `after`, oldest first.
    pub async fn events_after(&self, app_id: &str, after: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let mut stmt =
                c.prepare_cached("SELECT id, at, data FROM events WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3")?;
            let rows = stmt.query_map(params![app_id, after as i64, limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, at, data) = row?;
                let data: EventData = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                out.push(Event { id: id as u64, at: rfc3339(at), data });
            }
            Ok(out)
        })
        .await
    }

    /// The newest event id of `app_id` (0 if none), where a fresh subscriber starts.
    pub async fn latest_event_id(&self, app_id: &str) -> Result<u64, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            Ok(c.prepare_cached("SELECT COALESCE(MAX(id), 0) FROM events WHERE app_id = ?1")?
                .query_row([app_id], |r| r.get::<_, i64>(0))? as u64)
        })
        .await
    }

    /// Forgets events older than `before`; a subscriber further behind than that starts afresh.
    pub async fn prune_events(&self, before: Millis) -> Result<usize, StoreError> {
        self.write(move |w| Ok(w.tx.execute("DELETE FROM events WHERE at < ?1", [before])?)).await
    }
}
