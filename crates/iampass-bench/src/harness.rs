//! Starting the servers under test as child processes, reading their memory, and summarising
//! latency histograms.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use hdrhistogram::Histogram;

/// A server process, stopped when dropped.
pub(crate) struct Proc {
    pub child: Child,
    pub url: String,
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Proc {
    /// Resident memory of the process, in KiB, from /proc.
    pub(crate) fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")
    }
}

pub(crate) fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(name))
}

/// Starts `cmd`, waits for its `listening on URL` line. Its log is thrown away.
pub(crate) fn spawn(cmd: Command) -> anyhow::Result<Proc> {
    spawn_logging(cmd, Stdio::null())
}

/// Starts `cmd` with its standard error (the log) sent to `log`.
fn spawn_logging(mut cmd: Command, log: Stdio) -> anyhow::Result<Proc> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(log).spawn().context("spawn server")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let url = line.trim().rsplit(' ').next().context("no address")?.to_owned();
    anyhow::ensure!(url.starts_with("http://127.0.0.1:"), "unexpected start line {line:?}");
    Ok(Proc { child, url })
}

/// A fresh database with one application; returns (id, secret).
pub(crate) fn create_app(db: &Path) -> anyhow::Result<(String, String)> {
    let out = Command::new(sibling("iampass-server")?)
        .arg("--db")
        .arg(db)
        .args(["app", "create", "--name", "bench", "--json"])
        .output()?;
    anyhow::ensure!(out.status.success(), "app create failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok((
        v["application_id"].as_str().context("id")?.to_owned(),
        v["application_secret"].as_str().context("secret")?.to_owned(),
    ))
}

pub(crate) fn start_server(db: &Path, extra: &[&str]) -> anyhow::Result<Proc> {
    start_server_on(db, extra, None, None)
}

/// Where a server under test logs: at which level (`IAMPASS_LOG`), into which file.
#[derive(Debug, Clone)]
pub(crate) struct ServerLog {
    pub level: String,
    pub file: PathBuf,
}

/// A command for `program`, run on the given CPUs (`taskset -c`) when asked: so a server under load
/// gets a core of its own instead of contesting the load generator's.
fn on_cpus(program: &Path, cpus: Option<&str>) -> Command {
    match cpus {
        None => Command::new(program),
        Some(list) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", list]).arg(program);
            cmd
        }
    }
}

/// The server on `cpus` when given; logging at `warn` to nowhere unless `log` says otherwise.
pub(crate) fn start_server_on(
    db: &Path,
    extra: &[&str],
    cpus: Option<&str>,
    log: Option<&ServerLog>,
) -> anyhow::Result<Proc> {
    let mut cmd = on_cpus(&sibling("iampass-server")?, cpus);
    // Capacity is what is measured: the per-application rate limit would cap it, so it is off.
    cmd.arg("--db").arg(db).args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0"]).args(extra);
    match log {
        None => {
            cmd.env("IAMPASS_LOG", "warn");
            spawn(cmd)
        }
        Some(log) => {
            cmd.env("IAMPASS_LOG", &log.level);
            spawn_logging(cmd, Stdio::from(std::fs::File::create(&log.file)?))
        }
    }
}

pub(crate) fn start_bare(cpus: Option<&str>) -> anyhow::Result<Proc> {
    let mut cmd = on_cpus(&std::env::current_exe()?, cpus);
    cmd.arg("bare-server");
    spawn(cmd)
}

/// The baseline: one route with the same path shape and answer, no signature, no database.
pub(crate) async fn bare_server() -> anyhow::Result<()> {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/management/has_registered_mobile_device/{app}/{user}",
        get(|| async { axum::Json(serde_json::json!({"status": true, "device_registered": false})) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

/// `p50 X ms, p99 Y ms, p99.9 Z ms, max W ms` from a histogram of microseconds.
pub(crate) fn summary(h: &Histogram<u64>) -> String {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms (n = {})",
        ms(0.5),
        ms(0.99),
        ms(0.999),
        h.max() as f64 / 1000.0,
        h.len()
    )
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// Resident memory of `pid` and all its descendants (a webview app is several processes), KiB.
pub(crate) fn tree_rss_kib(pid: u32) -> u64 {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    let mut rss: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(status) = std::fs::read_to_string(format!("/proc/{p}/status")) else { continue };
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<u64>().ok())
        };
        if let Some(ppid) = field("PPid:") {
            children.entry(u32::try_from(ppid).unwrap_or(0)).or_default().push(p);
        }
        rss.insert(p, field("VmRSS:").unwrap_or(0));
    }
    let mut total = 0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        total += rss.get(&p).copied().unwrap_or(0);
        stack.extend(children.get(&p).into_iter().flatten());
    }
    total
}

/// Adds a staff member with the server's CLI and binds a reference phone at their link.
pub(crate) async fn staff_phone(
    db: &Path,
    app_id: &str,
    server_url: &str,
    name: &str,
    role: &str,
) -> anyhow::Result<iampass_device::Phone> {
    let out = Command::new(sibling("iampass-server")?)
        .arg("--db")
        .arg(db)
        .args(["staff", "add", "--app", app_id, "--name", name, "--role", role, "--public-url", server_url, "--json"])
        .output()?;
    anyhow::ensure!(out.status.success(), "staff add failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let link = v["registration_link"].as_str().context("link")?;
    Ok(iampass_device::Phone::enroll(link, "bench staff phone", "bench").await?)
}
