//! One employee on one screen: the book's record, their phone as the server knows it, their recent
//! logins and verifications (with outcome and where they came from), and what was done about them.

use iampass_proto::wire::{DeviceSummary, PageQuery, SessionSummary, SessionsQuery};
use serde::Serialize;
use ts_rs::TS;

use super::Desk;
use crate::book::{AuditEntry, Employee};
use crate::error::DeskResult;

/// Sessions and audit entries shown on the page, newest first.
const RECENT: u32 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct EmployeePage {
    pub employee: Employee,
    /// Their phone as the server knows it now (`None`: none enrolled, or the role may not see it).
    pub phone: Option<DeviceSummary>,
    /// Recent logins and verifications (`None`: the signed-in role may not see sessions).
    pub sessions: Option<Vec<SessionSummary>>,
    /// This console's audit entries about them.
    pub audit: Vec<AuditEntry>,
}

impl Desk {
    pub async fn employee_page(&self, id: i64) -> DeskResult<EmployeePage> {
        let employee = self.employee(id)?;
        let audit = self.book()?.audit_about(id, RECENT)?;
        let client = self.client()?;
        let access = super::staff::access_of(&self.active()?);
        let phone = client.ask(client.user(&employee.token)).await?.and_then(|u| u.device);
        let sessions = if access.sessions {
            let query = SessionsQuery {
                user: Some(employee.token.clone()),
                page: PageQuery { limit: Some(RECENT), ..PageQuery::default() },
                ..SessionsQuery::default()
            };
            Some(client.ask(client.sessions(&query)).await?.sessions)
        } else {
            None
        };
        Ok(EmployeePage { employee, phone, sessions, audit })
    }
}
