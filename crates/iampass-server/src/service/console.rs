//! The console's extensions of the Management API: paged listings and remote logout.

use iampass_proto::wire::*;

use crate::domain::Invalid;
use crate::domain::actor::Actor;
use crate::domain::session::{EndedBy, Trigger};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;

pub(super) const DEFAULT_PAGE: u32 = 100;
pub(super) const MAX_PAGE: u32 = 1000;

fn page_size(limit: Option<u32>) -> Result<u32, Invalid> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(l) if (1..=MAX_PAGE).contains(&l) => Ok(l),
        Some(_) => Err(Invalid::new("invalid_limit", format!("limit must be from 1 to {MAX_PAGE}"))),
    }
}

fn cursor(raw: Option<&str>) -> Result<Option<i64>, Invalid> {
    raw.filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .ok()
                .filter(|v| *v >= 0)
                .ok_or_else(|| Invalid::new("invalid_cursor", "the cursor is not one this server gave out"))
        })
        .transpose()
}

impl AppState {
    pub async fn list_users(&self, actor: &Actor, query: &UsersQuery) -> Result<UsersPage, ServiceError> {
        let app_id = actor.app_id();
        let limit = page_size(query.page.limit)?;
        let after = cursor(query.page.cursor.as_deref())?.unwrap_or(0);
        let only = query.user.as_ref().map(|u| crate::domain::user_id::validate(u).map(|()| u.clone())).transpose()?;
        let (users, next) = self.store.list_users(app_id, only, after, limit, self.now()).await?;
        Ok(UsersPage { status: true, users, next_cursor: next.map(|n| n.to_string()) })
    }

    pub async fn list_sessions(&self, actor: &Actor, query: &SessionsQuery) -> Result<SessionsPage, ServiceError> {
        let app_id = actor.app_id();
        let limit = page_size(query.page.limit)?;
        let before = cursor(query.page.cursor.as_deref())?;
        let user_row = match &query.user {
            Some(u) => Some(self.require_user(app_id, u).await?.row),
            None => None,
        };
        let (rows, next) = self.store.list_sessions(app_id, query.status, user_row, before, limit).await?;
        Ok(SessionsPage {
            status: true,
            sessions: rows.iter().map(|r| r.summary()).collect(),
            next_cursor: next.map(|n| n.to_string()),
        })
    }

    pub async fn audit_page(&self, actor: &Actor, query: &PageQuery) -> Result<AuditPage, ServiceError> {
        let app_id = actor.app_id();
        let (records, next) =
            self.store.audit_page(app_id, cursor(query.cursor.as_deref())?, page_size(query.limit)?).await?;
        Ok(AuditPage { status: true, records, next_cursor: next.map(|n| n.to_string()) })
    }

    pub async fn session_counts(&self, actor: &Actor) -> Result<SessionCounts, ServiceError> {
        let mut counts: std::collections::BTreeMap<SessionStatus, u64> =
            SessionStatus::ALL.iter().map(|s| (*s, 0)).collect();
        counts.extend(self.store.session_counts(actor.app_id()).await?);
        Ok(SessionCounts { status: true, counts })
    }

    pub async fn console_logout_session(&self, actor: &Actor, session_id: &str) -> Result<LogoutReply, ServiceError> {
        let app_id = actor.app_id();
        let before = self
            .store
            .session(session_id)
            .await?
            .filter(|s| s.app_id == app_id)
            .ok_or_else(ServiceError::unknown_session)?;
        let after = self.transition(session_id, Trigger::End(EndedBy::Console)).await?;
        Ok(LogoutReply { status: true, closed: u32::from(after.status != before.status) })
    }

    pub async fn console_logout_user(&self, actor: &Actor, user: &str) -> Result<LogoutReply, ServiceError> {
        let app_id = actor.app_id();
        let user = self.require_user(app_id, user).await?;
        let n = self.store.end_user_sessions(&user, EndedBy::Console, self.now(), self.config.policy()).await?;
        Ok(LogoutReply { status: true, closed: u32::try_from(n).unwrap_or(u32::MAX) })
    }
}
