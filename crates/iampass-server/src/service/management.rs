//! The published Management API: users, registration links, device checks, lost devices.

use iampass_proto::wire::*;

use crate::clock::{Millis, rfc3339};
use crate::config::secs_to_ms;
use crate::crypto;
use crate::domain::actor::Actor;
use crate::domain::session::Policy;
use crate::domain::{Invalid, user_id};
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{Store, UserRow};

/// Display names shown on the enrollment page are bounded like user ids.
const MAX_DISPLAY_NAME_BYTES: usize = 256;

impl AppState {
    pub async fn add_users(&self, actor: &Actor, users: &[String]) -> Result<AddUsersResponse, ServiceError> {
        let app_id = actor.app_id();
        let users = user_id::validate_list(users)?;
        let (created, existing) = self.store.add_users(app_id, users, self.now()).await?;
        Ok(AddUsersResponse { status: true, users: AddUsersResult { created, existing } })
    }

    pub async fn delete_users(&self, actor: &Actor, users: &[String]) -> Result<DeleteUsersResponse, ServiceError> {
        let app_id = actor.app_id();
        let users = user_id::validate_list(users)?;
        let (deleted, missing) = self.store.delete_users(app_id, users, self.now(), self.config.policy()).await?;
        Ok(DeleteUsersResponse { status: true, deleted, missing })
    }

    pub async fn registration_link(
        &self,
        actor: &Actor,
        user: &str,
        display_name: Option<String>,
    ) -> Result<RegistrationLinkResponse, ServiceError> {
        let app_id = actor.app_id();
        let display_name = validate_display_name(display_name)?;
        let user = self.require_user(app_id, user).await?;
        self.link_needs_no_recovery(actor, &user).await?;
        self.issue_link(user, display_name, false).await
    }

    pub async fn has_registered_mobile_device(
        &self,
        actor: &Actor,
        user: &str,
    ) -> Result<DeviceRegisteredResponse, ServiceError> {
        let app_id = actor.app_id();
        let (_, device) = self.require_user_with_device(app_id, user).await?;
        Ok(DeviceRegisteredResponse { status: true, device_registered: device.is_some() })
    }

    /// Disables the user's phone at once (its sessions close) and issues a new link, atomically.
    /// Staff, for whom the new link needs a recovery, stop the phone with [`Self::stop_phone`].
    pub async fn lost_user_mobile_device(
        &self,
        actor: &Actor,
        user: &str,
    ) -> Result<RegistrationLinkResponse, ServiceError> {
        let app_id = actor.app_id();
        let user = self.require_user(app_id, user).await?;
        self.link_needs_no_recovery(actor, &user).await?;
        self.issue_link(user, None, true).await
    }

    /// A lost phone stops at once (its sessions close): this takes access away, so it needs no
    /// evidence; giving the employee a new phone is a recovery.
    pub async fn stop_phone(&self, actor: &Actor, user: &str) -> Result<StatusReply, ServiceError> {
        let user = self.require_user(actor.app_id(), user).await?;
        let stopped = self.store.stop_phone(&user, self.now(), self.config.policy()).await?;
        Ok(StatusReply { status: stopped.is_some(), reason: stopped.is_none().then(|| "no_device".to_owned()) })
    }

    /// SMS delivery needs a gateway this server is not configured with: say so rather than
    /// pretend, after checking the request as a real gateway would.
    pub async fn send_registration_sms(
        &self,
        actor: &Actor,
        user: &str,
        req: &SendSmsRequest,
    ) -> Result<StatusReply, ServiceError> {
        let app_id = actor.app_id();
        let number = req.phone_number.trim();
        let digits = number.strip_prefix('+').unwrap_or("");
        if digits.len() < 8 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new(
                "invalid_phone_number",
                "the phone number must be in E.164 form, like +15551234567",
            )
            .into());
        }
        self.require_user(app_id, user).await?;
        Ok(StatusReply {
            status: false,
            reason: Some(
                "SMS delivery is not configured on this server; share the registration link or its QR code".into(),
            ),
        })
    }

    async fn issue_link(
        &self,
        user: UserRow,
        display_name: Option<String>,
        lost: bool,
    ) -> Result<RegistrationLinkResponse, ServiceError> {
        let lost = lost.then(|| self.config.policy());
        self.links().issue(&self.store, user, display_name, lost, self.now()).await
    }

    pub(crate) fn links(&self) -> LinkIssuer<'_> {
        LinkIssuer { public_url: &self.public_url, lifetime_secs: self.config.link_lifetime_secs }
    }
}

/// Issues registration links that point at the server's public URL; the CLI makes one from its
/// flags, the server from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct LinkIssuer<'a> {
    pub public_url: &'a str,
    pub lifetime_secs: u64,
}

impl LinkIssuer<'_> {
    /// A new link for `user`, revoking any live one; with `lost`, their phone is disabled first.
    pub async fn issue(
        &self,
        store: &impl Store,
        user: UserRow,
        display_name: Option<String>,
        lost: Option<Policy>,
        now: Millis,
    ) -> Result<RegistrationLinkResponse, ServiceError> {
        let token = crypto::new_link_token();
        let hash = crypto::hash_token(&token);
        let expires_at = now + secs_to_ms(self.lifetime_secs);
        store.issue_link(user, hash, display_name, now, expires_at, lost).await?;
        Ok(self.response(&token, expires_at))
    }

    /// The published answer for a link issued with `token`.
    pub fn response(&self, token: &str, expires_at: Millis) -> RegistrationLinkResponse {
        RegistrationLinkResponse {
            status: true,
            register_url: format!("{}/register/{token}", self.public_url.trim_end_matches('/')),
            expires_at: Some(rfc3339(expires_at)),
            expires_in_seconds: Some(self.lifetime_secs),
        }
    }
}

fn validate_display_name(name: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else { return Ok(None) };
    if name.len() > MAX_DISPLAY_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(Invalid::new(
            "invalid_display_name",
            format!("a display name is at most {MAX_DISPLAY_NAME_BYTES} bytes, without control characters"),
        ));
    }
    Ok(Some(name))
}
