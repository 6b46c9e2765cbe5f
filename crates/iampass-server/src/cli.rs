//! Command line: `serve`, and the operator's `app` commands, which work on the database directly
//! (no running server needed). A new secret is printed exactly once, to stdout.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use iampass_proto::clock::{Clock as _, SystemClock, rfc3339};
use iampass_server::config::{Config, Redacted, default_key_file};
use iampass_server::service::{CreatedApp, apps};
use iampass_server::store::prelude::*;

#[derive(Debug, Parser)]
#[command(name = "iampass-server", version = iampass_proto::VERSION, about = "IAMPASS-compatible push authentication service")]
struct Cli {
    /// The database: a SQLite file (created if missing; `sqlite:PATH` also works) or a PostgreSQL
    /// URL, `postgresql://USER:PASSWORD@HOST:PORT/DB`, which several nodes may share (`?sslmode=require`:
    /// verified TLS, `&sslrootcert=FILE` for a private CA).
    #[arg(long, env = "IAMPASS_DB", default_value = "iampass.db", global = true)]
    db: iampass_server::store::Location,
    /// Key file that seals application and session secrets at rest. With SQLite it is created
    /// (mode 0600) if missing, default the database path with `.key` appended; with PostgreSQL it
    /// must exist (`key init`), the same on every node, default `iampass.key`. Back it up apart
    /// from the database.
    #[arg(long, env = "IAMPASS_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
    /// Configuration file: every setting under its flag's name (a flag, then its environment
    /// variable, then the file, then the default). Default: /etc/iampass/server.toml when it exists.
    #[arg(long, env = "IAMPASS_CONFIG", global = true)]
    config: Option<PathBuf>,
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
    /// Manage help-desk staff: who may sign in to the console, and with which role. Changes take
    /// effect on a running server at once.
    Staff(StaffArgs),
    /// Bring the database's schema up to date and say where it stands, without serving (`serve`
    /// does this at start too). Refuses a database migrated by a newer release.
    Migrate,
    /// Check the configuration file: every unknown setting and bad value, with its line.
    CheckConfig,
    /// Print a configuration file with every setting, commented out at its default.
    ConfigTemplate,
    /// Write the man pages and shell completions into a folder (for packaging).
    #[command(hide = true)]
    Manual { out: PathBuf },
}

#[derive(Debug, Args)]
struct StaffArgs {
    /// The application the staff member works in (required).
    #[arg(long, env = "IAMPASS_APP", global = true)]
    app: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: StaffCommand,
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Add a staff member; prints the registration link for their phone.
    Add {
        #[arg(long)]
        name: String,
        /// kiosk (enrollment only), helpdesk (sessions, logout, verification, lost phones),
        /// auditor (read only), admin (everything).
        #[arg(long)]
        role: String,
        /// The address phones reach the server at (the server's --public-url).
        #[arg(long, env = "IAMPASS_PUBLIC_URL")]
        public_url: String,
    },
    /// List staff members (never their tokens).
    List,
    /// Change a staff member's role (STAFF is the id or the name); their sign-ins end at once.
    Role { staff: String, role: String },
    /// A new registration link for a staff member's phone (a new or lost phone).
    Link {
        staff: String,
        #[arg(long, env = "IAMPASS_PUBLIC_URL")]
        public_url: String,
        /// The current phone was lost: it stops working at once.
        #[arg(long)]
        lost: bool,
    },
    /// Remove a staff member: their sign-ins end and their phone stops working at once.
    Remove { staff: String },
    /// How long console sign-ins last, in seconds (absolute, and without a request).
    Lifetimes {
        #[arg(long)]
        token_secs: u64,
        #[arg(long)]
        idle_secs: u64,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create the key file with a new random key if it is missing (the server package runs this on
    /// install); an existing key file is checked and left as it is. Never prints the key.
    Init,
    /// Replace the key: a new key is added to the key file, every application and session secret is
    /// re-sealed with it in one transaction, then the old key is removed. Stop the server first (or
    /// restart it right after). Safe to re-run if interrupted.
    Rotate,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    config: Config,
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
    /// Issue a new secret; the old one stops working at once (on a running server or node, within
    /// half a second).
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

/// The command line, with the configuration file's settings as its defaults.
fn parse() -> Result<Cli, ExitCode> {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let path = crate::config_file::locate(&args);
    let checking = args.iter().skip(1).any(|a| a == "check-config");
    if checking {
        let Some(path) = path else {
            eprintln!(
                "error: no configuration file: name one with --config (default {})",
                crate::config_file::DEFAULT_PATH
            );
            return Err(ExitCode::FAILURE);
        };
        let mut problems = crate::config_file::problems(&Cli::command(), &path);
        if problems.is_empty() {
            problems = file_problems(&path);
        }
        for p in &problems {
            eprintln!("{}: {p}", path.display());
        }
        if problems.is_empty() {
            println!("{}: ok", path.display());
            return Err(ExitCode::SUCCESS);
        }
        return Err(ExitCode::FAILURE);
    }
    let mut cmd = Cli::command();
    if let Some(path) = path {
        cmd = crate::config_file::apply(cmd, &path).map_err(|problems| {
            for p in problems {
                eprintln!("error: {}: {p}", path.display());
            }
            ExitCode::FAILURE
        })?;
    }
    let matches = cmd.get_matches_from(args);
    Cli::from_arg_matches(&matches).map_err(|e| {
        let _ = e.print();
        ExitCode::FAILURE
    })
}

/// Whether the files the configuration names can be used, as the server will use them at start:
/// a bad key file or an unreadable certificate is found by `check-config`, not by the first start.
fn file_problems(path: &std::path::Path) -> Vec<crate::config_file::Problem> {
    use crate::config_file::{Problem, values_of};
    use clap::CommandFactory as _;
    let keys = ["db", "key-file", "tls-cert", "tls-key", "admin-token-file", "webhook-secret-file"];
    let values = values_of(&Cli::command(), path, &keys);
    let shared = values.iter().any(|(k, db, _)| {
        k == "db" && matches!(iampass_server::store::Location::parse(db), iampass_server::store::Location::Postgres(_))
    });
    let key_file = values.iter().find(|(k, ..)| k == "key-file").cloned().or_else(|| {
        values.iter().find(|(k, ..)| k == "db").map(|(_, db, line)| {
            (
                "key-file".to_owned(),
                default_key_file(&iampass_server::store::Location::parse(db)).display().to_string(),
                *line,
            )
        })
    });
    let mut problems = Vec::new();
    if let Some((_, file, line)) = key_file
        && let Err(e) = iampass_server::crypto::check_key_file(std::path::Path::new(&file), shared)
    {
        problems.push(Problem { line, message: format!("key-file: {e}") });
    }
    for (key, file, line) in values.iter().filter(|(k, ..)| k != "db" && k != "key-file") {
        if let Err(e) = std::fs::File::open(file) {
            problems.push(Problem { line: *line, message: format!("{key}: cannot read {file}: {e}") });
        }
    }
    problems
}

pub(crate) fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let log_format = match &cli.command {
        Command::Serve(args) => args.config.log_format,
        _ => iampass_server::logging::LogFormat::Text,
    };
    let _log = iampass_server::logging::init(log_format);
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

async fn run(cli: Cli) -> anyhow::Result<()> {
    let with_paths = |mut config: Config| {
        config.key_file = cli.key_file.clone().unwrap_or_else(|| default_key_file(&cli.db));
        config.db = cli.db.clone();
        // Only from the environment, never a flag: a flag would show in the process list.
        config.key_hex = std::env::var("IAMPASS_KEY").ok().filter(|k| !k.is_empty()).map(|k| Redacted(k.into()));
        config
    };
    match cli.command {
        Command::Serve(args) => {
            let ServeArgs { config, demo } = *args;
            serve(with_paths(config), demo).await
        }
        Command::App(cmd) => app(with_paths(Config::with_db(cli.db.clone())), cmd).await,
        Command::Key(KeyCommand::Init) => {
            let config = with_paths(Config::with_db(cli.db.clone()));
            iampass_server::crypto::Sealer::load_or_create(&config.key_file)?;
            println!("key file {} is ready", config.key_file.display());
            Ok(())
        }
        Command::Key(KeyCommand::Rotate) => rotate_key(with_paths(Config::with_db(cli.db.clone()))).await,
        Command::Staff(args) => staff_cmd(with_paths(Config::with_db(cli.db.clone())), args).await,
        Command::Migrate => {
            use iampass_server::store::Admin as _;
            let (store, _) = iampass_server::server::open(&with_paths(Config::with_db(cli.db.clone()))).await?;
            let v = store.schema_version().await?;
            println!("{}: schema version {} of {}, up to date", cli.db, v.found, v.known);
            Ok(())
        }
        Command::CheckConfig => Ok(()),
        Command::Manual { out } => {
            use clap::CommandFactory as _;
            iampass_proto::manual::write(Cli::command(), &out)?;
            Ok(())
        }
        Command::ConfigTemplate => {
            print!("{}", config_template());
            Ok(())
        }
    }
}

async fn rotate_key(config: Config) -> anyhow::Result<()> {
    use iampass_server::service::{apps, login, push};
    use iampass_server::store::SealedSecret;
    anyhow::ensure!(
        config.key_hex.is_none(),
        "the key comes from IAMPASS_KEY: rotation works on a key file (--key-file)"
    );
    // Fail before touching anything if the current key does not open this database.
    let (store, current) = iampass_server::server::open(&config).await?;
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
    let n = store
        .reseal_secrets(move |kind, id, sealed| {
            let context = match kind {
                SealedSecret::Application => apps::secret_context(id),
                SealedSecret::Session => login::session_secret_context(id),
                SealedSecret::Server => push::server_secret_context(id),
            };
            let secret = sealer.open(&context, sealed).map_err(|e| e.to_string())?;
            Ok(sealer.seal(&context, &secret))
        })
        .await?;
    iampass_server::crypto::keep_only_key(&config.key_file, new_id)?;
    println!(
        "re-sealed {} application, {} session and {} server secrets with key {new_id}; the old key is removed",
        n.applications, n.sessions, n.server
    );
    Ok(())
}

async fn serve(mut config: Config, demo: bool) -> anyhow::Result<()> {
    config.validate()?;
    config.resolve_files()?;
    let mut running = iampass_server::start(config, Arc::new(SystemClock)).await?;
    tracing::info!(address = %running.addr, public_url = %running.public_url(), "iampass-server listening");
    // One line on stdout once ready, so scripts that listen on port 0 learn the address.
    println!("iampass-server listening on {}", running.public_url());
    if demo {
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
    let (store, sealer) = iampass_server::server::open(&config).await?;
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

/// Every setting of `serve` and the global ones, each with its help as a comment and commented out
/// at its default: the file the server package installs (`packaging/server.toml` is this).
fn config_template() -> String {
    use clap::CommandFactory as _;
    let cmd = Cli::command();
    let serve = cmd.find_subcommand("serve").cloned().unwrap_or_default();
    let mut out = String::from(
        "# iampass-server settings. Each is the long name of a flag of `iampass-server serve --help`;\n\
         # a flag beats its environment variable, which beats this file, which beats the default.\n\
         # `iampass-server check-config` checks this file.\n",
    );
    let args = cmd.get_arguments().chain(serve.get_arguments());
    for arg in args.filter(|a| !a.is_hide_set()) {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "config" | "help" | "version" | "demo") {
            continue;
        }
        out.push('\n');
        for line in arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default().lines() {
            out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
        }
        let defaults: Vec<String> = arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
        let value = match (defaults.as_slice(), arg.get_action()) {
            (_, clap::ArgAction::SetTrue) => "false".to_owned(),
            ([one], _) if one.parse::<f64>().is_ok() => one.clone(),
            ([one], _) => format!("{one:?}"),
            _ => "\"\"".to_owned(),
        };
        out.push_str(&format!("#{long} = {value}\n"));
    }
    out
}

async fn staff_cmd(config: Config, args: StaffArgs) -> anyhow::Result<()> {
    use iampass_server::domain::staff::parse_role;
    use iampass_server::service::{LinkIssuer, staff};
    let (store, sealer) = iampass_server::server::open(&config).await?;
    let now = SystemClock.now_ms();
    let api = |e: iampass_server::error::ServiceError| anyhow::anyhow!("{e}");
    let app = args.app.as_deref().ok_or_else(|| anyhow::anyhow!("name the application with --app APP"))?;
    let lifetime_secs = config.link_lifetime_secs;
    let links = |public_url| LinkIssuer { public_url, lifetime_secs };
    let print_added = |added: &iampass_proto::wire::StaffAdded| {
        if args.json {
            println!(
                "{}",
                serde_json::json!({"staff_id": added.staff_id, "name": added.name, "role": added.role,
                                   "registration_link": added.registration_link, "expires_at": added.expires_at})
            );
        } else {
            println!("staff_id: {}\nname: {}\nrole: {}", added.staff_id, added.name, added.role);
            println!("registration_link: {}\nexpires_at: {}", added.registration_link, added.expires_at);
        }
    };
    match args.command {
        StaffCommand::Add { name, role, public_url } => {
            let role = parse_role(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let added =
                staff::add(&store, &sealer, links(public_url.as_str()), app, &name, role, now).await.map_err(api)?;
            print_added(&added);
        }
        StaffCommand::Link { staff: who, public_url, lost } => {
            let lost = lost.then(|| config.policy());
            let added = staff::new_link(&store, &sealer, links(public_url.as_str()), app, &who, lost, now)
                .await
                .map_err(api)?;
            print_added(&added);
        }
        StaffCommand::List => {
            let list = staff::list(&store, app).await.map_err(api)?;
            if args.json {
                println!("{}", serde_json::to_string(&list)?);
            } else if list.is_empty() {
                println!("no staff; add one with `iampass-server staff add --app {app} --name NAME --role admin`");
            } else {
                for s in list {
                    let phone = s.phone.map_or("no phone", |k| k.as_str());
                    println!("{}  {:<24}  {:<8}  {phone}  {} signed in", s.staff_id, s.name, s.role, s.signed_in);
                }
            }
        }
        StaffCommand::Role { staff: who, role } => {
            let role = parse_role(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let s = staff::set_role(&store, app, &who, role, now, config.policy()).await.map_err(api)?;
            println!("{} is now {}; their console sign-ins have ended", s.name, s.role);
        }
        StaffCommand::Remove { staff: who } => {
            let s = staff::remove(&store, app, &who, now, config.policy()).await.map_err(api)?;
            println!("removed {} ({}); their sign-ins have ended and their phone no longer works", s.name, s.id);
        }
        StaffCommand::Lifetimes { token_secs, idle_secs } => {
            staff::set_lifetimes(&store, app, token_secs, idle_secs).await.map_err(api)?;
            println!("console sign-ins now last {token_secs} s, and end after {idle_secs} s without a request");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    /// A README default in words, as clap writes it: `60 s` → `60`, `1 MiB` → `1048576`,
    /// `30 days` → `2592000`; `off` and `—` (and a description in angle brackets) mean no default.
    fn readme_default(text: &str) -> Option<String> {
        let text = text.trim().trim_matches('`');
        if text == "off" || text == "—" || text.contains('<') {
            return None;
        }
        let (number, unit) = text.split_once(' ').unwrap_or((text, ""));
        let scale = match unit {
            "" | "s" => 1,
            "days" => 86_400,
            "KiB" => 1024,
            "MiB" => 1024 * 1024,
            other => panic!("unknown unit {other:?} in the README's settings table"),
        };
        Some(number.parse::<u64>().map_or_else(|_| number.to_owned(), |n| (n * scale).to_string()))
    }

    /// The server package's configuration file lists every setting, as `config-template` prints it.
    #[test]
    fn the_packaged_config_file_lists_every_setting() {
        assert_eq!(
            include_str!("../../../packaging/server.toml"),
            super::config_template(),
            "regenerate packaging/server.toml with `iampass-server config-template`"
        );
    }

    /// The README's settings table says what the flags say: every setting of `serve` (and the
    /// global ones) has a row, with its environment variable and its default, and no row names a
    /// flag that does not exist.
    #[test]
    fn readme_settings_table_matches_the_flags() {
        let readme = include_str!("../../../README.md");
        let rows: Vec<Vec<&str>> = readme
            .lines()
            .filter(|l| l.starts_with("| `--"))
            .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
            .collect();
        let root = Cli::command();
        let serve = root.find_subcommand("serve").expect("serve").clone();
        let args: Vec<&clap::Arg> = root
            .get_arguments()
            .chain(serve.get_arguments())
            .filter(|a| !matches!(a.get_id().as_str(), "demo" | "help" | "version"))
            .collect();
        for arg in &args {
            let flag = format!("`--{}`", arg.get_long().expect("long flag"));
            let row = rows.iter().find(|r| r[0] == flag).unwrap_or_else(|| panic!("README has no row for {flag}"));
            let env = arg.get_env().map(|e| format!("`{}`", e.to_string_lossy()));
            assert_eq!(Some(row[1].to_owned()), env, "{flag}: environment variable");
            let default =
                arg.get_default_values().first().map(|v| v.to_string_lossy().into_owned()).filter(|v| v != "false");
            assert_eq!(readme_default(row[2]), default, "{flag}: default");
        }
        assert_eq!(rows.len(), args.len(), "the README lists a flag that `serve` does not have");
    }
}
