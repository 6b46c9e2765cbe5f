//! The benchmark scenarios. Each prints its numbers; docs/BENCHMARKS.md records a run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::future::join_all;
use iampass_device::{Answer, Phone};
use iampass_proto::client::{ManagementClient, StaffSignIn, default_http};
use iampass_proto::wire::SessionStatus;
use iampass_proto::wire::{PageQuery, SessionsQuery};

use crate::harness::{
    self, Proc, ServerLog, create_app, histogram, micros, start_bare, start_server, start_server_on, summary,
};
use crate::raw::{self, Requests, Run, Target};

/// The routes of `iampass-load http`, each on the raw generator ([`raw`]): requests made before the
/// clock, one nonce each where signed, the same generator work for every route.
pub(crate) struct HttpRun {
    pub concurrency: usize,
    pub seconds: f64,
    /// Requests per second the prepared signed requests last for; a faster server runs out early
    /// (said in the report).
    pub max_rate: usize,
    pub rounds: usize,
    pub server_cpus: Option<String>,
    /// The server's `IAMPASS_LOG` (its log written to a file in the run's folder); warn when unset.
    pub server_log: Option<String>,
}

pub(crate) async fn http(opts: HttpRun) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let (id, secret) = create_app(&db)?;
    let log =
        opts.server_log.as_ref().map(|level| ServerLog { level: level.clone(), file: dir.path().join("server.log") });
    let server = start_server_on(&db, &[], opts.server_cpus.as_deref(), log.as_ref())?;
    let bare = start_bare(opts.server_cpus.as_deref())?;
    let client = ManagementClient::with_http(default_http(), &server.url, &id, &secret)?;
    client.add_users(&["bench-user".to_owned()]).await?;
    let route = format!("/management/has_registered_mobile_device/{id}/bench-user");
    let token = staff_token(&db, &id, &server.url).await?;
    let (on_bare, healthz, on_server) =
        (Target::new(&bare.url, &route)?, Target::new(&server.url, "/healthz")?, Target::new(&server.url, &route)?);
    let routes: [(&str, &Target, &Proc); 4] = [
        ("bare axum route (another process)", &on_bare, &bare),
        ("the server's /healthz", &healthz, &server),
        ("signed has_registered_mobile_device", &on_server, &server),
        ("staff bearer has_registered_mobile_device", &on_server, &server),
    ];
    let requests = |i: usize, secs: f64| -> anyhow::Result<Arc<Requests>> {
        Ok(Arc::new(match i {
            2 => on_server.signed_for(&id, &secret, opts.max_rate, secs)?,
            3 => on_server.bearer(&token),
            _ => routes[i].1.plain(),
        }))
    };
    for (i, (_, target, proc)) in routes.iter().enumerate() {
        raw::run(target, requests(i, 1.0)?, opts.concurrency, 1.0, proc.child.id()).await?;
    }
    println!(
        "concurrency {}, {} s a route a round, {} round(s), loopback; requests prepared before the clock \
         (signed ones with a nonce each); server log {}",
        opts.concurrency,
        opts.seconds,
        opts.rounds,
        log.as_ref().map_or("warn, to nowhere".to_owned(), |l| format!("{}, to a file", l.level))
    );
    let mut runs: Vec<Vec<Run>> = (0..routes.len()).map(|_| Vec::new()).collect();
    for round in 0..opts.rounds {
        println!("round {}:", round + 1);
        for (i, (name, target, proc)) in routes.iter().enumerate() {
            let prepared = requests(i, opts.seconds)?;
            let run = raw::run(target, prepared, opts.concurrency, opts.seconds, proc.child.id()).await?;
            raw::report(name, &run);
            raw::timeline(name, &run);
            runs[i].push(run);
        }
        let [bare_r, health_r, signed_r, bearer_r] = [0, 1, 2, 3].map(|i| &runs[i][round]);
        if [bare_r, health_r, signed_r, bearer_r].iter().any(|r| r.generator_bound()) {
            println!("no ratios this round: the load generator was busy 90 % of its time or more, so it set the pace");
        } else {
            println!(
                "signed / the server's /healthz: {:.0}% of requests/s ({:.1} against {:.1} µs of server CPU a request); \
                 signed / bare process: {:.0}%; bearer / signed: {:.2}x",
                100.0 * signed_r.rps() / health_r.rps(),
                signed_r.server_us_per_request(),
                health_r.server_us_per_request(),
                100.0 * signed_r.rps() / bare_r.rps(),
                bearer_r.rps() / signed_r.rps()
            );
        }
    }
    println!("server RSS after the runs: {} KiB", server.rss_kib()?);
    if let Some(log) = &log {
        let written = std::fs::read(&log.file)?;
        let lines = written.iter().filter(|b| **b == b'\n').count();
        println!(
            "server log: {} bytes in {lines} lines, {:.0} bytes a line",
            written.len(),
            written.len() as f64 / lines.max(1) as f64
        );
    }
    Ok(())
}

/// A help-desk staff member signed in on the server under test: their bearer token.
async fn staff_token(db: &std::path::Path, app_id: &str, url: &str) -> anyhow::Result<String> {
    let phone = harness::staff_phone(db, app_id, url, "bench desk", "helpdesk").await?;
    let sign_in = StaffSignIn::new(default_http(), url, app_id)?;
    let started = sign_in.start("bench desk").await?;
    phone.answer(&Answer::Approve(None), 1, Duration::from_secs(10)).await?;
    sign_in.status(&started).await?.token.context("no token after approval")
}

/// The phone approves a staff sign-in; the console, long-polling the status, is open once it has
/// the token and the server has said who it belongs to. Measured from the approval's request.
pub(crate) async fn sign_in(count: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let (id, _) = create_app(&db)?;
    let server = start_server(&db, &["--push-cap", "0", "--sign-in-rate", "0", "--sign-in-app-rate", "0"])?;
    let phone = harness::staff_phone(&db, &id, &server.url, "bench desk", "helpdesk").await?;
    let state = phone.state();
    let device = iampass_proto::client::DeviceClient::new(
        default_http(),
        &state.server,
        &state.device_id,
        state.signing_key()?,
    )?;
    let console = StaffSignIn::new(default_http(), &server.url, &id)?;
    let mut h = histogram();
    for _ in 0..count {
        let started = console.start("bench desk").await?;
        let request = loop {
            if let Some(r) = device.pending(Duration::from_secs(5)).await?.requests.into_iter().next() {
                break r;
            }
        };
        let waiting = {
            let (console, started, url, id) = (console.clone(), started.clone(), server.url.clone(), id.clone());
            tokio::spawn(async move {
                let status = console.wait(&started, 20).await?;
                let token = status.token.context("no token")?;
                ManagementClient::staff(default_http(), &url, &id, &token)?.me().await?;
                anyhow::Ok(Instant::now())
            })
        };
        // Let the console's wait reach the server first, as a console does while the person reaches
        // for their phone.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let approve = iampass_proto::wire::AnswerRequest {
            decision: iampass_proto::wire::Decision::Approve,
            methods: request.methods.clone(),
            fraud: false,
            code: None,
        };
        let approved_at = Instant::now();
        device.answer(&request.session_id, &approve).await?;
        let open_at = waiting.await??;
        let _ = h.record(micros(open_at.saturating_duration_since(approved_at)));
    }
    println!("staff sign-in, {count} runs, loopback: approval on the phone → console open (token + who-am-I)");
    println!("{}", summary(&h));
    Ok(())
}

async fn enroll(client: &ManagementClient, user: &str) -> anyhow::Result<Phone> {
    let link = client.registration_link(user, None).await?;
    Ok(Phone::enroll(&link.register_url, "bench phone", "bench").await?)
}

pub(crate) async fn login(count: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let (id, secret) = create_app(&db)?;
    let server = start_server(&db, &[])?;
    let client = ManagementClient::new(&server.url, &id, &secret)?;
    client.add_users(&["ann".to_owned()]).await?;
    let phone = enroll(&client, "ann").await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let answering = tokio::spawn(async move {
        phone
            .run(&Answer::Approve(None), |a| {
                let _ = tx.send((Instant::now(), a.session.status));
            })
            .await
    });
    let mut hist = histogram();
    for _ in 0..count {
        let t0 = Instant::now();
        let r = client.authenticate_user("ann", &[], None).await?;
        anyhow::ensure!(r.authentication_status.authenticated, "login did not start");
        let (done, status) =
            tokio::time::timeout(Duration::from_secs(10), rx.recv()).await?.context("phone stopped")?;
        anyhow::ensure!(status == SessionStatus::Active, "login ended {status}");
        let _ = hist.record(micros(done - t0));
    }
    answering.abort();
    println!("login → active, auto-approving phone on loopback, sequential: {}", summary(&hist));
    drop(server);
    Ok(())
}

/// A page of 100 sessions, from `cursor`.
fn hundred(cursor: Option<String>) -> PageQuery {
    PageQuery { cursor, limit: Some(100) }
}

async fn count_pending(client: &ManagementClient) -> anyhow::Result<usize> {
    let mut filter = SessionsQuery {
        status: Some(SessionStatus::Pending),
        page: PageQuery { limit: Some(1000), ..Default::default() },
        ..Default::default()
    };
    let mut n = 0;
    loop {
        let page = client.sessions(&filter).await?;
        n += page.sessions.len();
        match page.next_cursor {
            Some(c) => filter.page.cursor = Some(c),
            None => return Ok(n),
        }
    }
}

pub(crate) async fn pending(count: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let (id, secret) = create_app(&db)?;
    let server = start_server(&db, &["--request-timeout", "3600"])?;
    let client = Arc::new(ManagementClient::new(&server.url, &id, &secret)?);
    let users: Vec<String> = (0..count).map(|i| format!("user-{i}")).collect();
    for chunk in users.chunks(5000) {
        client.add_users(chunk).await?;
    }
    let t = Instant::now();
    for chunk in users.chunks(32) {
        let enrolled = join_all(chunk.iter().map(|u| {
            let client = client.clone();
            async move { enroll(&client, u).await }
        }))
        .await;
        for e in enrolled {
            e?;
        }
    }
    println!("enrolled {count} phones in {:.1} s", t.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = server.rss_kib()?;
    let db_before = file_kib(&db);
    let t = Instant::now();
    for chunk in users.chunks(32) {
        let started = join_all(chunk.iter().map(|u| {
            let client = client.clone();
            async move { client.authenticate_user(u, &[], None).await }
        }))
        .await;
        for s in started {
            anyhow::ensure!(s?.authentication_status.authenticated, "a login did not start");
        }
    }
    let secs = t.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.rss_kib()?;
    let held = count_pending(&client).await?;
    println!("started {count} logins in {secs:.1} s ({:.0}/s); {held} pending held", count as f64 / secs);
    println!(
        "server RSS {before} KiB → {after} KiB: {:.2} KiB per pending login; database +{} KiB ({:.2} KiB each)",
        after.saturating_sub(before) as f64 / count as f64,
        file_kib(&db).saturating_sub(db_before),
        file_kib(&db).saturating_sub(db_before) as f64 / count as f64
    );
    Ok(())
}

fn file_kib(db: &std::path::Path) -> u64 {
    let wal = db.with_extension("db-wal");
    [db.to_path_buf(), wal].iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len() / 1024).sum()
}

/// Fixture only: fills the sessions table directly, as millions of logins through the API would.
fn seed(db: &std::path::Path, app_id: &str, n: usize) -> anyhow::Result<()> {
    let mut conn = rusqlite::Connection::open(db)?;
    let tx = conn.transaction()?;
    tx.execute("INSERT INTO users (app_id, external_id, created_at) VALUES (?1, 'bench-user', 0)", [app_id])?;
    let user = tx.last_insert_rowid();
    tx.execute("INSERT INTO devices (id, user_id, credential, name, platform, bound_at) VALUES ('bench-device', ?1, x'00', 'bench', 'bench', 0)", [user])?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO sessions (id, token, secret_sealed, app_id, user_id, device_id, status, methods, duration_ms, created_at, updated_at, authenticated_at)
             VALUES (?1, ?2, x'00', ?3, ?4, 'bench-device', ?5, 'acceptance', 3600000, ?6, ?6, ?6)",
        )?;
        for i in 0..n {
            let status = SessionStatus::ALL[i % SessionStatus::ALL.len()].as_str();
            stmt.execute(rusqlite::params![format!("s{i:08}"), format!("t{i:08}"), app_id, user, status, i as i64])?;
        }
    }
    tx.commit()?;
    Ok(())
}

pub(crate) async fn pages(sizes: &[usize]) -> anyhow::Result<()> {
    println!(
        "{:>9}  {:>22}  {:>22}  {:>22}  {:>22}",
        "sessions", "first page", "page at the middle", "status=active", "user + status"
    );
    for &n in sizes {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("bench.db");
        let (id, secret) = create_app(&db)?;
        seed(&db, &id, n)?;
        let server: Proc = start_server(&db, &[])?;
        let client = ManagementClient::new(&server.url, &id, &secret)?;
        let middle = (n / 2).to_string();
        let cases = [
            SessionsQuery { page: hundred(None), ..Default::default() },
            SessionsQuery { page: hundred(Some(middle)), ..Default::default() },
            SessionsQuery { page: hundred(None), status: Some(SessionStatus::Active), ..Default::default() },
            SessionsQuery { page: hundred(None), status: Some(SessionStatus::Closed), user: Some("bench-user".into()) },
        ];
        let mut cells = Vec::new();
        for f in &cases {
            let mut h = histogram();
            for _ in 0..50 {
                let t = Instant::now();
                let page = client.sessions(f).await?;
                anyhow::ensure!(page.sessions.len() == 100, "short page");
                let _ = h.record(micros(t.elapsed()));
            }
            cells.push(format!(
                "p50 {:.2} / p99 {:.2} ms",
                h.value_at_quantile(0.5) as f64 / 1e3,
                h.value_at_quantile(0.99) as f64 / 1e3
            ));
        }
        println!("{n:>9}  {:>22}  {:>22}  {:>22}  {:>22}", cells[0], cells[1], cells[2], cells[3]);
    }
    Ok(())
}

/// One start of a GUI app: (ms until it logged "page loaded", KiB of its process tree when idle).
fn start_once(bin: &std::path::Path, envs: &[(&str, String)]) -> anyhow::Result<(f64, u64)> {
    use std::io::BufRead as _;
    let t0 = Instant::now();
    let mut child = std::process::Command::new(bin)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let stderr = child.stderr.take().context("stderr")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("page loaded after") {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let loaded = rx.recv_timeout(Duration::from_secs(60));
    let result = loaded.map(|at| {
        std::thread::sleep(Duration::from_secs(3));
        ((at - t0).as_secs_f64() * 1000.0, harness::tree_rss_kib(child.id()))
    });
    let _ = child.kill();
    let _ = child.wait();
    result.context("the app never reported its page loaded")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub(crate) async fn startup(console: &std::path::Path, baseline: &std::path::Path, runs: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = |name: &str| dir.path().join(name).display().to_string();
    let console_local = |i: usize| {
        vec![
            ("IAMPASS_DESK_DATA", data(&format!("local{i}"))),
            ("IAMPASS_DESK_SECRET_STORE", "file".to_owned()),
            ("IAMPASS_DESK_START_LOCAL", "1".to_owned()),
        ]
    };
    let console_setup = |i: usize| {
        vec![("IAMPASS_DESK_DATA", data(&format!("setup{i}"))), ("IAMPASS_DESK_SECRET_STORE", "file".to_owned())]
    };
    let mut rows = Vec::new();
    for (name, bin, envs) in [
        ("minimal Tauri window", baseline, &(|_| Vec::new()) as &dyn Fn(usize) -> Vec<(&'static str, String)>),
        ("console, first run (setup screen)", console, &console_setup),
        ("console, embedded server started", console, &console_local),
    ] {
        let (mut times, mut mems) = (Vec::new(), Vec::new());
        for i in 0..runs {
            let (ms, kib) = start_once(bin, &envs(i))?;
            times.push(ms);
            mems.push(kib as f64);
        }
        rows.push((name, median(times), median(mems)));
    }
    println!("{runs} cold starts each, medians; memory is the whole process tree after 3 s idle");
    let (base_ms, base_kib) = (rows[0].1, rows[0].2);
    for (name, ms, kib) in &rows {
        println!(
            "{name:<36} page loaded {ms:>6.0} ms ({:.2}x)   idle {:>7.1} MiB ({:.2}x)",
            ms / base_ms,
            kib / 1024.0,
            kib / base_kib
        );
    }
    Ok(())
}

/// Issue 6's load run: `count` users with phones, all logging in at once.
pub(crate) async fn logins(count: usize) -> anyhow::Result<()> {
    use futures_util::StreamExt as _;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let (id, secret) = create_app(&db)?;
    let server = start_server(&db, &["--request-timeout", "120", "--push-cap", "0"])?;
    let client = Arc::new(ManagementClient::new(&server.url, &id, &secret)?);
    let users: Vec<String> = (0..count).map(|i| format!("user-{i}")).collect();
    client.add_users(&users).await?;
    let mut phones = Vec::with_capacity(count);
    for chunk in users.chunks(32) {
        for p in join_all(chunk.iter().map(|u| enroll(&client, u))).await {
            phones.push(p?);
        }
    }
    // Every session change, as the console would see it.
    let mut stream = Box::pin(client.events(None).await?);
    let counter = tokio::spawn(async move {
        let mut per_session: std::collections::HashMap<String, Vec<SessionStatus>> = std::collections::HashMap::new();
        while let Ok(Some(Ok(ev))) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
            if let iampass_proto::wire::EventData::Session(s) = ev.data {
                per_session.entry(s.session_id).or_default().push(s.status);
            }
        }
        per_session
    });
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampling = {
        let (peak, pid) = (peak.clone(), server.child.id());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(harness::tree_rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let answering: Vec<_> = phones
        .into_iter()
        .map(|p| tokio::spawn(async move { p.answer(&Answer::Approve(None), 1, Duration::from_secs(120)).await }))
        .collect();
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let start = Instant::now();
    let logins = users.iter().map(|u| {
        let (client, errors, u) = (client.clone(), errors.clone(), u.clone());
        tokio::spawn(async move {
            let t0 = Instant::now();
            let fail = || {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                None
            };
            let Ok(r) = client.authenticate_user(&u, &[], None).await else { return fail() };
            let Some(session) =
                iampass_proto::client::SessionClient::from_status(default_http(), &r.authentication_status)
            else {
                return fail();
            };
            for _ in 0..1200 {
                match session.status().await {
                    Ok(s) if s.session_status == SessionStatus::Active => return Some(t0.elapsed()),
                    Ok(s) if s.session_status.is_terminal() => return fail(),
                    Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    Err(_) => return fail(),
                }
            }
            fail()
        })
    });
    let mut hist = histogram();
    for r in join_all(logins).await {
        if let Ok(Some(d)) = r {
            let _ = hist.record(micros(d));
        }
    }
    let elapsed = start.elapsed();
    for a in join_all(answering).await {
        if !matches!(a, Ok(Ok(_))) {
            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
    sampling.abort();
    let per_session = counter.await?;
    let expected = [SessionStatus::Pending, SessionStatus::Identifying, SessionStatus::Active];
    let complete = per_session.values().filter(|v| v.as_slice() == expected).count();
    let lost = count * expected.len() - per_session.values().map(|v| v.len().min(expected.len())).sum::<usize>();
    println!("{count} concurrent logins, auto-approving phones long-polling, status polled every 100 ms");
    println!(
        "all active after {:.2} s: {:.0} logins/s; login → app sees active: {}",
        elapsed.as_secs_f64(),
        hist.len() as f64 / elapsed.as_secs_f64(),
        summary(&hist)
    );
    println!(
        "errors: {}; event stream: {complete} of {count} sessions seen exactly pending → identifying → active, {lost} events lost",
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
    println!(
        "server peak RSS during the run: {:.1} MiB",
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    );
    Ok(())
}
