//! Enrolling an employee's phone: a registration link as a large QR code, waiting for the phone
//! to bind, lost phones, saving the QR code.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::Desk;
use crate::book::{Employee, EnrollmentState};
use crate::enroll::{self, EnrollmentOutcome, EnrollmentTicket};
use crate::error::DeskResult;
use crate::qr;

impl Desk {
    /// Issues a new link (revoking any earlier one) and renders its QR code.
    pub async fn start_enrollment(&self, id: i64) -> DeskResult<EnrollmentTicket> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            // No display name: the service is never told who the employee is.
            let link = client.ask(client.registration_link(&employee.token, None)).await?;
            self.ticket(&employee, link, EnrollmentState::LinkIssued)
        }
        .await;
        self.audited("issue_link", Some((id, &employee.name)), "", result)
    }

    /// The phone was lost: the server disables it at once (its sessions close). Signed in as
    /// staff, that is all: a new phone is a recovery (`desk/recovery.rs`). With the application's
    /// secret, the published route also gives the new link, shown at once.
    pub async fn report_lost(&self, id: i64) -> DeskResult<Option<EnrollmentTicket>> {
        let employee = self.employee(id)?;
        let result = async {
            let client = self.client()?;
            if client.is_staff() {
                client.ask(client.stop_phone(&employee.token)).await?;
                self.book()?.set_enrollment(employee.id, EnrollmentState::Lost, None, self.now())?;
                return Ok(None);
            }
            let link = client.ask(client.lost_user_mobile_device(&employee.token)).await?;
            self.ticket(&employee, link, EnrollmentState::Lost).map(Some)
        }
        .await;
        self.audited("report_lost_device", Some((id, &employee.name)), "", result)
    }

    pub(super) fn ticket(
        &self,
        e: &Employee,
        link: iampass_proto::wire::RegistrationLinkResponse,
        state: EnrollmentState,
    ) -> DeskResult<EnrollmentTicket> {
        let lifetime = link.expires_in_seconds.unwrap_or(600);
        let expires_ms = self.now() + i64::try_from(lifetime).unwrap_or(600) * 1000;
        let register_url = enroll::with_name(&link.register_url, &e.name);
        let png = qr::png(&register_url, qr::DEFAULT_SIZE_PX)?;
        self.book()?.set_enrollment(e.id, state, Some(expires_ms), self.now())?;
        Ok(EnrollmentTicket {
            employee_id: e.id,
            name: e.name.clone(),
            email: e.email.clone(),
            qr_png: qr::data_url(&png),
            register_url,
            expires_at: link.expires_at.unwrap_or_else(|| iampass_proto::clock::rfc3339(expires_ms)),
            expires_in_seconds: lifetime,
        })
    }

    /// Waits (up to `timeout`) for the employee's phone to bind, then records it. Returns at once
    /// if it already has.
    pub async fn wait_enrolled(&self, id: i64, timeout: Duration) -> DeskResult<EnrollmentOutcome> {
        let employee = self.employee(id)?;
        let client = self.client()?;
        let cancel = Arc::new(Notify::new());
        if let Ok(mut waits) = self.waits.lock()
            && let Some(old) = waits.insert(id, cancel.clone())
        {
            old.notify_waiters();
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let outcome = enroll::wait_for_binding(&client, &employee.token, deadline, &cancel).await;
        if let Ok(mut waits) = self.waits.lock()
            && waits.get(&id).is_some_and(|w| Arc::ptr_eq(w, &cancel))
        {
            waits.remove(&id);
        }
        if outcome.as_ref().is_ok_and(|o| *o == EnrollmentOutcome::Enrolled) {
            if employee.state != EnrollmentState::Enrolled {
                let result = self.book()?.set_enrollment(id, EnrollmentState::Enrolled, None, self.now()).map(|_| ());
                self.audited("enrolled", Some((id, &employee.name)), "the phone bound", result)?;
            }
            // What kind of phone it is, for the employee list; the enrollment stands without it.
            if let Ok(Some(device)) = client.user(&employee.token).await.map(|u| u.and_then(|u| u.device)) {
                self.book()?.set_phone(id, device.kind, device.synced)?;
            }
        }
        outcome
    }

    /// Stops a [`Desk::wait_enrolled`] for this employee (the screen moved on).
    pub fn cancel_wait(&self, id: i64) {
        if let Ok(waits) = self.waits.lock()
            && let Some(w) = waits.get(&id)
        {
            w.notify_waiters();
        }
    }

    /// Saves the QR code of `register_url` as a PNG in the save folder; returns the path.
    pub fn save_qr(&self, id: i64, register_url: &str) -> DeskResult<String> {
        let employee = self.employee(id)?;
        let result = qr::png(register_url, qr::DEFAULT_SIZE_PX)
            .and_then(|png| self.save_file(&format!("IAMPASS-QR-{}.png", employee.name), &png));
        self.audited("save_qr", Some((id, &employee.name)), "", result)
    }
}
