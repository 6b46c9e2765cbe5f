//! Errors of the signing protocols, shared by the server (which maps them to 401s) and the clients.
//! Each has a stable `code()` that goes on the wire; the text never carries a secret, nonce or signature.

use thiserror::Error;

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    #[error("the request carries no Authentication header")]
    MissingHeader,
    #[error("the Authentication header is malformed: {0}")]
    MalformedHeader(&'static str),
    #[error("the request carries no authentication timestamp header")]
    MissingTimestamp,
    #[error("the authentication timestamp is not a whole number of seconds")]
    MalformedTimestamp,
    #[error("authentication protocol version {0:?} is not supported (only 1)")]
    UnsupportedVersion(String),
    #[error("the signing client is not known")]
    UnknownClient,
    #[error("the client in the signature does not match the one in the path")]
    ClientMismatch,
    #[error("the signature does not match the request")]
    BadSignature,
    #[error("the authentication timestamp is outside the accepted window")]
    StaleTimestamp,
    #[error("the nonce has already been used")]
    ReplayedNonce,
    #[error("too many requests are in flight to remember their nonces; retry shortly")]
    ReplayCacheFull,
}

impl AuthError {
    /// Stable machine-readable code, for clients to branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingHeader => "missing_authentication",
            AuthError::MalformedHeader(_) => "malformed_authentication",
            AuthError::MissingTimestamp => "missing_timestamp",
            AuthError::MalformedTimestamp => "malformed_timestamp",
            AuthError::UnsupportedVersion(_) => "unsupported_version",
            AuthError::UnknownClient => "unknown_client",
            AuthError::ClientMismatch => "client_mismatch",
            AuthError::BadSignature => "bad_signature",
            AuthError::StaleTimestamp => "stale_timestamp",
            AuthError::ReplayedNonce => "replayed_nonce",
            AuthError::ReplayCacheFull => "replay_cache_full",
        }
    }
}
