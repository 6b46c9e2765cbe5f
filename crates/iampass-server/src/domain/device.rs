//! What a device is, whatever kind: its kind, and why one stops working. A device is never deleted,
//! only ended with a reason, so its history stays.
//!
//! A user has at most one active device, by decision, not by accident: a login push goes to one
//! device, *phone lost* must leave nothing behind that can approve, and the console shows one phone
//! per employee. Binding a new device (of any kind) ends the previous one (`Replaced`). A backup
//! authenticator would lift this rule in the store's one-active index and here, nowhere else.

use super::session::EndedBy;

/// The kind of authenticator a device is. Each kind is one module under
/// `service/authenticators/`, which binds it and checks what it signs; the session state machine
/// does not care which kind answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    /// The reference phone (`iampass-device`): an Ed25519 key that signs every request.
    App,
    /// The web phone: a passkey (WebAuthn, user verification required) made in the phone's
    /// browser at the registration link; it answers a login with an assertion.
    Passkey,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::App => "app",
            DeviceKind::Passkey => "passkey",
        }
    }

    /// The kind as listings show it.
    pub fn wire(self) -> iampass_proto::wire::AuthenticatorKind {
        match self {
            DeviceKind::App => iampass_proto::wire::AuthenticatorKind::App,
            DeviceKind::Passkey => iampass_proto::wire::AuthenticatorKind::Passkey,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "app" => Some(DeviceKind::App),
            "passkey" => Some(DeviceKind::Passkey),
            _ => None,
        }
    }
}

/// Why a device stopped working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceEnd {
    /// Reported lost (the console's *Phone lost*, or the Management API's lost-device call).
    Lost,
    /// Another device was bound for the same user.
    Replaced,
    /// The device unregistered itself.
    Removed,
    /// Its user was deleted.
    UserDeleted,
}

impl DeviceEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceEnd::Lost => "lost",
            DeviceEnd::Replaced => "replaced",
            DeviceEnd::Removed => "removed",
            DeviceEnd::UserDeleted => "user_deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [DeviceEnd::Lost, DeviceEnd::Replaced, DeviceEnd::Removed, DeviceEnd::UserDeleted]
            .into_iter()
            .find(|e| e.as_str() == s)
    }

    /// How the device's sessions end with it.
    pub fn ends_sessions_as(self) -> EndedBy {
        match self {
            DeviceEnd::Lost => EndedBy::DeviceLost,
            DeviceEnd::Replaced => EndedBy::DeviceReplaced,
            DeviceEnd::Removed => EndedBy::DeviceRemoved,
            DeviceEnd::UserDeleted => EndedBy::UserDeleted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in [DeviceEnd::Lost, DeviceEnd::Replaced, DeviceEnd::Removed, DeviceEnd::UserDeleted] {
            assert_eq!(DeviceEnd::parse(e.as_str()), Some(e));
        }
        for k in [DeviceKind::App, DeviceKind::Passkey] {
            assert_eq!(DeviceKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(DeviceKind::parse("fax"), None);
        assert_eq!(DeviceEnd::parse("stolen"), None);
    }
}
