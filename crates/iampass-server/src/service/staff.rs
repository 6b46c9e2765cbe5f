//! Staff accounts: help-desk members who sign in to the console with a push to their own phone
//! and act with a bearer token, limited by their role (`domain/staff.rs`).
//!
//! A staff member's phone is a user of the application's *staff realm*, a hidden application that
//! only this module uses, so nothing done to the application's users (by the integrating app or
//! by a lower role) can reach a staff phone. A sign-in is an ordinary login in the realm: the
//! phone (CLI or web) approves it as any other, the push cap and number matching apply, and
//! logging the login out on the phone ends the console token with it.

use iampass_proto::wire::*;
use zeroize::Zeroizing;

use super::LinkIssuer;
use super::apps::secret_context;
use super::login::Ask;
use crate::clock::{Millis, rfc3339};
use crate::crypto::{self, Sealer};
use crate::domain::Invalid;
use crate::domain::actor::Actor;
use crate::domain::session::{Policy, Trigger};
use crate::domain::staff::validate_name;
use crate::error::ServiceError;
use crate::ratelimit::RateLimiter;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{AppRecord, NewAuditRecord, NewStaffToken, RequestOrigin, SignInRecord, StaffRecord, Store};

/// A token's last use is written at most this often: idle time is counted to the minute, and a
/// staff member's every request is not a database write.
const TOUCH_EVERY_MS: Millis = 60_000;
/// A console session may be set from five minutes to a week; idle from one minute to its lifetime.
const TOKEN_SECS: std::ops::RangeInclusive<u64> = 300..=7 * 24 * 3600;
const IDLE_SECS: std::ops::RangeInclusive<u64> = 60..=7 * 24 * 3600;
/// How long a verification push gives the caller; the console reads its answer once.
pub const VERIFY_DURATION_SECS: u64 = 60;

/// Sign-in attempts allowed, per application and per name (per node: `docs/PROTOCOL.md`).
pub fn sign_in_limiters(config: &crate::Config) -> (RateLimiter, RateLimiter) {
    (RateLimiter::per_minute(config.sign_in_app_per_minute, 30), RateLimiter::per_minute(config.sign_in_per_minute, 5))
}

fn unknown_staff() -> ServiceError {
    ServiceError::not_found("unknown_staff", "this application has no staff member with this name or id")
}

fn unknown_sign_in() -> ServiceError {
    ServiceError::not_found("unknown_sign_in", "no sign-in has this id (it may have expired)")
}

fn signed_out(code: &'static str, reason: &str) -> ServiceError {
    ServiceError::Unauthenticated { code, reason: reason.to_owned() }
}

/// The application's staff realm, made on first use.
async fn realm(store: &impl Store, sealer: &Sealer, app: &AppRecord, now: Millis) -> Result<AppRecord, ServiceError> {
    let id = format!("{}-staff", app.id);
    // Nobody signs with a realm's secret: it exists because every application row has one.
    let secret = Zeroizing::new(crypto::new_secret());
    let record = AppRecord {
        secret_sealed: sealer.seal(&secret_context(&id), &secret),
        id,
        name: format!("{} · help-desk console", app.name),
        created_at: now,
        secret_rotated_at: now,
        number_matching: false,
        staff_of: Some(app.id.clone()),
        staff_token_secs: app.staff_token_secs,
        staff_idle_secs: app.staff_idle_secs,
    };
    Ok(store.staff_realm(record).await?)
}

/// An application that staff can belong to (not a realm itself).
pub(crate) async fn application(store: &impl Store, app_id: &str) -> Result<AppRecord, ServiceError> {
    store.app(app_id).await?.filter(|a| a.staff_of.is_none()).ok_or_else(ServiceError::unknown_application)
}

/// The staff member named by id or name.
pub async fn find(store: &impl Store, app_id: &str, who: &str) -> Result<StaffRecord, ServiceError> {
    store.staff_member(app_id, who.trim()).await?.ok_or_else(unknown_staff)
}

/// Adds a staff member and issues the registration link for their phone. Used by the CLI (no
/// running server needed) and by admins in the console.
pub async fn add(
    store: &impl Store,
    sealer: &Sealer,
    links: LinkIssuer<'_>,
    app_id: &str,
    name: &str,
    role: StaffRole,
    now: Millis,
) -> Result<StaffAdded, ServiceError> {
    let app = application(store, app_id).await?;
    let name = validate_name(name)?;
    let realm = realm(store, sealer, &app, now).await?;
    let staff =
        StaffRecord { id: crypto::new_hex_id(), app_id: app.id.clone(), name: name.clone(), role, created_at: now };
    let Some(user) = store.add_staff(&realm.id, staff.clone()).await? else {
        return Err(ServiceError::Conflict {
            code: "staff_exists",
            reason: format!("a staff member is already named {name:?}"),
        });
    };
    let link = links.issue(store, user, Some(name.clone()), None, now).await?;
    Ok(StaffAdded {
        staff_id: staff.id,
        name,
        role,
        registration_link: link.register_url,
        expires_at: link.expires_at.unwrap_or_default(),
    })
}

/// A new registration link for a staff member's phone (a new phone, or a lost one: with `lost`
/// the current phone stops at once).
pub async fn new_link(
    store: &impl Store,
    sealer: &Sealer,
    links: LinkIssuer<'_>,
    app_id: &str,
    who: &str,
    lost: Option<Policy>,
    now: Millis,
) -> Result<StaffAdded, ServiceError> {
    let app = application(store, app_id).await?;
    let staff = find(store, app_id, who).await?;
    let realm = realm(store, sealer, &app, now).await?;
    let user = store.user(&realm.id, &staff.id).await?.ok_or_else(unknown_staff)?;
    let link = links.issue(store, user, Some(staff.name.clone()), lost, now).await?;
    Ok(StaffAdded {
        staff_id: staff.id,
        name: staff.name,
        role: staff.role,
        registration_link: link.register_url,
        expires_at: link.expires_at.unwrap_or_default(),
    })
}

pub async fn list(store: &impl Store, app_id: &str) -> Result<Vec<StaffSummary>, ServiceError> {
    application(store, app_id).await?;
    Ok(store
        .list_staff(app_id)
        .await?
        .into_iter()
        .map(|l| StaffSummary {
            staff_id: l.staff.id,
            name: l.staff.name,
            role: l.staff.role,
            created_at: rfc3339(l.staff.created_at),
            phone: l.phone.map(|k| k.wire()),
            signed_in: l.signed_in,
        })
        .collect())
}

/// Refuses a change that would leave the application without an admin: nobody could then manage
/// staff from the console.
async fn keep_an_admin(store: &impl Store, target: &StaffRecord) -> Result<(), ServiceError> {
    if target.role != StaffRole::Admin {
        return Ok(());
    }
    let admins = store.list_staff(&target.app_id).await?.iter().filter(|l| l.staff.role == StaffRole::Admin).count();
    if admins <= 1 {
        return Err(ServiceError::Conflict {
            code: "last_admin",
            reason: format!("{} is the only admin; make someone else admin first", target.name),
        });
    }
    Ok(())
}

/// Changes a role; the member's console sign-ins end at once (they sign in again with the new one).
pub async fn set_role(
    store: &impl Store,
    app_id: &str,
    who: &str,
    role: StaffRole,
    now: Millis,
    policy: Policy,
) -> Result<StaffRecord, ServiceError> {
    let staff = find(store, app_id, who).await?;
    if role != StaffRole::Admin {
        keep_an_admin(store, &staff).await?;
    }
    if !store.set_staff_role(app_id, &staff.id, role, now, policy).await? {
        return Err(unknown_staff());
    }
    Ok(StaffRecord { role, ..staff })
}

/// Removes a staff member: their tokens end, their console sessions close, their phone stops.
pub async fn remove(
    store: &impl Store,
    app_id: &str,
    who: &str,
    now: Millis,
    policy: Policy,
) -> Result<StaffRecord, ServiceError> {
    let staff = find(store, app_id, who).await?;
    keep_an_admin(store, &staff).await?;
    if !store.remove_staff(app_id, &staff.id, now, policy).await? {
        return Err(unknown_staff());
    }
    Ok(staff)
}

/// A reason given for an audited action: said in words, bounded, one line.
pub fn validate_reason(reason: &str) -> Result<String, Invalid> {
    let reason = reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(Invalid::new("invalid_reason", "give the reason in a few words (3 to 500 characters, one line)"));
    }
    Ok(reason.to_owned())
}

/// Checks and stores how long console sign-ins last.
pub async fn set_lifetimes(
    store: &impl Store,
    app_id: &str,
    token_secs: u64,
    idle_secs: u64,
) -> Result<(), ServiceError> {
    if !TOKEN_SECS.contains(&token_secs) || !IDLE_SECS.contains(&idle_secs) || idle_secs > token_secs {
        return Err(Invalid::new(
            "invalid_lifetime",
            format!(
                "a console sign-in lasts {} to {} s, and its idle time is {} s or more and no longer than that",
                TOKEN_SECS.start(),
                TOKEN_SECS.end(),
                IDLE_SECS.start()
            ),
        )
        .into());
    }
    if !store.set_staff_lifetimes(app_id, token_secs, idle_secs).await? {
        return Err(ServiceError::unknown_application());
    }
    Ok(())
}

impl AppState {
    pub async fn add_staff(&self, actor: &Actor, req: &AddStaff) -> Result<StaffAdded, ServiceError> {
        add(&self.store, &self.sealer, self.links(), actor.app_id(), &req.name, req.role, self.now()).await
    }

    pub async fn staff_link(&self, actor: &Actor, who: &str) -> Result<StaffAdded, ServiceError> {
        new_link(&self.store, &self.sealer, self.links(), actor.app_id(), who, None, self.now()).await
    }

    pub async fn list_staff(&self, actor: &Actor) -> Result<Vec<StaffSummary>, ServiceError> {
        list(&self.store, actor.app_id()).await
    }

    pub async fn set_staff_role(
        &self,
        actor: &Actor,
        who: &str,
        role: StaffRole,
    ) -> Result<StaffSummary, ServiceError> {
        let staff = set_role(&self.store, actor.app_id(), who, role, self.now(), self.config.policy()).await?;
        self.staff_summary(actor, &staff.id).await
    }

    pub async fn remove_staff(&self, actor: &Actor, who: &str) -> Result<StatusReply, ServiceError> {
        remove(&self.store, actor.app_id(), who, self.now(), self.config.policy()).await?;
        Ok(StatusReply { status: true, reason: None })
    }

    async fn staff_summary(&self, actor: &Actor, staff_id: &str) -> Result<StaffSummary, ServiceError> {
        self.list_staff(actor).await?.into_iter().find(|s| s.staff_id == staff_id).ok_or_else(unknown_staff)
    }

    pub async fn app_settings(&self, actor: &Actor) -> Result<AppSettings, ServiceError> {
        let app = application(&self.store, actor.app_id()).await?;
        Ok(AppSettings {
            number_matching: app.number_matching,
            staff_token_seconds: app.staff_token_secs,
            staff_idle_seconds: app.staff_idle_secs,
        })
    }

    pub async fn set_app_settings(&self, actor: &Actor, s: &AppSettings) -> Result<AppSettings, ServiceError> {
        set_lifetimes(&self.store, actor.app_id(), s.staff_token_seconds, s.staff_idle_seconds).await?;
        self.store.set_number_matching(actor.app_id(), s.number_matching).await?;
        self.app_settings(actor).await
    }

    /// Starts a sign-in: a push to the staff member's phone. An unknown name, a member without a
    /// phone and one held back by the push cap get the same answer as a real push, which then
    /// simply times out: the answer never tells whether a name exists.
    pub async fn staff_sign_in(
        &self,
        app_id: &str,
        who: &str,
        origin: RequestOrigin,
    ) -> Result<SignInStarted, ServiceError> {
        let app = application(&self.store, app_id).await?;
        let now = self.now();
        let too_many = |retry_after| ServiceError::TooManyRequests { retry_after };
        self.sign_in_limits.0.check(&app.id, now).map_err(too_many)?;
        let who = validate_name(who)?;
        let staff = self.store.staff_member(&app.id, &who).await?;
        // One bucket a staff member, whether named by name or by id (naming them by id must not
        // start another); a name nobody has gets its own, so guessing names is slowed too.
        let bucket = match &staff {
            Some(member) => format!("{}\u{0}staff\u{0}{}", app.id, member.id),
            None => format!("{}\u{0}name\u{0}{}", app.id, who.to_lowercase()),
        };
        self.sign_in_limits.1.check(&bucket, now).map_err(too_many)?;
        let code = app.number_matching.then(crypto::new_match_code);
        let session_id = match staff {
            Some(staff) => self.push_sign_in(&app, &staff, origin, code.clone()).await?,
            None => None,
        };
        let sign_in_id = crypto::new_bearer_token();
        let record = SignInRecord {
            app_id: app.id.clone(),
            staff_id: None,
            session_id,
            created_at: now,
            expires_at: now + self.config.policy().request_timeout_ms,
            token_issued: false,
        };
        self.store.create_sign_in(crypto::hash_token(&sign_in_id), record).await?;
        Ok(SignInStarted {
            status_url: self.url(&format!("/console/v1/{}/sign_in/{sign_in_id}", app.id)),
            sign_in_id,
            verification_code: code,
        })
    }

    /// The sign-in's login in the staff realm, if a push went out.
    async fn push_sign_in(
        &self,
        app: &AppRecord,
        staff: &StaffRecord,
        origin: RequestOrigin,
        code: Option<String>,
    ) -> Result<Option<String>, ServiceError> {
        let ask = Ask {
            methods: vec![Method::Acceptance],
            duration_secs: app.staff_token_secs,
            origin,
            purpose: RequestPurpose::ConsoleSignIn,
            verifier: None,
            recovery: None,
        };
        let pushed = self.push_to_staff(app, staff, ask, code).await?;
        Ok(pushed.and_then(Result::ok).map(|p| p.row.id))
    }

    /// A push to a staff member's own phone (a login of their user in the staff realm): `None`
    /// if they have no phone, the inner `Err` if the push cap held it back.
    pub(crate) async fn push_to_staff(
        &self,
        app: &AppRecord,
        staff: &StaffRecord,
        ask: Ask,
        code: Option<String>,
    ) -> Result<Option<Result<super::login::Pushed, &'static str>>, ServiceError> {
        let realm = realm(&self.store, &self.sealer, app, self.now()).await?;
        let Some((user, Some(device))) = self.store.user_with_device(&realm.id, &staff.id).await? else {
            return Ok(None);
        };
        Ok(Some(self.push_login_to(&realm, user, device, ask, code).await?))
    }

    /// Where a sign-in is, waiting up to `wait_secs` (capped like the phones' long-poll) while it
    /// is pending: the console learns of the approval as soon as it is made.
    pub async fn staff_sign_in_wait(
        &self,
        app_id: &str,
        sign_in_id: &str,
        wait_secs: u64,
        origin: RequestOrigin,
    ) -> Result<SignInStatus, ServiceError> {
        let deadline =
            tokio::time::Instant::now() + std::time::Duration::from_secs(wait_secs.min(self.config.long_poll_max_secs));
        let mut changes = self.store.hub().subscribe_events();
        let mut shutdown = self.shutdown.clone();
        let status = self.staff_sign_in_status(app_id, sign_in_id, origin.clone()).await?;
        if status.status != SignInState::Pending {
            return Ok(status);
        }
        let hash = crypto::hash_token(sign_in_id);
        loop {
            // Every session change is an event, so the approval's commit wakes this; a sign-in
            // that times out without a push is rechecked each second. The check is a read; the
            // full status (which may write) runs once it has settled.
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => break,
                _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                changed = changes.changed() => if changed.is_err() { break },
                _ = shutdown.wait_for(|stop| *stop) => break,
            }
            changes.borrow_and_update();
            if self.sign_in_settled(hash.clone()).await? {
                break;
            }
        }
        self.staff_sign_in_status(app_id, sign_in_id, origin).await
    }

    /// Whether a sign-in is no longer waiting for the phone (answered, or past its time).
    async fn sign_in_settled(&self, hash: Vec<u8>) -> Result<bool, ServiceError> {
        let Some(record) = self.store.sign_in(hash).await? else { return Ok(true) };
        let now = self.now();
        let Some(session_id) = record.session_id else { return Ok(now >= record.expires_at) };
        Ok(self.store.session(&session_id).await?.is_none_or(|row| {
            !row.status.is_in_progress() || now >= row.created_at + self.config.policy().request_timeout_ms
        }))
    }

    /// Where a sign-in is; the first answer after the phone approved carries the token, and no
    /// later one does.
    pub async fn staff_sign_in_status(
        &self,
        app_id: &str,
        sign_in_id: &str,
        origin: RequestOrigin,
    ) -> Result<SignInStatus, ServiceError> {
        let hash = crypto::hash_token(sign_in_id);
        let record =
            self.store.sign_in(hash.clone()).await?.filter(|r| r.app_id == app_id).ok_or_else(unknown_sign_in)?;
        let Some(session_id) = record.session_id else {
            let status = if self.now() >= record.expires_at { SignInState::Timeout } else { SignInState::Pending };
            let reason = (status == SignInState::Timeout).then(|| "no_answer".to_owned());
            return Ok(SignInStatus { status, token: None, reason });
        };
        let row = self.transition(&session_id, Trigger::Tick).await?;
        let status = SignInState::of(row.status);
        let reason = (status != SignInState::Active).then_some(row.reason.clone()).flatten();
        if status != SignInState::Active || record.token_issued {
            return Ok(SignInStatus { status, token: None, reason });
        }
        let staff = self.store.staff_member(app_id, &row.user_id).await?.filter(|s| s.id == row.user_id);
        let Some(staff) = staff else {
            return Ok(SignInStatus {
                status: SignInState::Cancelled,
                token: None,
                reason: Some("staff_removed".into()),
            });
        };
        let token = crypto::new_bearer_token();
        let now = self.now();
        let expires_at = crate::domain::session::expires_at(&row.facts()).unwrap_or(now);
        let new = NewStaffToken {
            hash: crypto::hash_token(&token),
            staff_id: staff.id.clone(),
            session_id: row.id,
            created_at: now,
            expires_at,
        };
        if !self.store.issue_staff_token(hash, new).await? {
            return Ok(SignInStatus { status, token: None, reason: None });
        }
        self.audit_staff(&staff, "sign_in", origin.address).await;
        Ok(SignInStatus { status, token: Some(token), reason: None })
    }

    /// The staff member a bearer token belongs to, if it still holds; notes its use.
    pub async fn staff_by_token(&self, token: &str) -> Result<(Actor, crate::store::StaffTokenRecord), ServiceError> {
        self.check_staff_token(token, true).await
    }

    /// Whether a token still holds, without counting this as its use (an open event stream does
    /// not keep a sign-in alive).
    pub async fn staff_token_holds(&self, token: &str) -> bool {
        self.check_staff_token(token, false).await.is_ok()
    }

    async fn check_staff_token(
        &self,
        token: &str,
        touch: bool,
    ) -> Result<(Actor, crate::store::StaffTokenRecord), ServiceError> {
        let hash = crypto::hash_token(token.trim());
        let record = self
            .store
            .staff_token(hash.clone())
            .await?
            .ok_or_else(|| signed_out("invalid_token", "this console sign-in is not valid; sign in again"))?;
        let now = self.now();
        if !record.session_live || now >= record.expires_at {
            return Err(signed_out("signed_out", "this console sign-in has ended; sign in again"));
        }
        if now >= record.last_used_at + record.idle_ms {
            return Err(signed_out("idle_timeout", "this console sign-in was unused too long; sign in again"));
        }
        if touch && now - record.last_used_at >= TOUCH_EVERY_MS {
            self.store.touch_staff_token(hash, now).await?;
        }
        let s = &record.staff;
        let actor =
            Actor::Staff { app_id: s.app_id.clone(), staff_id: s.id.clone(), name: s.name.clone(), role: s.role };
        Ok((actor, record))
    }

    pub fn staff_self(&self, record: &crate::store::StaffTokenRecord) -> StaffSelf {
        StaffSelf {
            staff_id: record.staff.id.clone(),
            name: record.staff.name.clone(),
            role: record.staff.role,
            application_id: record.staff.app_id.clone(),
            application_name: record.app_name.clone(),
            expires_at: rfc3339(record.expires_at),
            idle_seconds: u64::try_from(record.idle_ms / 1000).unwrap_or(0),
        }
    }

    /// Ends the token and its sign-in login (the phone shows it ended).
    pub async fn staff_sign_out(&self, token: &str, origin: RequestOrigin) -> Result<StatusReply, ServiceError> {
        let (_, record) = self.staff_by_token(token).await?;
        self.store.end_staff_token(crypto::hash_token(token.trim()), self.now(), self.config.policy()).await?;
        self.audit_staff(&record.staff, "sign_out", origin.address).await;
        Ok(StatusReply { status: true, reason: None })
    }

    async fn audit_staff(&self, staff: &StaffRecord, action: &str, source: Option<String>) {
        let record = NewAuditRecord {
            app_id: staff.app_id.clone(),
            actor: Actor::Staff {
                app_id: staff.app_id.clone(),
                staff_id: staff.id.clone(),
                name: staff.name.clone(),
                role: staff.role,
            },
            at: self.now(),
            action: action.to_owned(),
            subject: Some(staff.name.clone()),
            source,
            status: 200,
            detail: None,
        };
        if let Err(e) = self.store.record_audit(record).await {
            tracing::error!(error = %e, "audit record not written");
        }
    }

    /// Sends a verification push to a caller's phone.
    pub async fn start_verification(
        &self,
        actor: &Actor,
        user: &str,
        origin: RequestOrigin,
    ) -> Result<VerificationStarted, ServiceError> {
        let app = application(&self.store, actor.app_id()).await?;
        let ask = Ask {
            methods: vec![Method::Acceptance],
            duration_secs: VERIFY_DURATION_SECS,
            origin,
            purpose: RequestPurpose::Verification,
            verifier: actor.name().map(str::to_owned),
            recovery: None,
        };
        let out = self.authenticate_user(&app, user, ask).await?;
        let s = out.response.authentication_status;
        let answer_by = match &s.session_id {
            Some(id) => {
                self.store.session(id).await?.map(|r| rfc3339(r.created_at + self.config.policy().request_timeout_ms))
            }
            None => None,
        };
        Ok(VerificationStarted {
            verification_id: s.session_id,
            verification_code: s.verification_code,
            status: s.session_status,
            reason: s.reason,
            answer_by,
        })
    }

    /// Pushes before now no longer count toward the user's push cap: staff verified the person
    /// another way (the reason goes to the audit log).
    pub async fn clear_push_cap(&self, actor: &Actor, user: &str) -> Result<StatusReply, ServiceError> {
        let user = self.require_user(actor.app_id(), user).await?;
        self.store.clear_push_cap(&user, self.now()).await?;
        Ok(StatusReply { status: true, reason: None })
    }

    /// A verification's answer. An approval is read once: the login it made ends at once (it
    /// proved who the caller is; it must not stay signed in anywhere).
    pub async fn verification_status(&self, actor: &Actor, id: &str) -> Result<VerificationStatus, ServiceError> {
        let read = self.verification(actor, id).await?;
        let row = self.as_of_now(read).await?;
        if row.status == SessionStatus::Active {
            self.transition(id, Trigger::End(crate::domain::session::EndedBy::Console)).await?;
        }
        Ok(VerificationStatus { status: row.status, reason: row.reason })
    }

    /// Withdraws a verification push from the phone.
    pub async fn cancel_verification(&self, actor: &Actor, id: &str) -> Result<VerificationStatus, ServiceError> {
        self.verification(actor, id).await?;
        let row = self.transition(id, Trigger::End(crate::domain::session::EndedBy::Console)).await?;
        Ok(VerificationStatus { status: row.status, reason: row.reason })
    }

    /// The application's verification with this id; any other session (a login, another
    /// application's) is unknown here, so these routes can neither read nor end a login.
    async fn verification(&self, actor: &Actor, id: &str) -> Result<crate::store::SessionRow, ServiceError> {
        match self.store.session(id).await? {
            Some(row) if row.app_id == actor.app_id() && row.purpose == RequestPurpose::Verification => Ok(row),
            _ => Err(ServiceError::unknown_session()),
        }
    }
}
