//! The server's audit log of management actions.

use iampass_proto::wire::AuditRecord;
use std::sync::Mutex;

use tokio::sync::oneshot;

use super::{SqlBackend, args};
use crate::clock::rfc3339;
use crate::store::sql::Sql as _;
use crate::store::*;

/// Told once the record's group is committed, or why it was not.
type Ack = oneshot::Sender<Result<(), String>>;

/// Audit records waiting for the next grouped write, and the turn to write one.
#[derive(Debug, Default)]
pub struct AuditQueue {
    pending: Mutex<Vec<(NewAuditRecord, Ack)>>,
    flushing: tokio::sync::Mutex<()>,
}

impl<B: SqlBackend> AuditStore for B {
    async fn record_audit(&self, r: NewAuditRecord) -> Result<(), StoreError> {
        let (ack, mut acked) = oneshot::channel();
        let queue = self.audit_queue();
        queue.pending.lock().unwrap_or_else(|p| p.into_inner()).push((r, ack));
        let _turn = queue.flushing.lock().await;
        if let Ok(result) = acked.try_recv() {
            // The previous holder's batch carried this record.
            return result.map_err(StoreError::Grouped);
        }
        let batch = std::mem::take(&mut *queue.pending.lock().unwrap_or_else(|p| p.into_inner()));
        if batch.is_empty() {
            // Our record went with a batch whose writer was cancelled after handing it to the
            // database, which finishes the write regardless.
            return Ok(());
        }
        let (records, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let result = self
            .write(move |w| {
                for r in records {
                    let (kind, id, name) = (r.actor.kind(), r.actor.id(), r.actor.name());
                    w.c.exec(
                        "INSERT INTO audit (app_id, actor_kind, actor_id, actor_name, at, action, subject, source, status, detail)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                        args![r.app_id, kind, id, name, r.at, r.action, r.subject, r.source, i64::from(r.status), r.detail],
                    )?;
                }
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(|e| e.to_string());
        for ack in acks {
            let _ = ack.send(result.clone());
        }
        result.map_err(StoreError::Grouped)
    }

    async fn audit_page(
        &self,
        app_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<AuditRecord>, Option<i64>), StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let rows: Vec<(i64, AuditRecord)> = c.rows(
                "SELECT id, at, action, subject, source, status, actor_kind, actor_id, actor_name, detail FROM audit WHERE app_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
                args![app_id, before.unwrap_or(i64::MAX), limit + 1],
                |r| {
                    Ok((
                        r.get(0)?,
                        AuditRecord {
                            at: rfc3339(r.get(1)?),
                            actor: r.get(6)?,
                            actor_id: r.get(7)?,
                            actor_name: r.get(8)?,
                            detail: r.get(9)?,
                            action: r.get(2)?,
                            subject: r.get(3)?,
                            source: r.get(4)?,
                            status: u16::try_from(r.get::<i64>(5)?)
                                .map_err(|_| StoreError::Corrupt("an audit status out of range".into()))?,
                        },
                    ))
                },
            )?;
            let more = rows.len() > limit as usize;
            let mut records: Vec<(i64, AuditRecord)> = rows.into_iter().take(limit as usize).collect();
            let next = if more { records.last().map(|(id, _)| *id) } else { None };
            Ok((records.drain(..).map(|(_, r)| r).collect(), next))
        })
        .await
    }
}
