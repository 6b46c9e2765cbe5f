//! Errors people can act on: each says what happened and what to do next. The UI gets a
//! [`UiError`] (code, message, action); causes are logged, never shown, and never carry a secret.

use iampass_proto::client::ClientError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("Cannot reach the IAMPASS server at {url}.")]
    ServerUnreachable { url: String },
    #[error("The server refused this application's credentials.")]
    WrongCredentials,
    #[error("No console is connected to a server yet.")]
    NotConnected,
    #[error("This registration link has expired.")]
    LinkExpired,
    #[error("{0}")]
    Invalid(String),
    #[error("{0} was not found.")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("The system keyring is locked or unavailable: {0}")]
    Keyring(String),
    #[error("The server refused the request: {reason}")]
    Refused { code: String, reason: String },
    #[error("The console's data could not be saved or read: {0}")]
    Storage(String),
    #[error("The local server could not start: {0}")]
    LocalServer(String),
    #[error("Wrong PIN.")]
    WrongPin,
    #[error("Too many wrong PINs: the kiosk takes no PIN for {0} s.")]
    PinLocked(u64),
    /// The SMTP relay refused the message or could not be reached.
    #[error("The e-mail was not sent: {0}")]
    Email(String),
    /// A registration link was sent to this person and is still good.
    #[error("A link was already sent to {0} and still works.")]
    LinkOut(String),
    /// The staff sign-in ended (signed out, unused too long, its day over, or revoked).
    #[error("You are signed out: {0}")]
    SignedOut(String),
    /// Sealed bytes from the server that this desk must not believe (altered, moved, replayed).
    #[error("The server sent team book data this desk refused: {0}.")]
    Tampered(String),
    /// The team book moved to a key generation this desk does not hold (it was removed, or an
    /// admin's desk has not wrapped the new key for it yet).
    #[error("The team book is now sealed under key generation {0}, which this desk does not hold.")]
    StaleKey(u32),
    /// This desk has not been given the team book's key.
    #[error("This desk does not have the team book yet: an admin must approve it (its fingerprint is {0}).")]
    NoBookKey(String),
    /// Someone else changed the entry since it was opened for editing.
    #[error("{0} changed this employee while you were editing.")]
    EditConflict(String),
    /// The server says the signed-in role does not allow this (the reason names the role needed).
    #[error("Not allowed: {0}.")]
    RoleTooLow(String),
    /// The employee has or had a phone: a new one needs a recovery with evidence, or their
    /// recoveries are on hold (the server's words).
    #[error("{reason}")]
    Recovery { code: String, reason: String },
}

/// What the UI shows: a stable `code` to branch on, a sentence, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct UiError {
    pub code: String,
    pub message: String,
    pub action: String,
}

impl DeskError {
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::ServerUnreachable { .. } => "server_unreachable",
            DeskError::WrongCredentials => "wrong_credentials",
            DeskError::NotConnected => "not_connected",
            DeskError::LinkExpired => "link_expired",
            DeskError::Invalid(_) => "invalid",
            DeskError::NotFound(_) => "not_found",
            DeskError::Conflict(_) => "conflict",
            DeskError::Keyring(_) => "keyring",
            DeskError::Refused { .. } => "refused",
            DeskError::Storage(_) => "storage",
            DeskError::LocalServer(_) => "local_server",
            DeskError::WrongPin => "wrong_pin",
            DeskError::PinLocked(_) => "pin_locked",
            DeskError::LinkOut(_) => "link_out",
            DeskError::Email(_) => "email",
            DeskError::SignedOut(_) => "signed_out",
            DeskError::RoleTooLow(_) => "forbidden",
            DeskError::Recovery { code, .. } if code == "recovery_on_hold" => "recovery_on_hold",
            DeskError::Recovery { .. } => "recovery_needs_evidence",
            DeskError::Tampered(_) => "tampered",
            DeskError::StaleKey(_) => "stale_key",
            DeskError::NoBookKey(_) => "no_book_key",
            DeskError::EditConflict(_) => "edit_conflict",
        }
    }

    fn action(&self) -> &'static str {
        match self {
            DeskError::ServerUnreachable { .. } => {
                "Check that the server is running and the address is right, then try again."
            }
            DeskError::WrongCredentials => {
                "Check the application id and secret in Settings, or add the application again."
            }
            DeskError::NotConnected => "Open Settings and connect to a server, or start a local one.",
            DeskError::LinkExpired => "Issue a new link: the employee scans the new QR code.",
            DeskError::Invalid(_) => "Correct the highlighted value and try again.",
            DeskError::NotFound(_) => "Refresh the list; someone may have removed it.",
            DeskError::Conflict(_) => "Edit the existing record instead.",
            DeskError::Keyring(_) => "Unlock the keyring (log out and in again), then retry.",
            DeskError::Refused { .. } => "Try again; if it keeps failing, check the server's log.",
            DeskError::Storage(_) => "Check free disk space and that the data folder is writable.",
            DeskError::LocalServer(_) => "Another program may hold its files; restart the console.",
            DeskError::WrongPin => "Ask the staff member who set the kiosk PIN.",
            DeskError::PinLocked(_) => "Wait, then let the staff member who knows the PIN enter it.",
            DeskError::LinkOut(_) => "Let them use that link, or replace it with a new code (the old link stops).",
            DeskError::Email(_) => "Check the relay's settings (host, port, security, user, password) in Settings.",
            DeskError::SignedOut(_) => "Sign in again: enter your name and approve on your phone.",
            DeskError::RoleTooLow(_) => "Ask an admin, or a colleague whose role allows it.",
            DeskError::Recovery { code, .. } if code == "recovery_on_hold" => {
                "Ask an admin to look at the hold on the employee's page; only they can clear it."
            }
            DeskError::Recovery { .. } => {
                "Use New phone: verify the employee on their current phone, or ask a colleague to approve on theirs."
            }
            DeskError::Tampered(_) => {
                "Nothing was changed on this desk. Tell your administrator: the server or the network may be tampering with the book."
            }
            DeskError::StaleKey(_) => "Ask an admin to approve this desk again under Settings → Desks.",
            DeskError::NoBookKey(_) => {
                "Ask an admin to open Settings → Desks on their desk, compare the fingerprint with this one and approve."
            }
            DeskError::EditConflict(_) => "Compare both versions and choose which to keep.",
        }
    }

    pub fn to_ui(&self) -> UiError {
        UiError { code: self.code().to_owned(), message: self.to_string(), action: self.action().to_owned() }
    }

    /// Maps a client error, naming the server for "unreachable".
    pub fn from_client(e: ClientError, url: &str) -> Self {
        match e {
            ClientError::Transport(t) if t.is_connect() || t.is_timeout() => {
                DeskError::ServerUnreachable { url: url.to_owned() }
            }
            ClientError::Transport(t) => DeskError::ServerUnreachable { url: format!("{url} ({t})") },
            ClientError::Api { status: 401, code, reason }
                if matches!(code.as_str(), "signed_out" | "idle_timeout" | "invalid_token") =>
            {
                DeskError::SignedOut(reason)
            }
            ClientError::Api { status: 401, .. } => DeskError::WrongCredentials,
            ClientError::Api { status: 403, code, reason } if code == "forbidden" => DeskError::RoleTooLow(reason),
            ClientError::Api { code, reason, .. }
                if code == "recovery_needs_evidence" || code == "recovery_on_hold" =>
            {
                DeskError::Recovery { code, reason }
            }
            ClientError::Api { code, .. } if code == "unknown_application" => DeskError::WrongCredentials,
            ClientError::Api { code, .. } if code == "link_expired" => DeskError::LinkExpired,
            ClientError::Api { code, reason, .. } => DeskError::Refused { code, reason },
            ClientError::Decode(d) => DeskError::Refused { code: "bad_answer".into(), reason: d },
            ClientError::InvalidUrl(u) => DeskError::Invalid(format!("The server address is not a valid URL: {u}")),
            e @ ClientError::CaCert { .. } => DeskError::Invalid(format!("{e}.")),
        }
    }
}

impl From<rusqlite::Error> for DeskError {
    fn from(e: rusqlite::Error) -> Self {
        tracing::error!(error = %e, "book storage error");
        DeskError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for DeskError {
    fn from(e: std::io::Error) -> Self {
        DeskError::Storage(e.to_string())
    }
}

pub type DeskResult<T> = Result<T, DeskError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_says_what_to_do() {
        let all = [
            DeskError::ServerUnreachable { url: "http://x".into() },
            DeskError::WrongCredentials,
            DeskError::NotConnected,
            DeskError::LinkExpired,
            DeskError::Invalid("bad".into()),
            DeskError::NotFound("Employee"),
            DeskError::Conflict("dup".into()),
            DeskError::Keyring("locked".into()),
            DeskError::Refused { code: "c".into(), reason: "r".into() },
            DeskError::Storage("disk".into()),
            DeskError::LocalServer("busy".into()),
            DeskError::WrongPin,
            DeskError::PinLocked(60),
            DeskError::LinkOut("Ann".into()),
            DeskError::Email("relay refused".into()),
            DeskError::SignedOut("unused too long".into()),
            DeskError::RoleTooLow("it needs the helpdesk role".into()),
        ];
        for e in all {
            let ui = e.to_ui();
            assert!(!ui.message.is_empty() && ui.action.ends_with('.') && !ui.code.is_empty(), "{ui:?}");
        }
    }

    #[test]
    fn client_errors_map_to_actionable_ones() {
        let api = |status, code: &str| ClientError::Api { status, code: code.into(), reason: "r".into() };
        assert!(matches!(DeskError::from_client(api(401, "bad_signature"), "u"), DeskError::WrongCredentials));
        assert!(matches!(DeskError::from_client(api(404, "unknown_application"), "u"), DeskError::WrongCredentials));
        assert!(matches!(DeskError::from_client(api(410, "link_expired"), "u"), DeskError::LinkExpired));
        assert!(matches!(DeskError::from_client(api(409, "x"), "u"), DeskError::Refused { .. }));
        assert!(matches!(DeskError::from_client(api(401, "idle_timeout"), "u"), DeskError::SignedOut(_)));
        assert!(matches!(DeskError::from_client(api(403, "forbidden"), "u"), DeskError::RoleTooLow(_)));
    }
}
