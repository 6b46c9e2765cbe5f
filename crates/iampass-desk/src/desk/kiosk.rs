//! Kiosk mode: employees still to enroll, each enrollment confirmed by staff with the PIN (after
//! checking the person's ID), and the PIN to skip or leave. Nobody standing at an unattended kiosk
//! can bind a phone to a name on the screen. The PIN is stored as a salted SHA-256 and compared in
//! constant time; five wrong PINs lock it for a minute.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Desk;
use crate::book::{Employee, EmployeeQuery, EnrollmentState};
use crate::error::{DeskError, DeskResult};

const PIN_KEY: &str = "kiosk_pin";
/// Wrong PINs in a row before the kiosk stops taking PINs for [`PIN_LOCKOUT`].
const PIN_TRIES: u32 = 5;
const PIN_LOCKOUT_MS: i64 = 60_000;

/// What staff confirm with the PIN at the kiosk, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum KioskAction {
    /// Leave the kiosk.
    Leave,
    /// Skip the person on screen.
    Skip,
}

/// Wrong PINs so far, and when the lockout they caused ends.
#[derive(Debug, Default)]
pub(super) struct PinGuard {
    wrong: u32,
    locked_until: Option<iampass_proto::clock::Millis>,
}

fn hash(salt: &str, pin: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{pin}").as_bytes()))
}

impl Desk {
    /// Employees without a working phone, in name order: the kiosk's queue.
    pub fn kiosk_queue(&self) -> DeskResult<Vec<Employee>> {
        Ok(self
            .employees(&EmployeeQuery::default())?
            .into_iter()
            .filter(|e| e.state != EnrollmentState::Enrolled)
            .collect())
    }

    pub fn kiosk_pin_set(&self) -> DeskResult<bool> {
        Ok(self.book()?.setting(PIN_KEY)?.is_some())
    }

    /// Sets the staff PIN (4 to 12 digits).
    pub fn set_kiosk_pin(&self, pin: &str) -> DeskResult<()> {
        let result = (|| {
            if !(4..=12).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DeskError::Invalid("The PIN is 4 to 12 digits.".into()));
            }
            let salt = hex::encode(rand::random::<[u8; 16]>());
            self.book()?.set_setting(PIN_KEY, &format!("{salt}${}", hash(&salt, pin)))
        })();
        self.audited("set_kiosk_pin", None, "", result)
    }

    /// Checks the PIN for a staff action at the kiosk; every attempt is audited.
    pub fn check_kiosk_pin(&self, pin: &str, action: KioskAction) -> DeskResult<()> {
        let result = self.pin_matches(pin);
        let name = match action {
            KioskAction::Leave => "leave_kiosk",
            KioskAction::Skip => "kiosk_skip",
        };
        self.audited(name, None, "", result)
    }

    /// Staff checked the person's ID and confirm with the PIN: the kiosk shows their code. A
    /// link already sent to them is replaced only when staff say so (`replace`), since the
    /// person may be about to use it.
    pub async fn kiosk_enroll(&self, id: i64, pin: &str, replace: bool) -> DeskResult<crate::enroll::EnrollmentTicket> {
        let employee = self.employee(id)?;
        let checked = self.pin_matches(pin);
        let checked = self.audited("kiosk_confirm_enrollment", Some((id, &employee.name)), "", checked);
        checked?;
        let link_out = employee.state == EnrollmentState::LinkIssued
            && employee
                .link_expires_at
                .as_deref()
                .is_some_and(|at| at > iampass_proto::clock::rfc3339(self.now()).as_str());
        if link_out && !replace {
            return Err(DeskError::LinkOut(employee.name));
        }
        self.start_enrollment(id).await
    }

    fn pin_matches(&self, pin: &str) -> DeskResult<()> {
        let mut guard = self.pin_guard.lock().map_err(|_| DeskError::Storage("the PIN check is unavailable".into()))?;
        let now = self.now();
        if let Some(until) = guard.locked_until {
            if now < until {
                // Whole seconds left, rounded up: a lockout with 0.2 s left still says 1 s.
                return Err(DeskError::PinLocked(u64::try_from((until - now + 999) / 1000).unwrap_or(1)));
            }
            guard.locked_until = None;
        }
        let stored = self.book()?.setting(PIN_KEY)?.ok_or_else(|| DeskError::Invalid("No kiosk PIN is set.".into()))?;
        let (salt, expected) =
            stored.split_once('$').ok_or_else(|| DeskError::Storage("the stored PIN is malformed".into()))?;
        if bool::from(hash(salt, pin).as_bytes().ct_eq(expected.as_bytes())) {
            guard.wrong = 0;
            return Ok(());
        }
        guard.wrong += 1;
        if guard.wrong >= PIN_TRIES {
            guard.wrong = 0;
            guard.locked_until = Some(now + PIN_LOCKOUT_MS);
        }
        Err(DeskError::WrongPin)
    }
}
