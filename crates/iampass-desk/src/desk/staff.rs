//! Staff sign-in and staff management. A staff profile keeps no secret: a help-desk member signs
//! in with their name and a push to their own phone, and the console holds the bearer token in
//! memory only (a restart, a sign-out or the idle lock asks for the phone again). What the
//! console shows follows the role ([`Access`]), from the contract's table.

use iampass_proto::client::{ManagementClient, StaffSignIn, default_http};
use iampass_proto::roles::{Permission, allows};
use iampass_proto::wire::{SignInStarted, SignInState, StaffRole, StaffSummary};
use serde::Serialize;
use ts_rs::TS;

use super::{Active, Desk};
use crate::error::{DeskError, DeskResult};
use crate::qr;

/// How long the console waits for the phone's answer to a sign-in (the server's own timeout
/// ends it first; this only bounds the wait), in long-polls of this many seconds each.
const SIGN_IN_WAIT: std::time::Duration = std::time::Duration::from_secs(180);
const SIGN_IN_POLL_SECS: u32 = 20;

/// What the signed-in person may do; the UI shows only these parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Access {
    /// Employees list and enrollment (registration links, device checks).
    pub enroll: bool,
    /// Add and edit employees in the team book (also by CSV import).
    pub manage_employees: bool,
    /// The live dashboard: sessions, counts, the event stream.
    pub sessions: bool,
    /// Log sessions and employees out.
    pub logout: bool,
    /// Verify a caller with a push.
    pub verify: bool,
    /// Report a phone lost.
    pub lost_phone: bool,
    /// Give an employee who has or had a phone a new one (with evidence, `desk/recovery.rs`).
    pub recover: bool,
    /// Connected with the application's secret: the recovery rule does not bind this desk.
    pub recovery_exempt: bool,
    /// Read an employee's recoveries and any hold on them.
    pub recoveries: bool,
    /// Lift a hold on an employee's recoveries.
    pub clear_recovery_hold: bool,
    /// The server's audit log.
    pub audit: bool,
    /// Staff accounts and application settings.
    pub staff: bool,
    /// Remove employees (their IAMPASS user goes with them).
    pub remove_employees: bool,
    /// Approve and remove desks (who holds the team book).
    pub desks: bool,
    /// Kiosk mode only: the console shows the kiosk and nothing else.
    pub kiosk_only: bool,
}

impl Access {
    /// The application's secret can do everything.
    pub const ALL: Access = Access {
        enroll: true,
        manage_employees: true,
        sessions: true,
        logout: true,
        verify: true,
        lost_phone: true,
        recover: true,
        recovery_exempt: true,
        recoveries: true,
        clear_recovery_hold: true,
        audit: true,
        staff: true,
        remove_employees: true,
        desks: true,
        kiosk_only: false,
    };

    pub fn of(role: StaffRole) -> Access {
        let may = |p| allows(role, p);
        Access {
            enroll: may(Permission::RegistrationLink),
            manage_employees: may(Permission::WriteBook),
            sessions: may(Permission::ListSessions) && may(Permission::ReadEvents),
            logout: may(Permission::LogoutUser),
            verify: may(Permission::VerifyCaller),
            lost_phone: may(Permission::LostDevice),
            recover: may(Permission::Recover),
            recovery_exempt: false,
            recoveries: may(Permission::ReadRecoveries),
            clear_recovery_hold: may(Permission::ClearRecoveryHold),
            audit: may(Permission::ReadAudit),
            staff: may(Permission::ManageStaff),
            remove_employees: may(Permission::DeleteUsers),
            desks: may(Permission::ManageDesks),
            kiosk_only: role == StaffRole::Kiosk,
        }
    }

    pub const NONE: Access = Access {
        enroll: false,
        manage_employees: false,
        sessions: false,
        logout: false,
        verify: false,
        lost_phone: false,
        recover: false,
        recovery_exempt: false,
        recoveries: false,
        clear_recovery_hold: false,
        audit: false,
        staff: false,
        remove_employees: false,
        desks: false,
        kiosk_only: false,
    };
}

/// The sign-in screen's "approve on your phone" step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SignInPrompt {
    /// The number to choose on the phone, when the application uses number matching.
    pub verification_code: Option<String>,
}

/// A staff member's phone enrollment: their link as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct StaffEnrollment {
    pub staff_id: String,
    pub name: String,
    pub role: StaffRole,
    pub register_url: String,
    /// `data:image/png;base64,...`
    pub qr_png: String,
    pub expires_at: String,
}

impl Desk {
    /// Uses a server with staff sign-in: no secret is asked for or kept. Checks the server answers.
    pub async fn use_staff_sign_in(
        &self,
        server_url: &str,
        application_id: &str,
    ) -> DeskResult<super::ConnectionStatus> {
        let result = async {
            let (url, app_id) = (server_url.trim().trim_end_matches('/'), application_id.trim());
            super::connection::check_app_id(app_id)?;
            let healthz = default_http().get(format!("{url}/healthz")).send().await;
            if !healthz.is_ok_and(|r| r.status().is_success()) {
                return Err(DeskError::ServerUnreachable { url: url.to_owned() });
            }
            let profile = self.book()?.activate_staff_profile(url, app_id)?;
            self.set_active(Active { profile, client: None, backend: None, staff: None });
            Ok(self.status())
        }
        .await;
        self.audited("use_staff_sign_in", None, server_url, result)
    }

    /// Forgets the application secret of the current profile and switches it to staff sign-in.
    pub async fn switch_to_staff_sign_in(&self) -> DeskResult<super::ConnectionStatus> {
        let active = self.active()?;
        if active.profile.embedded {
            return Err(DeskError::Invalid(
                "The local server is this computer's own; connect to the organisation's server to use staff sign-in."
                    .into(),
            ));
        }
        let result = async {
            let profile =
                self.book()?.activate_staff_profile(&active.profile.server_url, &active.profile.application_id)?;
            self.secrets.delete(&profile.application_id)?;
            self.set_active(Active { profile, client: None, backend: None, staff: None });
            Ok(self.status())
        }
        .await;
        self.audited("switch_to_staff_sign_in", None, "", result)
    }

    /// Sends the sign-in push to the named staff member's phone.
    pub async fn start_sign_in(&self, name: &str) -> DeskResult<SignInPrompt> {
        let active = self.active()?;
        let name = name.trim();
        if name.is_empty() {
            return Err(DeskError::Invalid("Enter your name as your admin registered it.".into()));
        }
        let url = active.profile.server_url.clone();
        let client = StaffSignIn::new(default_http(), &url, &active.profile.application_id)
            .map_err(|e| DeskError::from_client(e, &url))?;
        let started = client.start(name).await.map_err(|e| DeskError::from_client(e, &url))?;
        let prompt = SignInPrompt { verification_code: started.verification_code.clone() };
        *self.sign_in.lock().map_err(|_| DeskError::Storage("the sign-in is unavailable".into()))? =
            Some((client, started, name.to_owned()));
        Ok(prompt)
    }

    /// Waits for the phone's answer; on approval the console is signed in as that member.
    pub async fn finish_sign_in(&self) -> DeskResult<super::ConnectionStatus> {
        let pending: Option<(StaffSignIn, SignInStarted, String)> =
            self.sign_in.lock().map_err(|_| DeskError::Storage("the sign-in is unavailable".into()))?.take();
        let (client, started, name) = pending.ok_or(DeskError::NotFound("This sign-in"))?;
        let url = self.active()?.profile.server_url;
        let give_up = tokio::time::Instant::now() + SIGN_IN_WAIT;
        let result = loop {
            let status = client.wait(&started, SIGN_IN_POLL_SECS).await.map_err(|e| DeskError::from_client(e, &url))?;
            match (status.status, status.token) {
                (SignInState::Active, Some(token)) => break Ok(token),
                (SignInState::Pending, _) if tokio::time::Instant::now() < give_up => {}
                (state, _) => break Err(sign_in_refusal(state, status.reason.as_deref())),
            }
        };
        let result = match result {
            Ok(token) => self.signed_in(&token).await,
            Err(e) => Err(e),
        };
        self.audited("sign_in", None, &name, result)
    }

    async fn signed_in(&self, token: &str) -> DeskResult<super::ConnectionStatus> {
        let mut active = self.active()?;
        let url = active.profile.server_url.clone();
        let client = ManagementClient::staff(default_http(), &url, &active.profile.application_id, token)
            .map_err(|e| DeskError::from_client(e, &url))?;
        let me = client.me().await.map_err(|e| DeskError::from_client(e, &url))?;
        active.client = Some(client);
        active.staff = Some(me);
        self.set_active(active);
        // Not fatal: the desk then shows what it lacks (a key an admin must approve).
        let _ = self.join_team().await;
        self.connection_changed.notify_waiters();
        Ok(self.status())
    }

    /// Ends the staff sign-in here and on the server; the console shows the sign-in screen.
    pub async fn sign_out(&self) -> DeskResult<super::ConnectionStatus> {
        let mut active = self.active()?;
        let who = active.staff.as_ref().map(|s| s.name.clone()).unwrap_or_default();
        if let Some(client) = active.client.take().filter(ManagementClient::is_staff) {
            // A token the server already ended is fine: the aim is that none is left.
            if let Err(e) = client.sign_out().await {
                tracing::info!(error = %e, "sign-out: the server no longer held this sign-in");
            }
        } else {
            return Err(DeskError::Invalid("This console is not signed in as a staff member.".into()));
        }
        active.staff = None;
        self.set_active(active);
        self.connection_changed.notify_waiters();
        self.audited("sign_out", None, &who, Ok(self.status()))
    }

    pub async fn staff_list(&self) -> DeskResult<Vec<StaffSummary>> {
        let client = self.client()?;
        client.ask(client.staff_list()).await
    }

    /// Adds a staff member and shows the QR code that enrolls their phone.
    pub async fn add_staff(&self, name: &str, role: StaffRole) -> DeskResult<StaffEnrollment> {
        let result = async {
            let client = self.client()?;
            let added = client.ask(client.add_staff(name.trim(), role)).await?;
            staff_enrollment(added)
        }
        .await;
        self.audited("add_staff", None, &format!("{} ({role})", name.trim()), result)
    }

    /// A new phone link for a staff member (a new phone; their current one keeps working until
    /// the new one enrolls).
    pub async fn staff_link(&self, staff_id: &str) -> DeskResult<StaffEnrollment> {
        let result = async {
            let client = self.client()?;
            staff_enrollment(client.ask(client.staff_link(staff_id)).await?)
        }
        .await;
        self.audited("staff_phone_link", None, staff_id, result)
    }

    pub async fn set_staff_role(&self, staff_id: &str, role: StaffRole) -> DeskResult<StaffSummary> {
        let result = async {
            let client = self.client()?;
            client.ask(client.set_staff_role(staff_id, role)).await
        }
        .await;
        self.audited("change_staff_role", None, &format!("{staff_id} → {role}"), result)
    }

    pub async fn remove_staff(&self, staff_id: &str) -> DeskResult<()> {
        let result = async {
            let client = self.client()?;
            client.ask(client.remove_staff(staff_id)).await.map(|_| ())
        }
        .await;
        self.audited("remove_staff", None, staff_id, result)
    }

    /// The first admin of the console's own local server: the person running it, so the staff
    /// screen shows sign-in working from the first start. Made once, when there is no staff.
    pub(super) async fn ensure_local_admin(&self) -> DeskResult<()> {
        let client = self.client()?;
        if client.ask(client.staff_list()).await?.is_empty() {
            client.ask(client.add_staff(&self.options.operator, StaffRole::Admin)).await?;
        }
        Ok(())
    }
}

fn staff_enrollment(added: iampass_proto::wire::StaffAdded) -> DeskResult<StaffEnrollment> {
    let png = qr::png(&added.registration_link, qr::DEFAULT_SIZE_PX)?;
    Ok(StaffEnrollment {
        staff_id: added.staff_id,
        name: added.name,
        role: added.role,
        qr_png: qr::data_url(&png),
        register_url: added.registration_link,
        expires_at: added.expires_at,
    })
}

/// A sign-in that ended without a token, in words.
fn sign_in_refusal(state: SignInState, reason: Option<&str>) -> DeskError {
    DeskError::SignedOut(
        match (state, reason) {
            (SignInState::Cancelled, Some("denied")) => "the sign-in was refused on the phone",
            (SignInState::Failed, Some("wrong_code")) => "the wrong number was chosen on the phone",
            (SignInState::Failed, Some("fraud")) => "the sign-in was reported as fraud on the phone",
            (SignInState::Timeout, _) | (SignInState::Pending, _) => {
                "no answer came from the phone in time (check the name, and that your phone is enrolled)"
            }
            _ => "the sign-in did not complete",
        }
        .to_owned(),
    )
}

/// Whether a staff member is signed in, and as whom.
pub(super) fn access_of(active: &Active) -> Access {
    match (&active.client, &active.staff) {
        (Some(c), _) if !c.is_staff() => Access::ALL,
        (Some(_), Some(me)) => Access::of(me.role),
        _ => Access::NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kiosk_sees_only_the_kiosk_and_auditor_only_reads() {
        let kiosk = Access::of(StaffRole::Kiosk);
        assert!(kiosk.kiosk_only && kiosk.enroll && !kiosk.sessions && !kiosk.logout && !kiosk.staff);
        let auditor = Access::of(StaffRole::Auditor);
        assert!(auditor.sessions && auditor.audit && !auditor.logout && !auditor.enroll && !auditor.manage_employees);
        let helpdesk = Access::of(StaffRole::Helpdesk);
        assert!(
            helpdesk.verify
                && helpdesk.logout
                && helpdesk.lost_phone
                && !helpdesk.staff
                && helpdesk.manage_employees
                && !helpdesk.remove_employees
                && !helpdesk.desks
                && helpdesk.recover
                && !helpdesk.clear_recovery_hold
        );
        assert!(!kiosk.recover && !auditor.recover);
        // An admin may do everything, but is bound by the recovery rule: only the application's
        // secret is exempt from it.
        assert_eq!(Access::of(StaffRole::Admin), Access { recovery_exempt: false, ..Access::ALL });
    }
}
