//! The recovery rule: what staff must bring before an employee who has or had a phone is given a
//! registration link for another, and when the pattern of recoveries looks like an impostor
//! working the help desk. Plain facts in, a decision out; `service/recovery.rs` gathers the facts.
//!
//! Why the server decides: a caller who says "I lost my phone" talks to one staff member, who can
//! be fooled; a rule in the console alone would be one click away from skipped. The rule binds
//! staff only: an integrating application signing with its own secret owns its users' recovery.

use iampass_proto::wire::{RecoveryState, RequestPurpose};

use crate::clock::{Millis, rfc3339};
use crate::store::{RecoveryRow, SessionRow};

/// A verification counts as evidence for this long after the phone approved it, and an approved
/// recovery's link must be taken within as long after its approval.
pub const FRESH_MS: Millis = 10 * 60_000;
/// A second recovery of one employee within this window holds their recoveries, as does a
/// refused verification before one.
pub const WINDOW_MS: Millis = 24 * 3_600_000;

/// Why a recovery is refused, in words a staff member can act on. Nothing is changed by a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A staff member asked for a link for an employee who has or had a phone, without a recovery.
    NeedsEvidence,
    VerificationUnknown,
    VerificationOfAnother,
    VerificationNotApproved,
    VerificationTooOld,
    VerificationUsed,
    SelfApproval,
    ApproverNotAllowed,
    ApproverWithoutPhone,
    /// The employee's recoveries are held (since, why).
    Held(Millis, String),
    NotApproved(RecoveryState),
    NotYours,
    LinkTooLate,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NeedsEvidence => "recovery_needs_evidence",
            Refusal::VerificationUnknown => "unknown_verification",
            Refusal::VerificationOfAnother => "verification_of_another_user",
            Refusal::VerificationNotApproved => "verification_not_approved",
            Refusal::VerificationTooOld => "verification_too_old",
            Refusal::VerificationUsed => "verification_used",
            Refusal::SelfApproval => "self_approval",
            Refusal::ApproverNotAllowed => "approver_not_allowed",
            Refusal::ApproverWithoutPhone => "approver_without_phone",
            Refusal::Held(..) => "recovery_on_hold",
            Refusal::NotApproved(_) => "recovery_not_approved",
            Refusal::NotYours => "recovery_of_another_staff_member",
            Refusal::LinkTooLate => "recovery_expired",
        }
    }

    pub fn reason(&self) -> String {
        let fresh = FRESH_MS / 60_000;
        match self {
            Refusal::NeedsEvidence => "this employee has or had a phone: a new one needs a recovery with evidence \
                 (a verification approved on their current phone, or a second staff member's approval)"
                .into(),
            Refusal::VerificationUnknown => "no caller verification has this id".into(),
            Refusal::VerificationOfAnother => "that verification was of another employee".into(),
            Refusal::VerificationNotApproved => "that verification was not approved on the employee's phone".into(),
            Refusal::VerificationTooOld => {
                format!("that verification is more than {fresh} minutes old: verify the caller again")
            }
            Refusal::VerificationUsed => "that verification already backed a recovery: verify the caller again".into(),
            Refusal::SelfApproval => "a second staff member must approve: you cannot approve your own recovery".into(),
            Refusal::ApproverNotAllowed => "the approver must be a help-desk or admin staff member".into(),
            Refusal::ApproverWithoutPhone => "the approver has no phone enrolled to approve with".into(),
            Refusal::Held(since, why) => format!(
                "recoveries of this employee are on hold since {} ({why}); an admin must clear the hold",
                rfc3339(*since)
            ),
            Refusal::NotApproved(state) => format!("this recovery is {}, not approved", state.as_str()),
            Refusal::NotYours => "only the staff member who asked for this recovery may take its link".into(),
            Refusal::LinkTooLate => format!("the link was not taken within {fresh} minutes of the approval"),
        }
    }
}

/// When a caller verification is evidence for recovering `user_row`: approved on the phone
/// within [`FRESH_MS`]. The approval time, or why not.
pub fn verification_evidence(
    verification: Option<&SessionRow>,
    app_id: &str,
    user_row: i64,
    now: Millis,
) -> Result<Millis, Refusal> {
    let v = verification
        .filter(|v| v.app_id == app_id && v.purpose == RequestPurpose::Verification)
        .ok_or(Refusal::VerificationUnknown)?;
    if v.user_row != user_row {
        return Err(Refusal::VerificationOfAnother);
    }
    let at = v.authenticated_at.ok_or(Refusal::VerificationNotApproved)?;
    if now > at + FRESH_MS {
        return Err(Refusal::VerificationTooOld);
    }
    Ok(at)
}

/// What the server knows of an employee's recent recoveries, since the last hold was cleared.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// A hold not yet cleared: since, why.
    pub hold: Option<(Millis, String)>,
    /// When the newest recovery's link was issued within [`WINDOW_MS`].
    pub last_link: Option<Millis>,
    /// When the newest verification the employee's phone refused within [`WINDOW_MS`].
    pub refused_verification: Option<Millis>,
}

/// Whether a new recovery may go ahead: refused while held; a pattern that should hold them
/// gives the hold's reason (the caller places it, then refuses).
pub fn admit(history: &History) -> Result<(), Hold> {
    if let Some((since, why)) = &history.hold {
        return Err(Hold::Existing(*since, why.clone()));
    }
    if let Some(at) = history.last_link {
        return Err(Hold::New(format!("a second recovery within 24 hours (the last at {})", rfc3339(at))));
    }
    if let Some(at) = history.refused_verification {
        return Err(Hold::New(format!("a caller verification was refused on the phone at {}", rfc3339(at))));
    }
    Ok(())
}

/// Why recoveries stop for an employee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    Existing(Millis, String),
    /// To be placed now, with this reason.
    New(String),
}

/// A recovery's state now, given the approver's push (for a second staff member's approval):
/// waiting while the push is, approved when the phone approved, refused otherwise; an approved
/// one not used in time has expired.
pub fn state_now(
    recovery: &RecoveryRow,
    approval: Option<&SessionRow>,
    now: Millis,
) -> (RecoveryState, Option<Millis>) {
    match recovery.state {
        RecoveryState::Waiting => match approval {
            Some(s) if s.authenticated_at.is_some() => (RecoveryState::Approved, s.authenticated_at),
            Some(s) if s.status.is_in_progress() => (RecoveryState::Waiting, None),
            _ => (RecoveryState::Refused, None),
        },
        RecoveryState::Approved => match recovery.approved_at {
            Some(at) if now <= at + FRESH_MS => (RecoveryState::Approved, Some(at)),
            at => (RecoveryState::Expired, at),
        },
        state => (state, recovery.approved_at),
    }
}

/// Whether `staff_id` may take the link of `recovery` now.
pub fn link_allowed(recovery: &RecoveryRow, staff_id: &str, now: Millis) -> Result<(), Refusal> {
    if recovery.requested_by != staff_id {
        return Err(Refusal::NotYours);
    }
    match (recovery.state, recovery.approved_at) {
        (RecoveryState::Approved, Some(at)) if now <= at + FRESH_MS => Ok(()),
        (RecoveryState::Approved | RecoveryState::Expired, _) => Err(Refusal::LinkTooLate),
        (state, _) => Err(Refusal::NotApproved(state)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        History::default()
    }

    #[test]
    fn a_second_recovery_or_a_refused_verification_holds_and_a_hold_refuses() {
        assert_eq!(admit(&history()), Ok(()));
        let h = History { last_link: Some(1), ..history() };
        assert!(matches!(admit(&h), Err(Hold::New(why)) if why.contains("second recovery")));
        let h = History { refused_verification: Some(1), ..history() };
        assert!(matches!(admit(&h), Err(Hold::New(why)) if why.contains("refused")));
        let h = History { hold: Some((5, "x".into())), ..history() };
        assert_eq!(admit(&h), Err(Hold::Existing(5, "x".into())));
    }
}
