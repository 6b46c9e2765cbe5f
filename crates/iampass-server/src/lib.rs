//! iampass-server: a push-authentication service compatible with IAMPASS (Management and
//! Authentication APIs, protocol 1), plus the reference phone's protocol and the console's
//! extensions. `main.rs` is only the CLI; everything here is usable in-process (the tests and the
//! console's embedded server start it this way).

pub mod config;
pub mod crypto;
pub mod domain;
pub mod embedded;
pub mod error;
pub mod http;
pub mod hub;
pub mod logging;
pub mod ratelimit;
pub mod replay;
pub mod serve;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
pub mod tls;

pub use config::Config;
/// Time as every crate sees it (the trait, the clocks, `Millis`, RFC 3339): one definition, in the
/// protocol crate.
pub use iampass_proto::clock;
pub use server::{Running, StartError, start};
