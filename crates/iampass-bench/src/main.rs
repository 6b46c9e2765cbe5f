//! `iampass-load`: benchmarks of the real `iampass-server` binary on loopback. Every request is
//! signed afresh (a replayed nonce is rightly refused, so tools that repeat one request cannot be
//! used). Servers run as separate processes; this process only generates load and measures.
//! Loops are bounded in count and time and target 127.0.0.1 only.

mod cluster;
mod harness;
mod scenarios;

/// The same allocator as the server, so the bare baseline (which runs from this binary) is
/// compared like for like.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "iampass-load", about = "Loopback benchmarks for iampass-server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// `has_registered_mobile_device` beside a bare axum route, signed (protocol 1) and with a staff
    /// bearer token: requests/s, p50, p99, ratios.
    Http {
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Run both servers on these CPUs (`taskset -c` list, e.g. `1`); start the load generator on
        /// the others (`taskset -c 0 iampass-load http --server-cpus 1`).
        #[arg(long)]
        server_cpus: Option<String>,
    },
    /// Staff sign-in: the phone's approval → the console open (token read, who-am-I answered).
    SignIn {
        #[arg(long, default_value_t = 200)]
        count: usize,
    },
    /// Login → `active` with an auto-approving phone: p50, p99.
    Login {
        #[arg(long, default_value_t = 500)]
        count: usize,
    },
    /// N concurrent logins with auto-approving phones, status polls throughout; counts lost events.
    Logins {
        #[arg(long, default_value_t = 1000)]
        count: usize,
    },
    /// Holds N pending logins; reports server memory per login.
    Pending {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
    },
    /// Time of one page of the session listing at several table sizes.
    Pages {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        sizes: Vec<usize>,
    },
    /// Cold start to page loaded, and idle memory, of GUI apps (run under a display, e.g. xvfb-run).
    Startup {
        /// The console binary, then the baseline window binary.
        #[arg(long)]
        console: std::path::PathBuf,
        #[arg(long)]
        baseline: std::path::PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Several nodes on PostgreSQL: signed requests on PostgreSQL beside SQLite and through HAProxy
    /// beside one node, cross-node event latency, streams through a node's death.
    Cluster {
        /// A fresh PostgreSQL database (`tests/common/postgres start DIR --durable` prints one).
        #[arg(long)]
        postgres: String,
        /// Requests in flight: each level is run on every backend, so the comparison is shown both
        /// at equal concurrency and at each backend's saturation.
        #[arg(long, value_delimiter = ',', default_values_t = [32, 64, 128])]
        concurrency: Vec<usize>,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Changes whose trip from one node to another's stream is timed.
        #[arg(long, default_value_t = 500)]
        events: usize,
    },
    /// (internal) A bare axum route, the baseline for `http`.
    BareServer,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Http { concurrency, seconds, server_cpus } => {
            scenarios::http(concurrency, seconds, server_cpus.as_deref()).await
        }
        Command::Login { count } => scenarios::login(count).await,
        Command::SignIn { count } => scenarios::sign_in(count).await,
        Command::Pending { count } => scenarios::pending(count).await,
        Command::Logins { count } => scenarios::logins(count).await,
        Command::Pages { sizes } => scenarios::pages(&sizes).await,
        Command::Startup { console, baseline, runs } => scenarios::startup(&console, &baseline, runs).await,
        Command::Cluster { postgres, concurrency, seconds, events } => {
            cluster::cluster(&postgres, &concurrency, seconds, events).await
        }
        Command::BareServer => harness::bare_server().await,
    }
}
