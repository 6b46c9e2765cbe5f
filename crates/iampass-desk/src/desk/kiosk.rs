//! Kiosk mode: a queue of employees still to enroll, and a staff PIN to leave it. The PIN is
//! stored as a salted SHA-256 and compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Desk;
use crate::book::{Employee, EmployeeQuery, EnrollmentState};
use crate::error::{DeskError, DeskResult};

const PIN_KEY: &str = "kiosk_pin";

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

    /// Checks the PIN to leave the kiosk; every attempt is audited.
    pub fn check_kiosk_pin(&self, pin: &str) -> DeskResult<()> {
        let result = (|| {
            let stored =
                self.book()?.setting(PIN_KEY)?.ok_or_else(|| DeskError::Invalid("No kiosk PIN is set.".into()))?;
            let (salt, expected) =
                stored.split_once('$').ok_or_else(|| DeskError::Storage("the stored PIN is malformed".into()))?;
            if bool::from(hash(salt, pin).as_bytes().ct_eq(expected.as_bytes())) {
                Ok(())
            } else {
                Err(DeskError::WrongPin)
            }
        })();
        self.audited("leave_kiosk", None, "", result)
    }
}
