//! The server's audit log of management actions.

use iampass_proto::wire::AuditRecord;
use rusqlite::params;

use super::{Store, StoreError};
use crate::clock::{Millis, rfc3339};

/// One action to record.
#[derive(Debug, Clone)]
pub struct NewAuditRecord {
    pub app_id: String,
    pub at: Millis,
    pub action: String,
    pub subject: Option<String>,
    pub source: Option<String>,
    pub status: u16,
}

impl Store {
    pub async fn record_audit(&self, r: NewAuditRecord) -> Result<(), StoreError> {
        self.write(move |w| {
            w.tx.prepare_cached(
                "INSERT INTO audit (app_id, at, action, subject, source, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![r.app_id, r.at, r.action, r.subject, r.source, r.status])?;
            Ok(())
        })
        .await
    }

    /// A page of the app's audit records, newest first; `before` is the previous page's last id.
    pub async fn audit_page(
        &self,
        app_id: &str,
        before: Option<i64>,
        limit: u32,
    ) -> Result<(Vec<AuditRecord>, Option<i64>), StoreError> {
        let app_id = app_id.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, action, subject, source, status FROM audit WHERE app_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3",
            )?;
            let rows: Vec<(i64, AuditRecord)> = stmt
                .query_map(params![app_id, before.unwrap_or(i64::MAX), limit + 1], |r| {
                    Ok((
                        r.get(0)?,
                        AuditRecord {
                            at: rfc3339(r.get(1)?),
                            action: r.get(2)?,
                            subject: r.get(3)?,
                            source: r.get(4)?,
                            status: r.get(5)?,
                        },
                    ))
                })?
                .collect::<Result<_, _>>()?;
            let more = rows.len() > limit as usize;
            let mut records: Vec<(i64, AuditRecord)> = rows.into_iter().take(limit as usize).collect();
            let next = if more { records.last().map(|(id, _)| *id) } else { None };
            Ok((records.drain(..).map(|(_, r)| r).collect(), next))
        })
        .await
    }
}
