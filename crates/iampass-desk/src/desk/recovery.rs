//! Recovering an employee who lost their phone or moves to a new one: the server gives a new
//! registration link to staff only on evidence (a fresh verification on the current phone, or a
//! second staff member's approval on their own phone), and the desk walks staff through it. A desk
//! connected with the application's secret is exempt (the application owns its users' recovery)
//! and issues the link directly.

use iampass_proto::wire::{RecoveryCheck, RecoveryEvidence, RecoveryHistory, RecoveryStatus, StartRecovery};

use super::Desk;
use crate::book::EnrollmentState;
use crate::enroll::EnrollmentTicket;
use crate::error::DeskResult;

impl Desk {
    /// Asks the server for a recovery of the employee, backed by `evidence`.
    pub async fn start_recovery(
        &self,
        id: i64,
        evidence: RecoveryEvidence,
        check: RecoveryCheck,
        reason: &str,
    ) -> DeskResult<RecoveryStatus> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            let req = StartRecovery { user_id: employee.token.clone(), reason: reason.to_owned(), check, evidence };
            client.ask(client.start_recovery(&req)).await
        }
        .await;
        let detail = result.as_ref().map(|r| format!("{}: {}", r.evidence, check.words())).unwrap_or_default();
        self.audited("recovery_requested", Some((id, &employee.name)), &detail, result)
    }

    /// The recovery as it is now (the approver's answer included).
    pub async fn recovery_status(&self, recovery_id: &str) -> DeskResult<RecoveryStatus> {
        let client = self.client()?;
        client.ask(client.recovery(recovery_id)).await
    }

    /// Takes an approved recovery's link and shows it as the employee's QR code.
    pub async fn recovery_ticket(&self, id: i64, recovery_id: &str) -> DeskResult<EnrollmentTicket> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            let link = client.ask(client.recovery_link(recovery_id)).await?;
            self.ticket(&employee, link, EnrollmentState::LinkIssued)
        }
        .await;
        self.audited("recovery_link", Some((id, &employee.name)), "", result)
    }

    /// The employee's recoveries and any hold on them.
    pub async fn recovery_history(&self, id: i64) -> DeskResult<RecoveryHistory> {
        let employee = self.employee(id)?;
        let client = self.client()?;
        client.ask(client.recovery_history(&employee.token)).await
    }

    /// Lifts a hold on the employee's recoveries (admins), saying why.
    pub async fn clear_recovery_hold(&self, id: i64, reason: &str) -> DeskResult<()> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            client.ask(client.clear_recovery_hold(&employee.token, reason)).await.map(|_| ())
        }
        .await;
        self.audited("recovery_hold_cleared", Some((id, &employee.name)), reason, result)
    }
}
