//! Runtime settings, built once in `main` from flags and environment and passed down; nothing
//! reads the environment after start-up.

use std::path::PathBuf;

use crate::clock::Millis;
use crate::domain::session::Policy;

/// Everything `serve` needs; see `iampass-server serve --help` for each setting's flag and
/// environment variable.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: std::net::SocketAddr,
    /// Base of every URL handed out; `None`: `http://{bound address}`.
    pub public_url: Option<String>,
    pub db: PathBuf,
    pub key_file: PathBuf,
    /// The sealing key itself (`IAMPASS_KEY`), used instead of the key file when set.
    pub key_hex: Option<Redacted>,
    pub request_timeout_secs: u64,
    pub session_duration_secs: u64,
    pub max_session_duration_secs: u64,
    pub link_lifetime_secs: u64,
    pub walkaway_grace_secs: u64,
    pub timestamp_window_secs: u64,
    pub trust_forwarded: bool,
    pub body_limit_bytes: usize,
    /// Seconds a client has to send a request's headers (and longest idle keep-alive).
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a whole request body.
    pub body_read_timeout_secs: u64,
    /// Largest request head (request line and headers), in bytes.
    pub max_header_bytes: usize,
    pub long_poll_max_secs: u64,
    pub event_retention_secs: u64,
    /// Requests per second each application may make (0: no limit), and the burst it may save up.
    pub rate_limit_per_sec: u32,
    pub rate_limit_burst: u32,
    /// Push-fatigue defence: at most this many unanswered or refused pushes per user within
    /// `push_cap_window_secs` (0: no cap).
    pub push_cap: u64,
    pub push_cap_window_secs: u64,
    /// SHA-256 of the operator token; `None` disables the operator endpoint.
    pub admin_token_sha256: Option<[u8; 32]>,
    /// Where every event is also POSTed, signed; `None`: no webhook.
    pub webhook: Option<WebhookConfig>,
}

/// The outgoing webhook's receiver and the secret its deliveries are signed with.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: url::Url,
    pub secret: Redacted,
}

impl Config {
    /// Defaults for a database path, as the CLI documents them.
    pub fn with_db(db: PathBuf) -> Self {
        let key_file = default_key_file(&db);
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            db,
            key_file,
            key_hex: None,
            request_timeout_secs: 60,
            session_duration_secs: 3600,
            max_session_duration_secs: 30 * 24 * 3600,
            link_lifetime_secs: 600,
            walkaway_grace_secs: 300,
            timestamp_window_secs: 300,
            trust_forwarded: false,
            body_limit_bytes: 1024 * 1024,
            header_read_timeout_secs: 10,
            body_read_timeout_secs: 30,
            max_header_bytes: 64 * 1024,
            long_poll_max_secs: 30,
            event_retention_secs: 7 * 24 * 3600,
            rate_limit_per_sec: 1000,
            rate_limit_burst: 2000,
            push_cap: 5,
            push_cap_window_secs: 600,
            admin_token_sha256: None,
            webhook: None,
        }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            request_timeout_ms: secs_to_ms(self.request_timeout_secs),
            walkaway_grace_ms: secs_to_ms(self.walkaway_grace_secs),
        }
    }
}

/// A secret value that never shows in `Debug` output (configuration is logged at start-up).
#[derive(Clone)]
pub struct Redacted(pub zeroize::Zeroizing<String>);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The key file lives beside the database unless told otherwise: `iampass.db` → `iampass.db.key`.
pub fn default_key_file(db: &std::path::Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".key");
    db.with_file_name(name)
}

pub fn secs_to_ms(secs: u64) -> Millis {
    i64::try_from(secs).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
}
