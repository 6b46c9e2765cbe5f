//! Bodies of the recovery routes (`/console/v1/{app}/recoveries`, ours): moving an employee who has
//! or had a phone to a new one. Staff must bring evidence the server checks (a fresh caller
//! verification on the current phone, or a second staff member's approval on their own phone);
//! the server records it with the registration link it then issues. Names never travel: the
//! employee is their user id, the staff members their names.

use serde::{Deserialize, Serialize};

/// What the asking staff member checked before asking, as the approver and the audit log read it.
/// A fixed list, so that nobody types an employee's name into the server's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RecoveryCheck {
    /// The employee stood at the desk and showed an identity document.
    IdSeenAtDesk,
    /// The help desk called back the number on file (not the one the caller gave).
    CalledBackNumberOnFile,
    /// The employee's manager confirmed the request.
    ManagerConfirmed,
}

impl RecoveryCheck {
    pub const ALL: [RecoveryCheck; 3] =
        [RecoveryCheck::IdSeenAtDesk, RecoveryCheck::CalledBackNumberOnFile, RecoveryCheck::ManagerConfirmed];

    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryCheck::IdSeenAtDesk => "id_seen_at_desk",
            RecoveryCheck::CalledBackNumberOnFile => "called_back_number_on_file",
            RecoveryCheck::ManagerConfirmed => "manager_confirmed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// In words, as the approver's phone and the audit log show it.
    pub fn words(self) -> &'static str {
        match self {
            RecoveryCheck::IdSeenAtDesk => "ID seen at the desk",
            RecoveryCheck::CalledBackNumberOnFile => "called back the number on file",
            RecoveryCheck::ManagerConfirmed => "manager confirmed",
        }
    }
}

/// The evidence a recovery rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RecoveryEvidence {
    /// A caller verification of this employee, approved on their current phone within the last
    /// ten minutes (the employee still has the phone and is moving to a new one).
    Verification { verification_id: String },
    /// A second staff member (help desk or admin, not the one asking) approves on their own phone.
    SecondStaff { approver: String },
}

/// `POST /console/v1/{app}/recoveries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRecovery {
    pub user_id: String,
    /// Why, in a few words (3 to 500 characters, one line; no names).
    pub reason: String,
    pub check: RecoveryCheck,
    pub evidence: RecoveryEvidence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum RecoveryState {
    /// The second staff member has not answered yet.
    Waiting,
    /// The evidence holds: the asking staff member may take the registration link.
    Approved,
    /// The approver refused, or did not answer in time.
    Refused,
    /// The link was issued; a recovery gives one link.
    Used,
    /// Approved, but the link was not taken in time.
    Expired,
}

impl RecoveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecoveryState::Waiting => "waiting",
            RecoveryState::Approved => "approved",
            RecoveryState::Refused => "refused",
            RecoveryState::Used => "used",
            RecoveryState::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Waiting, Self::Approved, Self::Refused, Self::Used, Self::Expired].into_iter().find(|p| p.as_str() == s)
    }
}

/// A recovery as the console follows it (`GET /console/v1/{app}/recoveries/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryStatus {
    pub recovery_id: String,
    pub user_id: String,
    pub state: RecoveryState,
    /// The staff member who asked.
    pub requested_by: String,
    pub requested_at: String,
    pub reason: String,
    pub check: RecoveryCheck,
    /// `verification` or `second_staff`.
    pub evidence: String,
    /// The second staff member, for `second_staff`.
    pub approver: Option<String>,
    /// When the evidence was given (the verification or the approval).
    pub approved_at: Option<String>,
    /// While waiting: when the approver's push times out.
    pub answer_by: Option<String>,
    /// While approved: the link must be taken before this.
    pub usable_until: Option<String>,
    /// When the link was issued.
    pub link_issued_at: Option<String>,
    /// The second staff member's number-matching code, if the application asks for one.
    pub verification_code: Option<String>,
}

/// A hold on an employee's recoveries: a pattern an impostor leaves (a second recovery within a
/// day, a refused verification before one); only an admin lifts it, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryHold {
    pub held_at: String,
    pub why: String,
}

/// `GET /console/v1/{app}/users/{user}/recoveries`: the employee's recoveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryHistory {
    pub hold: Option<RecoveryHold>,
    pub recoveries: Vec<RecoveryStatus>,
}

/// `POST /console/v1/{app}/clear_recovery_hold/{user}`: an admin lifts a hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearRecoveryHold {
    /// Why (for the audit log).
    pub reason: String,
}

/// What the approver's phone shows with a recovery's push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryAsk {
    /// The staff member asking.
    pub requested_by: String,
    /// The employee to be moved to a new phone.
    pub user_id: String,
    pub reason: String,
    pub check: RecoveryCheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecoveryChange {
    Requested,
    Approved,
    Refused,
    LinkIssued,
    /// The employee's recoveries are held until an admin clears them.
    Held,
    HoldCleared,
    /// One staff member asked for more recoveries in an hour than the server allows without alert.
    ManyRequests,
}

/// A recovery's change on the event stream; `Held` and `ManyRequests` are alerts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryEvent {
    pub user_id: String,
    pub recovery_id: Option<String>,
    pub change: RecoveryChange,
    /// The staff member whose action it was.
    pub by: Option<String>,
    /// For a hold or an alert: why, in words.
    pub detail: Option<String>,
}
