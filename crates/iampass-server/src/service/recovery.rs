//! Recovery: moving an employee who has or had a phone to a new one, on evidence the server
//! checks (`domain/recovery.rs` holds the rule). Staff ask for a recovery naming its evidence, a
//! fresh verification or a second staff member who approves on their own phone; once approved,
//! the one who asked takes one registration link, recorded with the evidence in the audit log.

use iampass_proto::roles::Permission;
use iampass_proto::wire::*;

use super::login::Ask;
use super::staff::{VERIFY_DURATION_SECS, application, find as find_staff, validate_reason};
use crate::clock::{Millis, rfc3339};
use crate::config::secs_to_ms;
use crate::crypto;
use crate::domain::actor::Actor;
use crate::domain::recovery::{self, Hold, Refusal};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{RecoveryError, RecoveryEvidenceRow, RecoveryRefusal, RecoveryRow, RequestOrigin, UserRow};

/// The recoveries an employee's history shows.
const HISTORY_LIMIT: u32 = 50;
const HOUR_MS: Millis = 3_600_000;

fn refused(refusal: Refusal) -> ServiceError {
    let (code, reason) = (refusal.code(), refusal.reason());
    match refusal {
        Refusal::Held(..) | Refusal::NotApproved(_) | Refusal::LinkTooLate | Refusal::VerificationUsed => {
            ServiceError::Conflict { code, reason }
        }
        _ => ServiceError::Forbidden { code, reason },
    }
}

fn unknown_recovery() -> ServiceError {
    ServiceError::not_found("unknown_recovery", "no recovery has this id")
}

/// The asking staff member: recoveries are the help desk's, asked by a person signed in as
/// themselves (an application signing with its secret owns its users' recovery and needs none).
fn staff_of(actor: &Actor) -> Result<(&str, &str), ServiceError> {
    match actor {
        Actor::Staff { staff_id, name, .. } => Ok((staff_id, name)),
        Actor::Application { .. } => Err(ServiceError::Forbidden {
            code: "staff_only",
            reason: "a recovery is asked for by a staff member signed in as themselves; an application \
                     signing with its secret issues links with the published API"
                .into(),
        }),
    }
}

impl AppState {
    /// The registration-link routes' rule: staff asking for a link for an employee who has or
    /// had a phone must go through a recovery. First enrollment, and the application itself, pass.
    pub(crate) async fn link_needs_no_recovery(&self, actor: &Actor, user: &UserRow) -> Result<(), ServiceError> {
        if matches!(actor, Actor::Staff { .. }) && self.store.had_phone(user.row).await? {
            return Err(refused(Refusal::NeedsEvidence));
        }
        Ok(())
    }

    pub async fn start_recovery(
        &self,
        actor: &Actor,
        req: &StartRecovery,
        origin: RequestOrigin,
    ) -> Result<RecoveryStatus, ServiceError> {
        let (staff_id, staff_name) = staff_of(actor)?;
        let reason = validate_reason(&req.reason)?;
        let app = application(&self.store, actor.app_id()).await?;
        let user = self.require_user(&app.id, &req.user_id).await?;
        let now = self.now();
        let history = self.store.recovery_history(user.row, now - recovery::WINDOW_MS).await?;
        match recovery::admit(&history) {
            Ok(()) => {}
            Err(Hold::Existing(since, why)) => return Err(refused(Refusal::Held(since, why))),
            Err(Hold::New(why)) => {
                self.store.hold_recoveries(&user, &why, staff_name, now).await?;
                return Err(refused(Refusal::Held(now, why)));
            }
        }
        let (evidence, approved_at, code) = match &req.evidence {
            RecoveryEvidence::Verification { verification_id } => {
                let verification = self.store.session(verification_id).await?;
                let at =
                    recovery::verification_evidence(verification.as_ref(), &app.id, user.row, now).map_err(refused)?;
                (RecoveryEvidenceRow::Verification { session_id: verification_id.clone() }, Some(at), None)
            }
            RecoveryEvidence::SecondStaff { approver } => {
                let approver = find_staff(&self.store, &app.id, approver).await?;
                if approver.id == staff_id {
                    return Err(refused(Refusal::SelfApproval));
                }
                if !iampass_proto::roles::allows(approver.role, Permission::Recover) {
                    return Err(refused(Refusal::ApproverNotAllowed));
                }
                let ask = Ask {
                    methods: vec![Method::Acceptance],
                    duration_secs: VERIFY_DURATION_SECS,
                    origin,
                    purpose: RequestPurpose::RecoveryApproval,
                    verifier: Some(staff_name.to_owned()),
                    recovery: Some(RecoveryAsk {
                        requested_by: staff_name.to_owned(),
                        user_id: user.external_id.clone(),
                        reason: reason.clone(),
                        check: req.check,
                    }),
                };
                let code = app.number_matching.then(crypto::new_match_code);
                let pushed = match self.push_to_staff(&app, &approver, ask, code).await? {
                    None => return Err(refused(Refusal::ApproverWithoutPhone)),
                    Some(Err(capped)) => {
                        return Err(ServiceError::Conflict {
                            code: capped,
                            reason: "the approver's phone has too many unanswered pushes; ask another staff member"
                                .into(),
                        });
                    }
                    Some(Ok(pushed)) => pushed,
                };
                let evidence = RecoveryEvidenceRow::SecondStaff {
                    approver_id: approver.id,
                    approver_name: approver.name,
                    session_id: pushed.row.id,
                };
                (evidence, None, pushed.code)
            }
        };
        let asked = self.store.recoveries_asked(&app.id, staff_id, now - HOUR_MS).await?;
        let limit = i64::from(self.config.recovery_alert_per_hour);
        let alert = (limit > 0 && asked >= limit)
            .then(|| format!("{staff_name} asked for {} recoveries within an hour", asked + 1));
        let row = RecoveryRow {
            id: crypto::new_hex_id(),
            app_id: app.id.clone(),
            user,
            requested_by: staff_id.to_owned(),
            requested_by_name: staff_name.to_owned(),
            requested_at: now,
            reason,
            check: req.check,
            state: if approved_at.is_some() { RecoveryState::Approved } else { RecoveryState::Waiting },
            approved_at,
            evidence,
            link_issued_at: None,
        };
        let approval = matches!(row.evidence, RecoveryEvidenceRow::SecondStaff { .. }).then(|| row.evidence.clone());
        if let Err(e) = self.store.create_recovery(row.clone(), alert).await {
            // The approver's push must not stay up for a recovery that was not recorded.
            if let Some(evidence) = approval {
                let end = crate::domain::session::Trigger::End(crate::domain::session::EndedBy::Console);
                self.transition(evidence.session_id(), end).await.ok();
            }
            return Err(match e {
                RecoveryError::Refused(RecoveryRefusal::EvidenceUsed) => refused(Refusal::VerificationUsed),
                RecoveryError::Refused(_) => refused(Refusal::Held(now, "held while this was asked".into())),
                RecoveryError::Store(e) => e.into(),
            });
        }
        let answer_by = approval.is_some().then(|| now + self.config.policy().request_timeout_ms);
        Ok(self.recovery_status(&row, answer_by, code))
    }

    /// A recovery as it is now: a second staff member's answer is read from their push (and an
    /// approval ends that push's login at once: it signs nobody in).
    pub async fn recovery(&self, actor: &Actor, id: &str) -> Result<RecoveryStatus, ServiceError> {
        let row = self.current_recovery(actor, id).await?;
        Ok(self.recovery_status(&row, None, None))
    }

    async fn current_recovery(&self, actor: &Actor, id: &str) -> Result<RecoveryRow, ServiceError> {
        let app_id = actor.app_id();
        let row = self.store.recovery(app_id, id).await?.ok_or_else(unknown_recovery)?;
        let now = self.now();
        let approval = match (&row.state, &row.evidence) {
            (RecoveryState::Waiting, RecoveryEvidenceRow::SecondStaff { session_id, .. }) => {
                match self.store.session(session_id).await? {
                    Some(read) => Some(self.as_of_now(read).await?),
                    None => None,
                }
            }
            _ => None,
        };
        let (state, approved_at) = recovery::state_now(&row, approval.as_ref(), now);
        if let Some(session) = approval.filter(|s| s.status == SessionStatus::Active) {
            let end = crate::domain::session::Trigger::End(crate::domain::session::EndedBy::Console);
            self.transition(&session.id, end).await?;
        }
        if state == row.state {
            return Ok(row);
        }
        self.store.settle_recovery(app_id, id, state, approved_at, now).await?.ok_or_else(unknown_recovery)
    }

    /// The recovery's one registration link, for the staff member who asked, while approved.
    /// Also the evidence in words, for the audit record.
    pub async fn recovery_link(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(RegistrationLinkResponse, String), ServiceError> {
        let (staff_id, _) = staff_of(actor)?;
        let row = self.current_recovery(actor, id).await?;
        let now = self.now();
        recovery::link_allowed(&row, staff_id, now).map_err(refused)?;
        let links = self.links();
        let token = crypto::new_link_token();
        let expires_at = now + secs_to_ms(links.lifetime_secs);
        let used = self
            .store
            .issue_recovery_link(&row.app_id, &row.id, crypto::hash_token(&token), now, expires_at)
            .await
            .map_err(|e| match e {
                RecoveryError::Refused(RecoveryRefusal::Held) => {
                    refused(Refusal::Held(now, "held before the link was taken".into()))
                }
                RecoveryError::Refused(_) => refused(Refusal::NotApproved(RecoveryState::Used)),
                RecoveryError::Store(e) => e.into(),
            })?;
        Ok((links.response(&token, expires_at), evidence_in_words(&used)))
    }

    /// The employee's recoveries, newest first, and any hold on them.
    pub async fn recovery_history(&self, actor: &Actor, user: &str) -> Result<RecoveryHistory, ServiceError> {
        let user = self.require_user(actor.app_id(), user).await?;
        let hold = self.store.recovery_hold(user.row).await?;
        let rows = self.store.recoveries_of(user.row, HISTORY_LIMIT).await?;
        Ok(RecoveryHistory {
            hold: hold.map(|(at, why)| RecoveryHold { held_at: rfc3339(at), why }),
            recoveries: rows.iter().map(|r| self.recovery_status(r, None, None)).collect(),
        })
    }

    /// An admin lifts a hold (the reason goes to the audit log).
    pub async fn clear_recovery_hold(
        &self,
        actor: &Actor,
        user: &str,
        reason: &str,
    ) -> Result<StatusReply, ServiceError> {
        let by = actor.name().unwrap_or("the application");
        let user = self.require_user(actor.app_id(), user).await?;
        if !self.store.clear_recovery_hold(&user, by, reason, self.now()).await? {
            return Err(ServiceError::not_found("no_hold", "this employee's recoveries are not on hold"));
        }
        Ok(StatusReply { status: true, reason: None })
    }

    fn recovery_status(&self, r: &RecoveryRow, answer_by: Option<Millis>, code: Option<String>) -> RecoveryStatus {
        let approver = match &r.evidence {
            RecoveryEvidenceRow::SecondStaff { approver_name, .. } => Some(approver_name.clone()),
            RecoveryEvidenceRow::Verification { .. } => None,
        };
        let usable_until =
            (r.state == RecoveryState::Approved).then(|| r.approved_at.map(|at| at + recovery::FRESH_MS));
        RecoveryStatus {
            recovery_id: r.id.clone(),
            user_id: r.user.external_id.clone(),
            state: r.state,
            requested_by: r.requested_by_name.clone(),
            requested_at: rfc3339(r.requested_at),
            reason: r.reason.clone(),
            check: r.check,
            evidence: r.evidence.kind().to_owned(),
            approver,
            approved_at: r.approved_at.map(rfc3339),
            answer_by: answer_by.map(rfc3339),
            usable_until: usable_until.flatten().map(rfc3339),
            link_issued_at: r.link_issued_at.map(rfc3339),
            verification_code: code,
        }
    }
}

/// A used recovery's evidence, as its link's audit record keeps it.
fn evidence_in_words(r: &RecoveryRow) -> String {
    let approved = r.approved_at.map(rfc3339).unwrap_or_default();
    let evidence = match &r.evidence {
        RecoveryEvidenceRow::Verification { session_id } => {
            format!("verification {session_id} approved on the employee's phone at {approved}")
        }
        RecoveryEvidenceRow::SecondStaff { approver_name, approver_id, .. } => {
            format!("approved by {approver_name} ({approver_id}) on their phone at {approved}")
        }
    };
    format!("recovery {} of {}: {evidence}; check: {}; reason: {}", r.id, r.user.external_id, r.check.words(), r.reason)
}
