//! The web phone: a passkey (WebAuthn) made in the phone's own browser at the registration link.
//! User verification is required at creation and at every approval, so an approval means the
//! phone's owner unlocked it (face, fingerprint or PIN), not merely that someone held it.
//!
//! The passkey is discoverable (resident): an installed home-screen app on iOS does not share
//! storage with the Safari tab that enrolled, so the app finds its phone by asking for any passkey
//! of this site; the user handle is the device id. The credential stored for the device is the
//! serialised `webauthn_rs::Passkey` (public key, counter, backup flags).
//!
//! The relying party is the public URL's host: a passkey is bound to it, so changing the public
//! URL's host orphans every web phone (they must enroll again).

use std::net::IpAddr;

use url::Url;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};
use webauthn_rs_proto::{PublicKeyCredentialHints, ResidentKeyRequirement};

use super::Enrolled;
use crate::domain::device::DeviceKind;
use crate::error::ServiceError;

/// Shown to the person in the passkey prompt and their passkey manager.
const RP_NAME: &str = "IAMPASS";

/// Who passkeys are made for: the public URL's host and origin.
#[derive(Debug)]
pub struct RelyingParty {
    webauthn: Webauthn,
    origin: String,
}

/// Why this server cannot enroll a web phone.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NoRelyingParty {
    #[error(
        "this server's public URL ({0}) names an IP address; phones make passkeys only for a domain name \
         (or localhost), so a web phone cannot be enrolled here. Ask the administrator to serve it on a name \
         with HTTPS (--public-url https://name)"
    )]
    IpLiteral(String),
    #[error("this server's public URL ({0}) cannot be used for passkeys")]
    Unusable(String),
}

impl RelyingParty {
    /// The relying party for `public_url`. A server on a loopback address is reached by a browser
    /// on the same machine as `localhost` (the one name browsers allow without HTTPS), so there
    /// the relying party is `localhost` on the same port.
    pub fn for_public_url(public_url: &str) -> Result<Self, NoRelyingParty> {
        let unusable = || NoRelyingParty::Unusable(public_url.to_owned());
        let mut url = Url::parse(public_url).map_err(|_| unusable())?;
        let host = url.host_str().ok_or_else(unusable)?.trim_matches(['[', ']']).to_owned();
        if let Ok(ip) = host.parse::<IpAddr>() {
            if !ip.is_loopback() {
                return Err(NoRelyingParty::IpLiteral(public_url.to_owned()));
            }
            url.set_host(Some("localhost")).map_err(|_| unusable())?;
        }
        url.set_path("");
        let rp_id = url.host_str().ok_or_else(unusable)?.to_owned();
        let webauthn =
            WebauthnBuilder::new(&rp_id, &url).and_then(|b| b.rp_name(RP_NAME).build()).map_err(|_| unusable())?;
        Ok(Self { webauthn, origin: url.origin().ascii_serialization() })
    }

    /// The origin the web phone must be opened on (`https://name[:port]`).
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

/// A passkey's answer was not accepted; the reason says why without echoing what was sent.
fn refused(e: WebauthnError) -> ServiceError {
    match e {
        WebauthnError::UserNotVerified => ServiceError::Forbidden {
            code: "user_not_verified",
            reason: "the phone did not verify its owner (face, fingerprint or screen lock); approve again and \
                     unlock when asked"
                .into(),
        },
        other => ServiceError::Forbidden {
            code: "passkey_refused",
            reason: format!("the passkey's answer was not accepted ({other})"),
        },
    }
}

fn stored(passkey: &Passkey) -> Result<Vec<u8>, ServiceError> {
    serde_json::to_vec(passkey).map_err(|e| ServiceError::Internal(format!("cannot store a passkey: {e}")))
}

fn load(credential: &[u8]) -> Result<Passkey, ServiceError> {
    serde_json::from_slice(credential).map_err(|_| ServiceError::Internal("a stored passkey cannot be read".into()))
}

/// Whether a passkey is synced to the person's other devices (backup state): a synced passkey
/// survives a lost phone, and also lives wherever the person's passkey manager does.
fn is_synced(passkey: Passkey) -> bool {
    Credential::from(passkey).backup_state
}

/// A stored passkey that an assertion moved on (its counter or backup state): what to store.
#[derive(Debug)]
pub struct Updated {
    pub credential: Vec<u8>,
    pub synced: bool,
}

/// The device id as the passkey's user handle (16 bytes), so a discovered passkey names its device.
fn user_handle(device_id: &str) -> Result<Uuid, ServiceError> {
    Uuid::try_parse(device_id).map_err(|_| ServiceError::Internal("a device id is not 16 bytes of hex".into()))
}

/// The options for `navigator.credentials.create`: resident key and user verification required,
/// no attestation, the phone's own (platform) authenticator preferred.
pub fn start_registration(
    rp: &RelyingParty,
    device_id: &str,
    user_name: &str,
    display_name: &str,
) -> Result<(CreationChallengeResponse, PasskeyRegistration), ServiceError> {
    let (mut options, state) = rp
        .webauthn
        .start_passkey_registration(user_handle(device_id)?, user_name, display_name, None)
        .map_err(|e| ServiceError::Internal(format!("cannot start a passkey registration: {e}")))?;
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    options.public_key.hints = Some(vec![PublicKeyCredentialHints::ClientDevice]);
    Ok((options, state))
}

/// What the browser sent back from `navigator.credentials.create`, with the state it answers.
#[derive(Debug)]
pub struct Registration {
    pub device_id: String,
    pub state: PasskeyRegistration,
    pub credential: RegisterPublicKeyCredential,
    pub platform: String,
}

pub(super) fn enroll(rp: &RelyingParty, reg: &Registration) -> Result<Enrolled, ServiceError> {
    let passkey = rp.webauthn.finish_passkey_registration(&reg.credential, &reg.state).map_err(refused)?;
    Ok(Enrolled {
        id: reg.device_id.clone(),
        kind: DeviceKind::Passkey,
        credential: stored(&passkey)?,
        name: "Web phone".into(),
        platform: reg.platform.clone(),
        synced: Some(is_synced(passkey)),
    })
}

/// A challenge for this device's passkey, for one approval.
pub fn start_assertion(
    rp: &RelyingParty,
    credential: &[u8],
) -> Result<(RequestChallengeResponse, PasskeyAuthentication), ServiceError> {
    rp.webauthn
        .start_passkey_authentication(&[load(credential)?])
        .map_err(|e| ServiceError::Internal(format!("cannot start a passkey assertion: {e}")))
}

/// Checks an assertion against the device's passkey and the challenge it answers. Returns what
/// to store when the counter or backup state moved.
pub fn finish_assertion(
    rp: &RelyingParty,
    credential: &[u8],
    assertion: &PublicKeyCredential,
    state: &PasskeyAuthentication,
) -> Result<Option<Updated>, ServiceError> {
    let result = rp.webauthn.finish_passkey_authentication(assertion, state).map_err(refused)?;
    updated(credential, &result)
}

fn updated(
    credential: &[u8],
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<Option<Updated>, ServiceError> {
    let mut passkey = load(credential)?;
    match passkey.update_credential(result) {
        Some(true) => Ok(Some(Updated { credential: stored(&passkey)?, synced: is_synced(passkey) })),
        _ => Ok(None),
    }
}

/// A challenge any passkey of this site may answer: how an installed app finds its phone.
pub fn start_discovery(
    rp: &RelyingParty,
) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), ServiceError> {
    rp.webauthn
        .start_discoverable_authentication()
        .map_err(|e| ServiceError::Internal(format!("cannot start a passkey sign-in: {e}")))
}

/// The device a discovered passkey names (its user handle), before it is checked.
pub fn discovered_device(rp: &RelyingParty, assertion: &PublicKeyCredential) -> Result<String, ServiceError> {
    let (handle, _) = rp.webauthn.identify_discoverable_authentication(assertion).map_err(refused)?;
    Ok(handle.simple().to_string())
}

/// Checks a discovered passkey's assertion against the named device's stored passkey.
pub fn finish_discovery(
    rp: &RelyingParty,
    credential: &[u8],
    assertion: &PublicKeyCredential,
    state: DiscoverableAuthentication,
) -> Result<Option<Updated>, ServiceError> {
    let result =
        rp.webauthn.finish_discoverable_authentication_v2(assertion, state, &load(credential)?).map_err(refused)?;
    updated(credential, &result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_public_urls_host() {
        let rp = RelyingParty::for_public_url("https://desk.example.com/").expect("rp");
        assert_eq!(rp.origin(), "https://desk.example.com");
        let local = RelyingParty::for_public_url("http://127.0.0.1:8080").expect("loopback");
        assert_eq!(local.origin(), "http://localhost:8080");
        assert!(matches!(RelyingParty::for_public_url("https://10.0.0.5"), Err(NoRelyingParty::IpLiteral(_))));
        assert!(matches!(RelyingParty::for_public_url("https://[2001:db8::1]"), Err(NoRelyingParty::IpLiteral(_))));
    }

    #[test]
    fn registration_asks_for_a_resident_verified_passkey_with_the_device_as_user_handle() {
        let rp = RelyingParty::for_public_url("https://desk.example.com").expect("rp");
        let id = "00112233445566778899aabbccddeeff";
        let (options, _) = start_registration(&rp, id, "alice", "Alice").expect("start");
        let json = serde_json::to_value(&options).expect("json");
        let sel = &json["publicKey"]["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "required");
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(json["publicKey"]["attestation"], "none");
        assert_eq!(json["publicKey"]["rp"]["id"], "desk.example.com");
        assert_eq!(user_handle(id).expect("uuid").simple().to_string(), id);
    }
}
