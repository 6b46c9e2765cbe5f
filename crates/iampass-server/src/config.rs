//! Runtime settings, built once in `main` from flags and environment and passed down; nothing
//! reads the environment after start-up.

use std::path::PathBuf;

use crate::clock::Millis;
use crate::domain::session::Policy;

/// Everything `serve` needs, and the one place each setting, its flag, its environment variable
/// and its default are written: clap reads it as `serve`'s flags, [`Config::with_db`] takes its
/// defaults, and a test checks the README's table against it. The database and key file are the
/// global `--db`/`--key-file` of every command; the rest that is skipped here is resolved from
/// files at start (`resolve_files`).
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "IAMPASS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Base URL clients reach this server at, used in every URL it hands out (registration links,
    /// status and logout URLs) and accepted when checking signatures. Default: http://{listen}.
    #[arg(long, env = "IAMPASS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM, leaf first); with --tls-key. Without both,
    /// plain HTTP (behind a TLS proxy, give --public-url https://...). Default public URL with
    /// TLS: https://{listen}.
    #[arg(long, env = "IAMPASS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "IAMPASS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    #[arg(skip = crate::store::Location::Sqlite(PathBuf::new()))]
    pub db: crate::store::Location,
    #[arg(skip)]
    pub key_file: PathBuf,
    /// The sealing key itself (`IAMPASS_KEY`, never a flag: a flag shows in the process list),
    /// used instead of the key file when set.
    #[arg(skip)]
    pub key_hex: Option<Redacted>,
    /// Seconds the phone has to answer a login before it times out.
    #[arg(long = "request-timeout", env = "IAMPASS_REQUEST_TIMEOUT", default_value_t = 60)]
    pub request_timeout_secs: u64,
    /// Seconds a session lasts when `duration_seconds` is not given.
    #[arg(long = "session-duration", env = "IAMPASS_SESSION_DURATION", default_value_t = 3600)]
    pub session_duration_secs: u64,
    /// Longest `duration_seconds` accepted (seconds).
    #[arg(long = "max-session-duration", env = "IAMPASS_MAX_SESSION_DURATION", default_value_t = 30 * 24 * 3600)]
    pub max_session_duration_secs: u64,
    /// Seconds a registration link stays valid.
    #[arg(long = "link-lifetime", env = "IAMPASS_LINK_LIFETIME", default_value_t = 600)]
    pub link_lifetime_secs: u64,
    /// Seconds a session may stay in `walkaway` before it is closed.
    #[arg(long = "walkaway-grace", env = "IAMPASS_WALKAWAY_GRACE", default_value_t = 300)]
    pub walkaway_grace_secs: u64,
    /// Accepted clock difference, either way, for signed requests (seconds).
    #[arg(long = "timestamp-window", env = "IAMPASS_TIMESTAMP_WINDOW", default_value_t = 300)]
    pub timestamp_window_secs: u64,
    /// Accept `X-Forwarded-Host` as a signed host (only behind a proxy you run).
    #[arg(long, env = "IAMPASS_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long = "body-limit", env = "IAMPASS_BODY_LIMIT", default_value_t = 1024 * 1024)]
    pub body_limit_bytes: usize,
    /// Seconds a client has to send a request's headers; also the longest a kept-alive
    /// connection may sit idle. Guards against clients that open connections and dawdle.
    #[arg(long = "header-read-timeout", env = "IAMPASS_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds a client has to send a whole request body (past it: 408).
    #[arg(long = "body-read-timeout", env = "IAMPASS_BODY_READ_TIMEOUT", default_value_t = 30)]
    pub body_read_timeout_secs: u64,
    /// Largest request line plus headers accepted, in bytes (past it: 431). At least 8192.
    #[arg(long = "max-header-bytes", env = "IAMPASS_MAX_HEADER_BYTES", default_value_t = 64 * 1024)]
    pub max_header_bytes: usize,
    /// Longest a phone's request poll may wait, in seconds.
    #[arg(long = "long-poll-max", env = "IAMPASS_LONG_POLL_MAX", default_value_t = 30)]
    pub long_poll_max_secs: u64,
    /// Seconds the event log is kept for resuming streams.
    #[arg(long = "event-retention", env = "IAMPASS_EVENT_RETENTION", default_value_t = 7 * 24 * 3600)]
    pub event_retention_secs: u64,
    /// How log lines are written to standard error: `text` for people (coloured only on a
    /// terminal), `json` for log shippers (one object a line). What is logged is set by
    /// `IAMPASS_LOG` (default `info`; `info,iampass::access=off` keeps the access log out).
    #[arg(long = "log-format", env = "IAMPASS_LOG_FORMAT", value_enum, default_value_t = crate::logging::LogFormat::Text)]
    pub log_format: crate::logging::LogFormat,
    /// Requests per second each application may make (0: no limit); past it, 429 with Retry-After.
    #[arg(long = "rate-limit", env = "IAMPASS_RATE_LIMIT", default_value_t = 1000)]
    pub rate_limit_per_sec: u32,
    /// Requests an application may save up for a burst.
    #[arg(long = "rate-burst", env = "IAMPASS_RATE_BURST", default_value_t = 2000)]
    pub rate_limit_burst: u32,
    /// Staff sign-ins each staff member, named by name or by id, may start per minute (a burst of
    /// 5; 0: no limit): guessing or flooding one staff member's phone is slow.
    #[arg(long = "sign-in-rate", env = "IAMPASS_SIGN_IN_RATE", default_value_t = 6)]
    pub sign_in_per_minute: u32,
    /// Staff sign-ins each application may start per minute, over all names (a burst of 30; 0: no
    /// limit).
    #[arg(long = "sign-in-app-rate", env = "IAMPASS_SIGN_IN_APP_RATE", default_value_t = 60)]
    pub sign_in_app_per_minute: u32,
    /// Push-fatigue cap: at most this many unanswered or refused pushes per user within
    /// --push-cap-window; past it, logins do not start (reason `too_many_pushes`). 0 turns it off.
    #[arg(long = "push-cap", env = "IAMPASS_PUSH_CAP", default_value_t = 5)]
    pub push_cap: u64,
    /// Seconds the push cap looks back over.
    #[arg(long = "push-cap-window", env = "IAMPASS_PUSH_CAP_WINDOW", default_value_t = 600)]
    pub push_cap_window_secs: u64,
    /// Recoveries one staff member may ask for in an hour before every console is alerted (the
    /// requests still go ahead; a help-desk account doing many is either busy or taken over). 0:
    /// no alert.
    #[arg(long = "recovery-alert", env = "IAMPASS_RECOVERY_ALERT", default_value_t = 3)]
    pub recovery_alert_per_hour: u32,
    /// Web Push: hosts beyond the browsers' own push services (Google, Mozilla, Apple, Microsoft)
    /// that a web phone's subscription may name, comma-separated; these may also use plain
    /// HTTP. For a private push service or tests; every other endpoint is refused.
    #[arg(long = "push-extra-hosts", env = "IAMPASS_PUSH_EXTRA_HOSTS", value_delimiter = ',')]
    pub push_extra_hosts: Vec<String>,
    /// Web Push: the contact a push service may reach the operator at (VAPID `sub`, a mailto: or
    /// https: URI). Default: the public URL.
    #[arg(long = "push-contact", env = "IAMPASS_PUSH_CONTACT")]
    pub push_contact: Option<String>,
    /// File holding the operator token that guards /operator/ (absent: that endpoint is off).
    #[arg(long, env = "IAMPASS_ADMIN_TOKEN_FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// SHA-256 of the operator token, read from `admin_token_file`.
    #[arg(skip)]
    pub admin_token_sha256: Option<[u8; 32]>,
    /// Also POST every event (logins, answers, fraud reports, logouts, user changes) to this
    /// http(s) URL, signed with the secret in --webhook-secret-file (see docs/PROTOCOL.md).
    #[arg(long, env = "IAMPASS_WEBHOOK_URL", requires = "webhook_secret_file")]
    pub webhook_url: Option<url::Url>,
    /// File holding the webhook signing secret (at least 16 characters).
    #[arg(long, env = "IAMPASS_WEBHOOK_SECRET_FILE", requires = "webhook_url")]
    pub webhook_secret_file: Option<PathBuf>,
    /// The webhook's receiver and secret, read from the two settings above.
    #[arg(skip)]
    pub webhook: Option<WebhookConfig>,
}

/// The outgoing webhook's receiver and the secret its deliveries are signed with.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: url::Url,
    pub secret: Redacted,
}

/// A setting that cannot be used, named by its flag.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read the {what} file {path}: {source}")]
    Unreadable { what: &'static str, path: PathBuf, source: std::io::Error },
}

/// Only to read [`Config`]'s defaults.
#[derive(Debug, clap::Parser)]
struct Defaults {
    #[command(flatten)]
    config: Config,
}

impl Config {
    /// Every default, for a database path (and its key file beside it); the environment is not
    /// read, so an embedded or test server is the same wherever it runs.
    pub fn with_db(db: impl Into<crate::store::Location>) -> Self {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let command = Defaults::command().mut_args(|a| a.env(None));
        // The input is constant (no arguments); a failure here is a mistake in the attributes
        // above, which every test that starts a server would show at once.
        #[allow(clippy::expect_used)]
        let mut config = command
            .try_get_matches_from(["iampass-server"])
            .and_then(|m| Defaults::from_arg_matches(&m))
            .map(|d| d.config)
            .expect("Config's defaults parse");
        let db = db.into();
        config.key_file = default_key_file(&db);
        config.db = db;
        config
    }

    pub fn policy(&self) -> Policy {
        Policy {
            request_timeout_ms: secs_to_ms(self.request_timeout_secs),
            walkaway_grace_ms: secs_to_ms(self.walkaway_grace_secs),
        }
    }

    /// Refuses combinations that cannot work, naming the flag.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.request_timeout_secs == 0 {
            return fail("--request-timeout must be at least 1 second");
        }
        if self.header_read_timeout_secs == 0 || self.body_read_timeout_secs == 0 {
            return fail("--header-read-timeout and --body-read-timeout must be at least 1 second");
        }
        if self.max_header_bytes < 8192 {
            return fail("--max-header-bytes must be at least 8192");
        }
        if !(1..=self.max_session_duration_secs).contains(&self.session_duration_secs) {
            return fail("--session-duration must be from 1 to --max-session-duration");
        }
        if let Some(url) = &self.webhook_url
            && !(matches!(url.scheme(), "http" | "https") && url.host().is_some())
        {
            return fail("--webhook-url must be an absolute http(s) URL");
        }
        Ok(())
    }

    /// Reads the secrets that settings name by file: the operator token (kept as its hash) and the
    /// webhook secret.
    pub fn resolve_files(&mut self) -> Result<(), ConfigError> {
        use sha2::Digest as _;
        if let Some(path) = &self.admin_token_file {
            let token = read_secret_file(path, "admin token")?;
            self.admin_token_sha256 = Some(sha2::Sha256::digest(token.0.as_bytes()).into());
        }
        if let (Some(url), Some(path)) = (&self.webhook_url, &self.webhook_secret_file) {
            self.webhook = Some(WebhookConfig { url: url.clone(), secret: read_secret_file(path, "webhook secret")? });
        }
        Ok(())
    }
}

/// A secret kept in a file (so it is not in the process list or environment), trimmed.
fn read_secret_file(path: &std::path::Path, what: &'static str) -> Result<Redacted, ConfigError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
        what,
        path: path.into(),
        source,
    })?);
    let secret = text.trim();
    if secret.len() < 16 {
        return Err(ConfigError::Invalid(format!("the {what} in {} must be at least 16 characters", path.display())));
    }
    Ok(Redacted(zeroize::Zeroizing::new(secret.to_owned())))
}

/// A secret value that never shows in `Debug` output (configuration is logged at start-up).
#[derive(Clone)]
pub struct Redacted(pub zeroize::Zeroizing<String>);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The key file lives beside a SQLite database unless told otherwise: `iampass.db` →
/// `iampass.db.key`. With PostgreSQL there is nothing to be beside: `iampass.key` in the working
/// folder, which a node never creates (see [`crate::crypto::CryptoError::Missing`]).
pub fn default_key_file(db: &crate::store::Location) -> PathBuf {
    match db.sqlite_path() {
        Some(db) => {
            let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
            name.push(".key");
            db.with_file_name(name)
        }
        None => PathBuf::from("iampass.key"),
    }
}

pub fn secs_to_ms(secs: u64) -> Millis {
    i64::try_from(secs).unwrap_or(i64::MAX / 1000).saturating_mul(1000)
}
