//! Command line: `serve`, and the operator's `app` commands, which work on the database directly
//! (no running server needed). A new secret is printed exactly once, to stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use iampass_proto::clock::{Clock as _, SystemClock, rfc3339};
use iampass_server::config::{Config, Redacted, WebhookConfig, default_key_file};
use iampass_server::service::{CreatedApp, apps};
use iampass_server::store::prelude::*;
use sha2::Digest as _;

#[derive(Debug, Parser)]
#[command(name = "iampass-server", version, about = "IAMPASS-compatible push authentication service")]
struct Cli {
    /// SQLite database file (created if missing).
    #[arg(long, env = "IAMPASS_DB", default_value = "iampass.db", global = true)]
    db: PathBuf,
    /// Key file that seals application and session secrets at rest (created, mode 0600, if
    /// missing). Default: the database path with `.key` appended. Back it up apart from the database.
    #[arg(long, env = "IAMPASS_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service.
    Serve(Box<ServeArgs>),
    /// Manage applications (the integrating apps and their credentials).
    #[command(subcommand)]
    App(AppCommand),
    /// Manage the key that seals secrets at rest.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Replace the key: a new key is added to the key file, every application and session secret is
    /// re-sealed with it in one transaction, then the old key is removed. Stop the server first (or
    /// restart it right after). Safe to re-run if interrupted.
    Rotate,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "IAMPASS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Base URL clients reach this server at, used in every URL it hands out (registration links,
    /// status and logout URLs) and accepted when checking signatures. Default: http://{listen}.
    #[arg(long, env = "IAMPASS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Seconds the phone has to answer a login before it times out.
    #[arg(long, env = "IAMPASS_REQUEST_TIMEOUT", default_value_t = 60)]
    request_timeout: u64,
    /// Seconds a session lasts when `duration_seconds` is not given.
    #[arg(long, env = "IAMPASS_SESSION_DURATION", default_value_t = 3600)]
    session_duration: u64,
    /// Longest `duration_seconds` accepted.
    #[arg(long, env = "IAMPASS_MAX_SESSION_DURATION", default_value_t = 2_592_000)]
    max_session_duration: u64,
    /// Seconds a registration link stays valid.
    #[arg(long, env = "IAMPASS_LINK_LIFETIME", default_value_t = 600)]
    link_lifetime: u64,
    /// Seconds a session may stay in `walkaway` before it is closed.
    #[arg(long, env = "IAMPASS_WALKAWAY_GRACE", default_value_t = 300)]
    walkaway_grace: u64,
    /// Accepted clock difference, either way, for signed requests (seconds).
    #[arg(long, env = "IAMPASS_TIMESTAMP_WINDOW", default_value_t = 300)]
    timestamp_window: u64,
    /// Accept `X-Forwarded-Host` as a signed host (only behind a proxy you run).
    #[arg(long, env = "IAMPASS_TRUST_FORWARDED")]
    trust_forwarded: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "IAMPASS_BODY_LIMIT", default_value_t = 1_048_576)]
    body_limit: usize,
    /// Seconds a client has to send a request's headers; also the longest a kept-alive
    /// connection may sit idle. Guards against clients that open connections and dawdle.
    #[arg(long, env = "IAMPASS_HEADER_READ_TIMEOUT", default_value_t = 10)]
    header_read_timeout: u64,
    /// Seconds a client has to send a whole request body (past it: 408).
    #[arg(long, env = "IAMPASS_BODY_READ_TIMEOUT", default_value_t = 30)]
    body_read_timeout: u64,
    /// Largest request line plus headers accepted, in bytes (past it: 431). At least 8192.
    #[arg(long, env = "IAMPASS_MAX_HEADER_BYTES", default_value_t = 65_536)]
    max_header_bytes: usize,
    /// Longest a phone's request poll may wait, in seconds.
    #[arg(long, env = "IAMPASS_LONG_POLL_MAX", default_value_t = 30)]
    long_poll_max: u64,
    /// Seconds the event log is kept for resuming streams.
    #[arg(long, env = "IAMPASS_EVENT_RETENTION", default_value_t = 604_800)]
    event_retention: u64,
    /// Requests per second each application may make (0: no limit); past it, 429 with Retry-After.
    #[arg(long, env = "IAMPASS_RATE_LIMIT", default_value_t = 1000)]
    rate_limit: u32,
    /// Requests an application may save up for a burst.
    #[arg(long, env = "IAMPASS_RATE_BURST", default_value_t = 2000)]
    rate_burst: u32,
    /// Push-fatigue cap: at most this many unanswered or refused pushes per user within
    /// --push-cap-window; past it, logins do not start (reason `too_many_pushes`). 0 turns it off.
    #[arg(long, env = "IAMPASS_PUSH_CAP", default_value_t = 5)]
    push_cap: u64,
    /// Seconds the push cap looks back over.
    #[arg(long, env = "IAMPASS_PUSH_CAP_WINDOW", default_value_t = 600)]
    push_cap_window: u64,
    /// File holding the operator token that guards /operator/ (absent: that endpoint is off).
    #[arg(long, env = "IAMPASS_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// Also POST every event (logins, answers, fraud reports, logouts, user changes) to this
    /// http(s) URL, signed with the secret in --webhook-secret-file (see docs/PROTOCOL.md).
    #[arg(long, env = "IAMPASS_WEBHOOK_URL", requires = "webhook_secret_file")]
    webhook_url: Option<url::Url>,
    /// File holding the webhook signing secret (at least 16 characters).
    #[arg(long, env = "IAMPASS_WEBHOOK_SECRET_FILE", requires = "webhook_url")]
    webhook_secret_file: Option<PathBuf>,
    /// Create an application named "demo" at start and print its credentials (for trying it out).
    #[arg(long)]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum AppCommand {
    /// Create an application; prints its id and secret (the secret is never shown again).
    Create {
        #[arg(long)]
        name: String,
        /// Require number matching: the login screen shows a code the user types on the phone
        /// (the official client cannot show it, so this is off by default).
        #[arg(long)]
        number_matching: bool,
        /// Print one JSON object instead of `key: value` lines.
        #[arg(long)]
        json: bool,
    },
    /// Change an application's settings.
    Update {
        application_id: String,
        /// Turn number matching on or off.
        #[arg(long, value_enum)]
        number_matching: OnOff,
    },
    /// List applications (never their secrets).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Issue a new secret; the old one stops working at once.
    RotateSecret {
        application_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an application with all its users, devices and sessions.
    Delete {
        application_id: String,
        /// Confirm the deletion.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OnOff {
    On,
    Off,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("IAMPASS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let key_file = cli.key_file.clone().unwrap_or_else(|| default_key_file(&cli.db));
    let mut config = Config::with_db(cli.db.clone());
    config.key_file = key_file;
    // Only from the environment, never a flag: a flag would show in the process list.
    config.key_hex =
        std::env::var("IAMPASS_KEY").ok().filter(|k| !k.is_empty()).map(|k| iampass_server::config::Redacted(k.into()));
    match cli.command {
        Command::Serve(args) => serve(config, *args).await,
        Command::App(cmd) => app(config, cmd).await,
        Command::Key(KeyCommand::Rotate) => rotate_key(config).await,
    }
}

async fn rotate_key(config: Config) -> anyhow::Result<()> {
    use iampass_server::service::{apps, login};
    use iampass_server::store::SealedSecret;
    anyhow::ensure!(
        config.key_hex.is_none(),
        "the key comes from IAMPASS_KEY: rotation works on a key file (--key-file)"
    );
    // Fail before touching anything if the current key does not open this database.
    let (store, current) = iampass_server::server::open(&config)?;
    if let Some((app, _)) = store.apps().await?.first() {
        current.open(&apps::secret_context(&app.id), &app.secret_sealed).map_err(|_| {
            anyhow::anyhow!(
                "the key file {} does not open this database's secrets; nothing was changed",
                config.key_file.display()
            )
        })?;
    }
    drop(current);
    let sealer = std::sync::Arc::new(iampass_server::crypto::add_key(&config.key_file)?);
    let new_id = sealer.current_key_id();
    let (apps_n, sessions_n) = store
        .reseal_secrets(move |kind, id, sealed| {
            let context = match kind {
                SealedSecret::Application => apps::secret_context(id),
                SealedSecret::Session => login::session_secret_context(id),
            };
            let secret = sealer.open(&context, sealed).map_err(|e| e.to_string())?;
            Ok(sealer.seal(&context, &secret))
        })
        .await?;
    iampass_server::crypto::keep_only_key(&config.key_file, new_id)?;
    println!(
        "re-sealed {apps_n} application and {sessions_n} session secrets with key {new_id}; the old key is removed"
    );
    Ok(())
}

/// A secret kept in a file (so it is not in the process list or environment), trimmed.
fn read_secret_file(path: &std::path::Path, what: &str) -> anyhow::Result<Redacted> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("cannot read the {what} file {}", path.display()))?,
    );
    let secret = text.trim();
    anyhow::ensure!(secret.len() >= 16, "the {what} in {} must be at least 16 characters", path.display());
    Ok(Redacted(zeroize::Zeroizing::new(secret.to_owned())))
}

fn read_admin_token(path: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    let token = read_secret_file(path, "admin token")?;
    Ok(sha2::Sha256::digest(token.0.as_bytes()).into())
}

fn webhook_config(
    url: Option<url::Url>,
    secret_file: Option<&std::path::Path>,
) -> anyhow::Result<Option<WebhookConfig>> {
    let (Some(url), Some(secret_file)) = (url, secret_file) else { return Ok(None) };
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https") && url.host().is_some(),
        "--webhook-url must be an absolute http(s) URL"
    );
    Ok(Some(WebhookConfig { url, secret: read_secret_file(secret_file, "webhook secret")? }))
}

async fn serve(mut config: Config, a: ServeArgs) -> anyhow::Result<()> {
    config.listen = a.listen;
    config.public_url = a.public_url;
    config.request_timeout_secs = a.request_timeout;
    config.session_duration_secs = a.session_duration;
    config.max_session_duration_secs = a.max_session_duration;
    config.link_lifetime_secs = a.link_lifetime;
    config.walkaway_grace_secs = a.walkaway_grace;
    config.timestamp_window_secs = a.timestamp_window;
    config.trust_forwarded = a.trust_forwarded;
    config.body_limit_bytes = a.body_limit;
    config.long_poll_max_secs = a.long_poll_max;
    config.header_read_timeout_secs = a.header_read_timeout;
    config.body_read_timeout_secs = a.body_read_timeout;
    config.max_header_bytes = a.max_header_bytes;
    config.event_retention_secs = a.event_retention;
    config.rate_limit_per_sec = a.rate_limit;
    config.rate_limit_burst = a.rate_burst;
    config.push_cap = a.push_cap;
    config.push_cap_window_secs = a.push_cap_window;
    config.admin_token_sha256 = a.admin_token_file.as_deref().map(read_admin_token).transpose()?;
    config.webhook = webhook_config(a.webhook_url, a.webhook_secret_file.as_deref())?;
    anyhow::ensure!(config.request_timeout_secs > 0, "--request-timeout must be at least 1 second");
    anyhow::ensure!(
        config.header_read_timeout_secs > 0 && config.body_read_timeout_secs > 0,
        "--header-read-timeout and --body-read-timeout must be at least 1 second"
    );
    anyhow::ensure!(config.max_header_bytes >= 8192, "--max-header-bytes must be at least 8192");
    anyhow::ensure!(
        (1..=config.max_session_duration_secs).contains(&config.session_duration_secs),
        "--session-duration must be from 1 to --max-session-duration"
    );
    let mut running = iampass_server::start(config, Arc::new(SystemClock)).await?;
    tracing::info!(address = %running.addr, public_url = %running.public_url(), "iampass-server listening");
    // One line on stdout once ready, so scripts that listen on port 0 learn the address.
    println!("iampass-server listening on {}", running.public_url());
    if a.demo {
        let app = running.state.create_app("demo").await.map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("IAMPASS demo application (the secret is shown only now):");
        print_created(&app, false);
        println!("IAMPASS_SERVER={}", running.public_url());
    }
    let shutdown = running.shutdown_handle();
    tokio::select! {
        r = running.wait() => r.context("the server stopped")?,
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            let _ = shutdown.send(true);
            running.wait().await.context("graceful shutdown")?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn print_created(app: &CreatedApp, json: bool) {
    if json {
        let v = serde_json::json!({
            "application_id": app.id,
            "application_secret": app.secret.as_str(),
            "name": app.name,
        });
        println!("{v}");
    } else {
        println!("application_id: {}", app.id);
        println!("application_secret: {}", app.secret.as_str());
        println!("name: {}", app.name);
    }
}

async fn app(config: Config, cmd: AppCommand) -> anyhow::Result<()> {
    let (store, sealer) = iampass_server::server::open(&config)?;
    let now = SystemClock.now_ms();
    let api = |e: iampass_server::error::ServiceError| anyhow::anyhow!("{e}");
    match cmd {
        AppCommand::Create { name, number_matching, json } => {
            let app = apps::create(&store, &sealer, &name, number_matching, now).await.map_err(api)?;
            print_created(&app, json);
        }
        AppCommand::Update { application_id, number_matching } => {
            let on = matches!(number_matching, OnOff::On);
            anyhow::ensure!(
                store.set_number_matching(&application_id, on).await?,
                "no application has the id {application_id}"
            );
            println!("number matching is {} for {application_id}", if on { "on" } else { "off" });
        }
        AppCommand::RotateSecret { application_id, json } => {
            let app = apps::rotate_secret(&store, &sealer, &application_id, now).await.map_err(api)?;
            print_created(&app, json);
        }
        AppCommand::List { json } => {
            let apps = store.apps().await?;
            if json {
                let list: Vec<_> = apps
                    .iter()
                    .map(|(a, users)| {
                        serde_json::json!({"application_id": a.id, "name": a.name, "created_at": rfc3339(a.created_at),
                                           "secret_rotated_at": rfc3339(a.secret_rotated_at), "users": users,
                                           "number_matching": a.number_matching})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(list));
            } else if apps.is_empty() {
                println!("no applications; create one with `iampass-server app create --name NAME`");
            } else {
                for (a, users) in apps {
                    let matching = if a.number_matching { "  number matching" } else { "" };
                    println!("{}  {:<24}  {} users  created {}{matching}", a.id, a.name, users, rfc3339(a.created_at));
                }
            }
        }
        AppCommand::Delete { application_id, yes } => {
            anyhow::ensure!(
                yes,
                "deleting an application removes all its users, devices and sessions; add --yes to confirm"
            );
            anyhow::ensure!(store.delete_app(&application_id).await?, "no application has the id {application_id}");
            println!("deleted application {application_id}");
        }
    }
    Ok(())
}
