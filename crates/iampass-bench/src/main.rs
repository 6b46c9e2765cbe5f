//! `iampass-load`: benchmarks of the real `iampass-server` binary on loopback. Every signed request
//! has a nonce of its own (a replayed nonce is rightly refused, so tools that repeat one request
//! cannot be used); the throughput runs sign theirs before the clock starts (`raw`). Servers run as
//! separate processes; this process only generates load and measures.
//! Loops are bounded in count and time and target 127.0.0.1 only.

mod cluster;
mod harness;
mod raw;
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
    /// `has_registered_mobile_device` signed (protocol 1) and with a staff bearer token, beside the
    /// same server's `/healthz` and a bare axum route in another process: requests/s, tails, each
    /// side's CPU, ratios (refused when the generator set the pace), and where the slow requests were.
    Http {
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Signed requests are made before each run for this many requests per second.
        #[arg(long, default_value_t = 120_000)]
        max_rate: usize,
        /// Every route this many times, in turn.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// Run both servers on these CPUs (`taskset -c` list, e.g. `1`); start the load generator on
        /// the others (`taskset -c 0 iampass-load http --server-cpus 1`).
        #[arg(long)]
        server_cpus: Option<String>,
        /// The server's log level (`IAMPASS_LOG`, e.g. `info` for the access log), written to a
        /// file; without it, `warn` to nowhere.
        #[arg(long)]
        server_log: Option<String>,
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
        /// Signed requests are made before each run for this many requests per second.
        #[arg(long, default_value_t = 120_000)]
        max_rate: usize,
        /// Changes whose trip from one node to another's stream is timed.
        #[arg(long, default_value_t = 500)]
        events: usize,
    },
    /// Signed protocol-1 headers for an outside load generator (wrk: `crates/iampass-bench/wrk/`),
    /// one line each: `Authentication` value, a tab, the timestamp. A nonce each.
    Presign {
        /// The URL the requests will be sent to, as the generator sends it (`http://127.0.0.1:PORT/…`).
        #[arg(long)]
        url: String,
        #[arg(long)]
        app: String,
        /// Read from the environment rather than a flag, which would show in the process list.
        #[arg(long, env = "IAMPASS_BENCH_SECRET", hide_env_values = true)]
        secret: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
    /// (internal) A bare axum route, the baseline for `http`.
    BareServer,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Http { concurrency, seconds, max_rate, rounds, server_cpus, server_log } => {
            scenarios::http(scenarios::HttpRun { concurrency, seconds, max_rate, rounds, server_cpus, server_log })
                .await
        }
        Command::Login { count } => scenarios::login(count).await,
        Command::SignIn { count } => scenarios::sign_in(count).await,
        Command::Pending { count } => scenarios::pending(count).await,
        Command::Logins { count } => scenarios::logins(count).await,
        Command::Pages { sizes } => scenarios::pages(&sizes).await,
        Command::Startup { console, baseline, runs } => scenarios::startup(&console, &baseline, runs).await,
        Command::Cluster { postgres, concurrency, seconds, max_rate, events } => {
            cluster::cluster(&postgres, &concurrency, seconds, max_rate, events).await
        }
        Command::Presign { url, app, secret, count } => raw::presign(&url, &app, &secret, count),
        Command::BareServer => harness::bare_server().await,
    }
}
