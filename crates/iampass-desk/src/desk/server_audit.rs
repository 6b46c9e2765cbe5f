//! The server's own audit log of management actions, for the Audit screen beside the console's
//! log of what its operators did: the server's also records actions taken by integrating apps
//! and other consoles, and where they came from.

use serde::Serialize;
use ts_rs::TS;

use super::Desk;
use crate::error::DeskResult;

/// One management action as the server recorded it, with the employee named from the book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerAuditRow {
    pub at: String,
    /// Who acted: a staff member's name, or "application" (its secret).
    pub actor: String,
    pub action: String,
    /// The user token or session id acted on, when there is one.
    pub subject: Option<String>,
    /// The book's name for the subject, when it is an employee's token.
    pub employee_name: Option<String>,
    /// The caller's network address.
    pub source: Option<String>,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ServerAuditPage {
    pub rows: Vec<ServerAuditRow>,
    pub next_cursor: Option<String>,
}

impl Desk {
    /// A page of the server's audit log, newest first.
    pub async fn server_audit(&self, cursor: Option<String>, limit: u32) -> DeskResult<ServerAuditPage> {
        let client = self.client()?;
        let page = client.ask(client.audit(cursor.as_deref(), Some(limit.clamp(1, 500)))).await?;
        let book = self.book()?;
        let rows = page
            .records
            .into_iter()
            .map(|r| {
                let employee_name = match &r.subject {
                    Some(token) => book.employee_by_token(token)?.map(|e| e.name),
                    None => None,
                };
                Ok(ServerAuditRow {
                    at: r.at,
                    actor: r.actor_name.unwrap_or(r.actor),
                    action: r.action,
                    subject: r.subject,
                    employee_name,
                    source: r.source,
                    status: r.status,
                })
            })
            .collect::<DeskResult<Vec<_>>>()?;
        Ok(ServerAuditPage { rows, next_cursor: page.next_cursor })
    }
}
