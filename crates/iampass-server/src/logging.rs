//! Where log lines go and how they look, for the server and the console alike. Lines are written
//! by a thread of their own: formatted on the request's thread, then handed over, so a slow
//! reader of standard error (a pipe, a journal under load) does not hold up requests. Colour
//! only on a terminal: escapes in a file or a journal are noise to grep and to log shippers.

use std::io::IsTerminal as _;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// The form of each line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: time, level, target, message and fields.
    #[default]
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

/// Lines queued for the writer at most; past it a request waits for the writer rather than a
/// line being dropped (a warning about an attack must not be the one that is lost).
const QUEUED_LINES: usize = 128_000;

/// Bytes gathered before a write.
const WRITE_BYTES: usize = 64 * 1024;

/// Starts logging to standard error with the filter in `IAMPASS_LOG` (default `info`). Keep the
/// guard until the process ends: dropping it writes what is still queued. `None` when logging
/// was already set up (tests start several servers in one process).
pub fn init(format: LogFormat) -> Option<WorkerGuard> {
    let filter = EnvFilter::try_from_env("IAMPASS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("iampass-log")
        // The writer writes what has queued up in one go, then flushes once the queue is empty:
        // under load one write carries many lines instead of a system call each.
        .finish(std::io::BufWriter::with_capacity(WRITE_BYTES, std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(format == LogFormat::Text && std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
    };
    installed.ok().map(|()| guard)
}
