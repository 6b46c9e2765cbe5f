//! The IAMPASS protocol in one place, used by the server, the phone and the console alike so they
//! cannot drift: wire types, Authentication protocol 1 (HMAC), device request signing, and (feature
//! `client`) an async client for every route.

pub mod clock;
pub mod device_v1;
pub mod error;
pub mod hmac_v1;
#[cfg(feature = "manual")]
pub mod manual;

/// The version every binary reports: the release and the git commit it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("IAMPASS_GIT_COMMIT"), ")");
pub mod roles;
pub mod webhook;
pub mod wire;

#[cfg(feature = "client")]
pub mod client;

pub use error::AuthError;
