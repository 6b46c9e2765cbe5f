//! Pure rules of the service: what a valid user id is, how a login session moves between states
//! and when. No axum, no SQL, no clock reads: time comes in as an argument.

pub mod actor;
pub mod device;
pub mod link;
pub mod recovery;
pub mod session;
pub mod staff;
pub mod user_id;

/// A rule was broken by the input; the message is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Invalid {
    pub code: &'static str,
    pub reason: String,
}

impl Invalid {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Self {
        Self { code, reason: reason.into() }
    }
}
