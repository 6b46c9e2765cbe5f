//! A load generator that costs the same for every route, so a ratio between two routes is the
//! servers' and not the generator's. Every request is a whole HTTP/1.1 message made before the
//! clock starts (a signed one with its own nonce: the server rightly refuses a replay); measuring,
//! a connection only writes the next message and reads the answer's head and body by its length.
//! Nothing is signed, built or decoded while the clock runs.
//!
//! The generator's own CPU time and the server's are read from /proc around each run, so a run in
//! which the generator, not the server, was the limit says so instead of printing a ratio.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use iampass_proto::clock::Clock as _;
use iampass_proto::hmac_v1;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{histogram, micros, summary};

/// A request slower than this is kept, with when it was sent, for the timeline of stalls.
const SLOW: Duration = Duration::from_millis(5);

/// The requests of one run: the same message again and again, or one message each.
pub(crate) enum Requests {
    Same(Vec<u8>),
    Each(Vec<Vec<u8>>),
}

impl Requests {
    fn get(&self, i: usize) -> Option<&[u8]> {
        match self {
            Requests::Same(m) => Some(m),
            Requests::Each(all) => all.get(i).map(Vec::as_slice),
        }
    }
}

/// A route of a server on loopback: where to connect and the head lines every request carries.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub addr: SocketAddr,
    /// `host:port`, as the Host header and protocol 1's signed URI have it.
    pub authority: String,
    pub path: String,
}

impl Target {
    /// `base` is the server's `http://127.0.0.1:PORT`.
    pub(crate) fn new(base: &str, path: &str) -> anyhow::Result<Self> {
        let authority = base.strip_prefix("http://").context("a loopback http:// URL")?.trim_end_matches('/');
        let addr: SocketAddr = authority.parse().context("a loopback address")?;
        anyhow::ensure!(addr.ip().is_loopback(), "load goes to loopback addresses only, not {addr}");
        Ok(Self { addr, authority: authority.to_owned(), path: path.to_owned() })
    }

    fn message(&self, extra_headers: &str) -> Vec<u8> {
        format!("GET {} HTTP/1.1\r\nHost: {}\r\n{extra_headers}\r\n", self.path, self.authority).into_bytes()
    }

    /// The same unsigned request every time.
    pub(crate) fn plain(&self) -> Requests {
        Requests::Same(self.message(""))
    }

    /// The same request with a bearer token every time (staff tokens carry no nonce).
    pub(crate) fn bearer(&self, token: &str) -> Requests {
        Requests::Same(self.message(&format!("Authorization: Bearer {token}\r\n")))
    }

    /// Enough signed requests for `secs` seconds at up to `max_rate` a second.
    pub(crate) fn signed_for(
        &self,
        client_id: &str,
        secret: &str,
        max_rate: usize,
        secs: f64,
    ) -> anyhow::Result<Requests> {
        self.signed(client_id, secret, (max_rate as f64 * secs).ceil() as usize)
    }

    /// `count` requests signed with protocol 1, each with a nonce of its own, on every core.
    pub(crate) fn signed(&self, client_id: &str, secret: &str, count: usize) -> anyhow::Result<Requests> {
        let uri = format!("{}{}", self.authority, self.path);
        let timestamp = iampass_proto::clock::SystemClock.now_secs();
        let first = rand::random::<u64>() >> 1;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = count.div_ceil(cores).max(1);
        let mut all: Vec<Vec<u8>> = Vec::with_capacity(count);
        std::thread::scope(|scope| {
            let parts: Vec<_> = (0..count)
                .step_by(chunk)
                .map(|start| {
                    let uri = &uri;
                    scope.spawn(move || {
                        (start..(start + chunk).min(count))
                            .map(|i| {
                                let h = hmac_v1::sign_with(client_id, secret, uri, first + i as u64, timestamp);
                                self.message(&format!(
                                    "Authentication: {}\r\nX-IAMPASS-Authentication-Timestamp: {}\r\n\
                                     X-IAMPASS-Authentication-Version: 1\r\n",
                                    h.authentication, h.timestamp
                                ))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for part in parts {
                if let Ok(made) = part.join() {
                    all.extend(made);
                }
            }
        });
        anyhow::ensure!(all.len() == count, "a signing thread failed");
        Ok(Requests::Each(all))
    }
}

/// Prints `count` signed headers for `url`, `authentication<TAB>timestamp` a line, for wrk.
pub(crate) fn presign(url: &str, app: &str, secret: &str, count: usize) -> anyhow::Result<()> {
    use std::io::Write as _;
    let timestamp = iampass_proto::clock::SystemClock.now_secs();
    let first = rand::random::<u64>() >> 1;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..count {
        let h = hmac_v1::sign_with(app, secret, url, first + i as u64, timestamp);
        writeln!(out, "{}\t{}", h.authentication, h.timestamp)?;
    }
    Ok(out.flush()?)
}

/// What one run measured.
pub(crate) struct Run {
    pub hist: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Requests over [`SLOW`]: (sent, after the start; took).
    pub slow: Vec<(Duration, Duration)>,
    /// The prepared requests ran out before the time did: the run is shorter than asked.
    pub exhausted: bool,
    /// CPU time of this process (the generator) and of the server during the run.
    pub generator_cpu: Duration,
    pub server_cpu: Duration,
}

impl Run {
    pub(crate) fn rps(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The generator's CPU time over the time its cores had: near 1, it was the limit.
    pub(crate) fn generator_share(&self) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        self.generator_cpu.as_secs_f64() / (self.elapsed.as_secs_f64() * cores)
    }

    /// The server's CPU time per answered request, in microseconds: its cost, whatever the rate.
    pub(crate) fn server_us_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1e6 / (self.ok + self.errors).max(1) as f64
    }

    /// A run whose generator was busy nine tenths of its time or more measured the generator.
    pub(crate) fn generator_bound(&self) -> bool {
        self.generator_share() >= 0.9
    }
}

/// CPU time (user + system) of a process so far, from /proc (ticks of 1/100 s, Linux's USER_HZ).
pub(crate) fn cpu_time(pid: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').context("no command name")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<u64> { Ok(fields.get(i).context("short stat")?.parse()?) };
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// Sends `requests` to `target` on `concurrency` kept-alive connections until `seconds` pass or the
/// requests run out; `server_pid` is the process whose CPU time is read beside the generator's.
pub(crate) async fn run(
    target: &Target,
    requests: Arc<Requests>,
    concurrency: usize,
    seconds: f64,
    server_pid: u32,
) -> anyhow::Result<Run> {
    let next = Arc::new(AtomicUsize::new(0));
    let server_pid = server_pid.to_string();
    let (gen_before, server_before) = (cpu_time("self")?, cpu_time(&server_pid)?);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (requests, next, addr) = (requests.clone(), next.clone(), target.addr);
            tokio::spawn(async move { connection(addr, &requests, &next, start, deadline).await })
        })
        .collect();
    let mut run = Run {
        hist: histogram(),
        ok: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        slow: Vec::new(),
        exhausted: false,
        generator_cpu: Duration::ZERO,
        server_cpu: Duration::ZERO,
    };
    for worker in workers {
        let w = worker.await?;
        run.hist.add(&w.hist)?;
        run.ok += w.ok;
        run.errors += w.errors;
        run.slow.extend(w.slow);
        run.exhausted |= w.exhausted;
    }
    run.elapsed = start.elapsed();
    run.generator_cpu = cpu_time("self")?.saturating_sub(gen_before);
    run.server_cpu = cpu_time(&server_pid)?.saturating_sub(server_before);
    run.slow.sort();
    Ok(run)
}

struct Worker {
    hist: Histogram<u64>,
    ok: u64,
    errors: u64,
    slow: Vec<(Duration, Duration)>,
    exhausted: bool,
}

async fn connection(
    addr: SocketAddr,
    requests: &Requests,
    next: &AtomicUsize,
    start: Instant,
    deadline: Instant,
) -> Worker {
    let mut w = Worker { hist: histogram(), ok: 0, errors: 0, slow: Vec::new(), exhausted: false };
    let mut buf = Vec::with_capacity(4096);
    let mut stream: Option<TcpStream> = None;
    while Instant::now() < deadline {
        let Some(message) = requests.get(next.fetch_add(1, Ordering::Relaxed)) else {
            w.exhausted = true;
            break;
        };
        if stream.is_none() {
            stream = TcpStream::connect(addr).await.ok().inspect(|s| {
                let _ = s.set_nodelay(true);
            });
        }
        let Some(s) = stream.as_mut() else {
            w.errors += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let sent = Instant::now();
        match exchange(s, message, &mut buf).await {
            Ok(status) => {
                let took = sent.elapsed();
                if (200..300).contains(&status) {
                    w.ok += 1;
                    let _ = w.hist.record(micros(took));
                } else {
                    w.errors += 1;
                }
                if took > SLOW {
                    w.slow.push((sent - start, took));
                }
            }
            Err(_) => {
                w.errors += 1;
                stream = None;
            }
        }
    }
    w
}

/// Writes one request and reads its answer whole; the answer's status.
async fn exchange(stream: &mut TcpStream, message: &[u8], buf: &mut Vec<u8>) -> anyhow::Result<u16> {
    stream.write_all(message).await?;
    buf.clear();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 24];
        let mut response = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = response.parse(buf)? {
            let status = response.code.context("no status")?;
            let length: usize = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .context("an answer without Content-Length")
                .and_then(|h| Ok(std::str::from_utf8(h.value)?.trim().parse()?))?;
            while buf.len() < head + length {
                read_more(stream, buf).await?;
            }
            anyhow::ensure!(buf.len() == head + length, "more than one answer to one request");
            return Ok(status);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    buf.reserve(4096);
    anyhow::ensure!(stream.read_buf(buf).await? > 0, "the server closed the connection");
    Ok(())
}

/// One line: rate, tails, errors, each side's CPU.
pub(crate) fn report(name: &str, r: &Run) {
    println!(
        "{name:<44} {:>9.0} req/s  {}  errors {}  server {:.1} µs CPU/request  generator {:.0}% busy{}",
        r.rps(),
        summary(&r.hist),
        r.errors,
        r.server_us_per_request(),
        100.0 * r.generator_share(),
        if r.exhausted { "  (prepared requests ran out: raise --max-rate)" } else { "" }
    );
}

/// Where the slow requests were: how many in each 100 ms of the run that had any, worst first.
pub(crate) fn timeline(name: &str, r: &Run) {
    if r.slow.is_empty() {
        println!("{name}: no request over {} ms", SLOW.as_millis());
        return;
    }
    let mut windows: std::collections::BTreeMap<u128, (usize, Duration)> = std::collections::BTreeMap::new();
    for (at, took) in &r.slow {
        let w = windows.entry(at.as_millis() / 100).or_default();
        w.0 += 1;
        w.1 = w.1.max(*took);
    }
    let mut worst: Vec<_> = windows.into_iter().collect();
    worst.sort_by_key(|w| std::cmp::Reverse(w.1.1));
    let shown: Vec<String> = worst
        .iter()
        .take(8)
        .map(|(w, (n, max))| format!("{:.1} s: {n}, worst {:.1} ms", *w as f64 / 10.0, max.as_secs_f64() * 1e3))
        .collect();
    println!(
        "{name}: {} requests over {} ms in {} windows of 100 ms; worst windows: {}",
        r.slow.len(),
        SLOW.as_millis(),
        worst.len(),
        shown.join("; ")
    );
}
