//! `iampass-device`: the reference phone on the command line. Operators and tests script these
//! commands; their names, flags and exit codes are stable (0 success, 1 failure, 2 usage).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use iampass_device::{Answer, Answered, DeviceState, Phone};
use iampass_proto::wire::{LoginRequest, Method, RequestPurpose};

#[derive(Debug, Parser)]
#[command(
    name = "iampass-device",
    version = iampass_proto::VERSION,
    about = "Reference IAMPASS authenticator (the phone)",
    after_help = "A server whose HTTPS certificate comes from a private CA: set IAMPASS_CA_CERT to a PEM file of its root."
)]
struct Cli {
    /// Print machine-readable JSON instead of sentences.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enroll this phone from a registration link (or its QR code's text).
    Enroll {
        register_url: String,
        #[arg(long)]
        state: PathBuf,
        /// Name the server and console show for this phone.
        #[arg(long, default_value = "iampass-device")]
        name: String,
    },
    /// Approve login requests as they arrive.
    Approve {
        #[arg(long)]
        state: PathBuf,
        /// How many requests to answer before exiting.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Seconds to wait for them; exit 1 if fewer arrive.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Methods to report as satisfied (default: whatever each request asks for).
        #[arg(long, value_delimiter = ',')]
        methods: Option<Vec<String>>,
        /// The number-matching code shown on the login screen (applications that require it).
        #[arg(long)]
        code: Option<String>,
    },
    /// Deny login requests as they arrive.
    Deny {
        #[arg(long)]
        state: PathBuf,
        #[arg(long, default_value_t = 1)]
        count: usize,
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Report the request as fraud ("this was not me").
        #[arg(long)]
        fraud: bool,
    },
    /// Answer every request until stopped (Ctrl-C or SIGTERM).
    Run {
        #[arg(long)]
        state: PathBuf,
        #[arg(long, value_enum)]
        auto: Auto,
    },
    /// Show the requests waiting for this phone, without answering them.
    Pending {
        #[arg(long)]
        state: PathBuf,
        /// Seconds to wait for one to arrive.
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
    /// Report whether the phone is near its user (away: live sessions go to walkaway).
    Presence {
        #[arg(long)]
        state: PathBuf,
        #[arg(long, conflicts_with = "near", required_unless_present = "near")]
        away: bool,
        #[arg(long)]
        near: bool,
    },
    /// List this user's recent sessions.
    Sessions {
        #[arg(long)]
        state: PathBuf,
    },
    /// End one of this user's sessions.
    Logout {
        #[arg(long)]
        state: PathBuf,
        session_id: String,
    },
    /// Unregister this phone; its sessions close and the state file is removed.
    Forget {
        #[arg(long)]
        state: PathBuf,
    },
    /// Write the man pages and shell completions into a folder (for packaging).
    #[command(hide = true)]
    Manual { out: PathBuf },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Auto {
    Approve,
    Deny,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
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

fn load(path: &std::path::Path) -> anyhow::Result<Phone> {
    Ok(Phone::from_state(DeviceState::load(path)?)?)
}

fn parse_methods(raw: Option<Vec<String>>) -> anyhow::Result<Option<Vec<Method>>> {
    raw.map(|list| {
        list.iter()
            .map(|m| {
                Method::parse(m).with_context(|| format!("unknown method {m:?}; use acceptance, device or facial"))
            })
            .collect()
    })
    .transpose()
}

/// What a request asks, in the words the phone's owner reads.
/// A request in words, naming the employee as the link named them (else by their id).
fn describe(r: &LoginRequest, name: Option<&str>) -> String {
    let who = name.map_or_else(|| r.user_id.clone(), |n| format!("{n} ({})", r.user_id));
    match r.purpose {
        RequestPurpose::Verification => format!(
            "{} is verifying the identity of {who} ({})",
            r.verifier.as_deref().unwrap_or("the help desk"),
            r.application_name
        ),
        RequestPurpose::ConsoleSignIn => format!("console sign-in of {who} at {}", r.application_name),
        RequestPurpose::RecoveryApproval => match &r.recovery {
            Some(ask) => format!(
                "{} asks you to approve moving {} to a new phone at {} (checked: {}; reason: {})",
                ask.requested_by,
                ask.user_id,
                r.application_name,
                ask.check.words(),
                ask.reason
            ),
            None => format!("a recovery's approval at {}", r.application_name),
        },
        RequestPurpose::Login => format!("login of {who} at {}", r.application_name),
    }
}

fn print_answered(json: bool, a: &Answered, name: Option<&str>) {
    if json {
        println!("{}", serde_json::to_string(a).unwrap_or_default());
    } else {
        let reason = a.session.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        println!("{}: {}: {}{reason}", a.session.session_id, describe(&a.request, name), a.session.status);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    // A bad IAMPASS_CA_CERT is reported here, not as an untrusted certificate later.
    iampass_proto::client::extra_roots()?;
    let json = cli.json;
    match cli.command {
        Command::Enroll { register_url, state, name } => {
            let phone = Phone::enroll(&register_url, &name, std::env::consts::OS).await?;
            phone.state().save(&state)?;
            let s = phone.state();
            if json {
                println!(
                    "{}",
                    serde_json::json!({"device_id": s.device_id, "user_id": s.user_id, "display_name": s.display_name,
                        "application_name": s.application_name})
                );
            } else {
                let who = match &s.display_name {
                    Some(name) => format!("{name} ({})", s.user_id),
                    None => s.user_id.clone(),
                };
                println!("enrolled device {} for {who} in {}", s.device_id, s.application_name);
            }
        }
        Command::Approve { state, count, timeout, methods, code } => {
            let methods = parse_methods(methods)?;
            let answer = match code {
                Some(code) => Answer::ApproveWithCode { methods, code },
                None => Answer::Approve(methods),
            };
            let phone = load(&state)?;
            for a in phone.answer(&answer, count, Duration::from_secs(timeout)).await? {
                print_answered(json, &a, phone.state().display_name.as_deref());
            }
        }
        Command::Deny { state, count, timeout, fraud } => {
            let phone = load(&state)?;
            for a in phone.answer(&Answer::Deny { fraud }, count, Duration::from_secs(timeout)).await? {
                print_answered(json, &a, phone.state().display_name.as_deref());
            }
        }
        Command::Run { state, auto } => {
            let phone = load(&state)?;
            let answer = match auto {
                Auto::Approve => Answer::Approve(None),
                Auto::Deny => Answer::Deny { fraud: false },
            };
            tokio::select! {
                r = phone.run(&answer, |a| print_answered(json, a, phone.state().display_name.as_deref())) => r?,
                _ = shutdown_signal() => {}
            }
        }
        Command::Pending { state, wait } => {
            let phone = load(&state)?;
            let requests = phone.pending(Duration::from_secs(wait)).await?;
            if json {
                println!("{}", serde_json::to_string(&requests)?);
            } else if requests.is_empty() {
                println!("no requests waiting");
            } else {
                for r in &requests {
                    println!(
                        "{}: {}, answer by {}",
                        r.session_id,
                        describe(r, phone.state().display_name.as_deref()),
                        r.answer_by
                    );
                }
            }
        }
        Command::Presence { state, away, near } => {
            let reply = load(&state)?.presence(near && !away).await?;
            if json {
                println!("{}", serde_json::to_string(&reply)?);
            } else {
                println!(
                    "reported {}; {} session(s) changed",
                    if reply.nearby { "near" } else { "away" },
                    reply.changed.len()
                );
            }
        }
        Command::Sessions { state } => {
            let sessions = load(&state)?.sessions().await?;
            if json {
                println!("{}", serde_json::to_string(&sessions)?);
            } else if sessions.is_empty() {
                println!("no sessions");
            } else {
                for s in sessions {
                    println!("{}  {:<11}  {}", s.session_id, s.status.as_str(), s.created_at);
                }
            }
        }
        Command::Logout { state, session_id } => {
            let s = load(&state)?.logout(&session_id).await?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!("{}: {}", s.session_id, s.status);
            }
        }
        Command::Forget { state } => {
            load(&state)?.forget().await?;
            std::fs::remove_file(&state)
                .with_context(|| format!("unregistered, but could not remove {}", state.display()))?;
            if json {
                println!("{}", serde_json::json!({"status": true}));
            } else {
                println!("unregistered; state file removed");
            }
        }
        Command::Manual { out } => {
            use clap::CommandFactory as _;
            iampass_proto::manual::write(Cli::command(), &out)?;
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            return std::future::pending().await;
        };
        tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
