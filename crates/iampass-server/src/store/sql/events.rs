//! The change log behind each application's event stream and the outgoing webhook.

use iampass_proto::wire::{Event, EventData};

use super::{Arg, Sql, SqlBackend, args};
use crate::clock::{Millis, rfc3339};
use crate::store::*;

pub(super) fn insert<C: Sql>(c: &mut C, app_id: &str, at: Millis, data: &EventData) -> Result<u64, StoreError> {
    let json = serde_json::to_string(data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let id = c.row(
        "INSERT INTO events (app_id, at, data) VALUES (?1, ?2, ?3) RETURNING id",
        args![app_id, at, json],
        |r| r.get::<i64>(0),
    )?;
    id.map(|id| id as u64).ok_or_else(|| StoreError::Corrupt("an inserted event has no id".into()))
}

pub(super) fn latest_id<C: Sql>(c: &mut C) -> Result<u64, StoreError> {
    Ok(c.row("SELECT COALESCE(MAX(id), 0) FROM events", &[], |r| r.get::<i64>(0))?.unwrap_or(0) as u64)
}

/// Runs a query selecting `app_id, id, at, data` and decodes each row.
fn select_events<C: Sql>(c: &mut C, sql: &str, args: &[Arg<'_>]) -> Result<Vec<(String, Event)>, StoreError> {
    c.rows(sql, args, |r| {
        let data: String = r.get(3)?;
        let data: EventData = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok((r.get(0)?, Event { id: r.get::<i64>(1)? as u64, at: rfc3339(r.get(2)?), data }))
    })
}

pub(super) fn written_after<C: Sql>(c: &mut C, after: u64, limit: u32) -> Result<Vec<(u64, EventData)>, StoreError> {
    let sql = "SELECT app_id, id, at, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2";
    Ok(select_events(c, sql, args![after as i64, limit])?.into_iter().map(|(_, e)| (e.id, e.data)).collect())
}

impl<B: SqlBackend> EventStore for B {
    async fn events_after(&self, app_id: &str, after: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let sql = "SELECT app_id, id, at, data FROM events WHERE app_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
            Ok(select_events(c, sql, args![app_id, after as i64, limit])?.into_iter().map(|(_, e)| e).collect())
        })
        .await
    }

    async fn all_events_after(&self, after: u64, limit: u32) -> Result<Vec<(String, Event)>, StoreError> {
        self.read(move |c| {
            select_events(
                c,
                "SELECT app_id, id, at, data FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
                args![after as i64, limit],
            )
        })
        .await
    }

    async fn newest_event_id(&self) -> Result<u64, StoreError> {
        self.read(latest_id).await
    }

    async fn webhook_cursor(&self) -> Result<Option<u64>, StoreError> {
        self.read(|c| {
            Ok(c.row("SELECT delivered_through FROM webhook_cursor WHERE id = 1", &[], |r| r.get::<i64>(0))?
                .map(|id| id as u64))
        })
        .await
    }

    async fn set_webhook_cursor(&self, delivered_through: u64) -> Result<(), StoreError> {
        self.write(move |w| {
            w.c.exec(
                "INSERT INTO webhook_cursor (id, delivered_through) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET delivered_through = excluded.delivered_through",
                args![delivered_through as i64],
            )?;
            Ok(())
        })
        .await
    }

    async fn latest_event_id(&self, app_id: &str) -> Result<u64, StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            Ok(c.row("SELECT COALESCE(MAX(id), 0) FROM events WHERE app_id = ?1", args![app_id], |r| r.get::<i64>(0))?
                .unwrap_or(0) as u64)
        })
        .await
    }

    async fn prune_events(&self, before: Millis) -> Result<usize, StoreError> {
        self.write(move |w| w.c.exec("DELETE FROM events WHERE at < ?1", args![before])).await
    }
}
