//! Several nodes on PostgreSQL (issue 14): signed requests on one PostgreSQL node beside one SQLite
//! node, three nodes behind HAProxy beside one, an event's trip from a commit on one node to
//! another node's stream, and what a killed node's clients see. Needs a PostgreSQL database whose
//! user may create tables (a fresh cluster from `tests/common/postgres start DIR --durable`) and
//! HAProxy.

use std::ffi::OsStr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use futures_util::StreamExt as _;
use iampass_proto::client::{ManagementClient, default_http};
use iampass_proto::wire::{Event, EventData};

use crate::harness::{Proc, histogram, micros, sibling, spawn, summary};
use crate::raw::{self, Target};
use iampass_testkit::haproxy::{Haproxy, free_port};

/// One key for every node of the run (nodes on one database share theirs), made afresh.
fn key() -> &'static str {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect())
}

fn server(db: &OsStr) -> anyhow::Result<Command> {
    let mut cmd = Command::new(sibling("iampass-server")?);
    cmd.arg("--db").arg(db).env("IAMPASS_KEY", key()).env("IAMPASS_CONFIG", "/dev/null").env("IAMPASS_LOG", "warn");
    Ok(cmd)
}

fn create_app(db: &OsStr) -> anyhow::Result<(String, String)> {
    let out = server(db)?.args(["app", "create", "--name", "bench", "--json"]).output()?;
    anyhow::ensure!(out.status.success(), "app create failed: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok((
        v["application_id"].as_str().context("id")?.to_owned(),
        v["application_secret"].as_str().context("secret")?.to_owned(),
    ))
}

fn node(db: &OsStr) -> anyhow::Result<Proc> {
    let mut cmd = server(db)?;
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--rate-limit", "0", "--push-cap", "0"]);
    spawn(cmd)
}

/// HAProxy with the shipped configuration, listening on a free port, in front of `nodes`.
fn haproxy(dir: &std::path::Path, nodes: &[&Proc]) -> anyhow::Result<Haproxy> {
    let addrs: Vec<String> = nodes.iter().map(|n| n.url.trim_start_matches("http://").to_owned()).collect();
    Haproxy::start(dir, free_port()?, &addrs).context("haproxy (apt install haproxy)")
}

/// Transactions the database committed so far (all databases of the cluster).
fn commits(postgres: &str) -> anyhow::Result<u64> {
    let out = Command::new("psql")
        .args(["-Atq", postgres, "-c", "SELECT sum(xact_commit) FROM pg_stat_database"])
        .output()
        .context("psql")?;
    anyhow::ensure!(out.status.success(), "psql: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

pub(crate) async fn cluster(
    postgres: &str,
    concurrency: &[usize],
    seconds: u64,
    max_rate: usize,
    events: usize,
) -> anyhow::Result<()> {
    anyhow::ensure!(!concurrency.is_empty(), "no concurrency to run at");
    let dir = tempfile::tempdir()?;
    let sqlite = dir.path().join("bench.db");
    let (sq_id, sq_secret) = create_app(sqlite.as_os_str())?;
    let (id, secret) = create_app(OsStr::new(postgres))?;
    let lite = node(sqlite.as_os_str())?;
    let nodes = (0..3).map(|_| node(OsStr::new(postgres))).collect::<anyhow::Result<Vec<_>>>()?;
    let proxy = haproxy(dir.path(), &nodes.iter().collect::<Vec<_>>())?;
    let client = |url: &str, id: &str, secret: &str| ManagementClient::with_http(default_http(), url, id, secret);
    let on_lite = Arc::new(client(&lite.url, &sq_id, &sq_secret)?);
    let on_pg = Arc::new(client(&nodes[0].url, &id, &secret)?);
    let via_proxy = Arc::new(client(&proxy.url, &id, &secret)?);
    let mut up = false;
    for _ in 0..100 {
        if via_proxy.users(None, Some(1)).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(up, "HAProxy did not come up");
    on_lite.add_users(&["bench-user".to_owned()]).await?;
    on_pg.add_users(&["bench-user".to_owned()]).await?;
    let route = |app: &str| format!("/management/has_registered_mobile_device/{app}/bench-user");
    // Each target with the credentials it is signed for and the process whose CPU is read beside
    // the generator's (for the proxy, HAProxy's: the nodes share the machine).
    let lite_target = (Target::new(&lite.url, &route(&sq_id))?, sq_id.as_str(), sq_secret.as_str(), lite.child.id());
    let pg_target = (Target::new(&nodes[0].url, &route(&id))?, id.as_str(), secret.as_str(), nodes[0].child.id());
    let proxy_target = (Target::new(&proxy.url, &route(&id))?, id.as_str(), secret.as_str(), proxy.pid());
    for target in [&lite_target, &pg_target, &proxy_target] {
        signed_run(target, max_rate, concurrency[0], 1.0).await?;
    }
    println!("{seconds} s each, loopback, requests signed before the clock (a nonce each)");
    // The best each backend did at any concurrency: its capacity on this machine, which a level
    // too low for it (PostgreSQL's requests each wait for a trip and a batch) does not show.
    let (mut best_lite, mut best_pg, mut best_proxy) = (0f64, 0f64, 0f64);
    let secs = seconds as f64;
    for &level in concurrency {
        let lite_load = signed_run(&lite_target, max_rate, level, secs).await?;
        let before = commits(postgres)?;
        let pg_load = signed_run(&pg_target, max_rate, level, secs).await?;
        let per_request = (commits(postgres)? - before) as f64 / (pg_load.ok + pg_load.errors).max(1) as f64;
        let proxy_load = signed_run(&proxy_target, max_rate, level, secs).await?;
        println!("concurrency {level}:");
        raw::report("one node, SQLite", &lite_load);
        raw::report("one node, PostgreSQL", &pg_load);
        raw::report("three nodes behind HAProxy, PostgreSQL", &proxy_load);
        println!("(on the HAProxy line, the CPU a request is HAProxy's own: the three nodes share the machine)");
        if [&lite_load, &pg_load, &proxy_load].iter().any(|r| r.generator_bound()) {
            println!("no ratios at this level: the load generator was busy 90 % of its time or more");
            continue;
        }
        println!(
            "PostgreSQL / SQLite: {:.0}%; three nodes behind HAProxy / one PostgreSQL node: {:.0}%; \
             {per_request:.2} committed transactions per signed request",
            100.0 * pg_load.rps() / lite_load.rps(),
            100.0 * proxy_load.rps() / pg_load.rps()
        );
        best_lite = best_lite.max(lite_load.rps());
        best_pg = best_pg.max(pg_load.rps());
        best_proxy = best_proxy.max(proxy_load.rps());
    }
    println!(
        "best of each (levels the generator did not set): SQLite {best_lite:.0} req/s, PostgreSQL {best_pg:.0} ({:.0}%), \
         three nodes behind HAProxy {best_proxy:.0} ({:.0}% of one PostgreSQL node)",
        100.0 * best_pg / best_lite,
        100.0 * best_proxy / best_pg
    );

    // A change committed on node 0 → seen on node 2's stream.
    let on_c = client(&nodes[2].url, &id, &secret)?;
    let mut stream = Box::pin(on_c.events(None).await?);
    // The change's own request (sent → answered after its commit) beside its trip to another node's
    // stream (sent → on C's stream): the second can be shorter, the event overtaking the answer.
    let (mut answered, mut seen_on_c) = (histogram(), histogram());
    for i in 0..events {
        let name = format!("lat{i}");
        let sent = Instant::now();
        on_pg.add_users(std::slice::from_ref(&name)).await?;
        let _ = answered.record(micros(sent.elapsed()));
        loop {
            let event =
                tokio::time::timeout(Duration::from_secs(10), stream.next()).await?.context("stream ended")??;
            if matches!(&event.data, EventData::User(u) if u.user_id == name) {
                break;
            }
        }
        let _ = seen_on_c.record(micros(sent.elapsed()));
    }
    println!("a change on node 1, sent → answered: {}", summary(&answered));
    println!("a change on node 1, sent → on node 3's stream: {}", summary(&seen_on_c));

    failover(&proxy.url, &id, &secret, nodes, events.min(30)).await
}

/// One run of requests to a target, signed before the clock (a nonce each) for up to
/// `max_rate` a second: the target, its credentials, and the process whose CPU is read.
async fn signed_run(
    (target, id, secret, pid): &(Target, &str, &str, u32),
    max_rate: usize,
    level: usize,
    secs: f64,
) -> anyhow::Result<raw::Run> {
    raw::run(target, Arc::new(target.signed_for(id, secret, max_rate, secs)?), level, secs, *pid).await
}

/// Event streams through HAProxy, each reconnecting with `Last-Event-ID` when its connection
/// breaks, and phones long-polling through it; one node killed; how long until every stream has
/// the change made after the kill and every phone the login started after it.
async fn failover(proxy: &str, id: &str, secret: &str, mut nodes: Vec<Proc>, streams: usize) -> anyhow::Result<()> {
    let app = Arc::new(ManagementClient::with_http(default_http(), proxy, id, secret)?);
    app.add_users(&["mark".to_owned()]).await?;
    let mut probe = Box::pin(app.events(Some(0)).await?);
    let mut mark = 0;
    while mark == 0 {
        let event = tokio::time::timeout(Duration::from_secs(10), probe.next()).await?.context("ended")??;
        if matches!(&event.data, EventData::User(u) if u.user_id == "mark") {
            mark = event.id;
        }
    }
    let caught_up: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; streams]));
    let mut tasks = Vec::new();
    for i in 0..streams {
        let (app, caught_up) = (app.clone(), caught_up.clone());
        tasks.push(tokio::spawn(async move {
            let mut last = mark;
            let mut reconnects = 0u32;
            while reconnects < 100 {
                if let Ok(s) = app.events(Some(last)).await {
                    let mut s = Box::pin(s);
                    while let Some(Ok(event)) = s.next().await {
                        last = event.id;
                        if is_after_kill(&event) {
                            caught_up.lock().map(|mut c| c[i] = Some(Instant::now())).ok();
                        }
                    }
                }
                reconnects += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    // Phones long-polling through the proxy, each polling again at once when its poll breaks.
    let woken: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; streams]));
    let armed = Arc::new(AtomicBool::new(false));
    for i in 0..streams {
        let user = format!("phone{i}");
        app.add_users(std::slice::from_ref(&user)).await?;
        let link = app.registration_link(&user, None).await?;
        let token = link.register_url.split_once("/register/").context("a registration link")?.1;
        let phone = iampass_device::Phone::enroll(&format!("{proxy}/register/{token}"), "phone", "bench").await?;
        let (woken, armed) = (woken.clone(), armed.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..1000 {
                match phone.pending(Duration::from_secs(20)).await {
                    Ok(requests) if !requests.is_empty() && armed.load(Ordering::SeqCst) => {
                        woken.lock().map(|mut w| w[i] = Some(Instant::now())).ok();
                        return;
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut victim = nodes.remove(0);
    armed.store(true, Ordering::SeqCst);
    victim.child.kill()?;
    let killed = Instant::now();
    let survivor = ManagementClient::with_http(default_http(), &nodes[0].url, id, secret)?;
    survivor.add_users(&["after-kill".to_owned()]).await?;
    for i in 0..streams {
        survivor.authenticate_user(&format!("phone{i}"), &[], None).await?;
    }
    let deadline = killed + Duration::from_secs(30);
    for (what, list) in [("event streams: the next change", &caught_up), ("phones' long-polls: the next login", &woken)]
    {
        let times = loop {
            let done: Vec<Duration> =
                list.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.iter().flatten().map(|t| *t - killed).collect();
            if done.len() == streams {
                break done;
            }
            anyhow::ensure!(Instant::now() < deadline, "{what}: {} of {streams} within 30 s", done.len());
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let mut h = histogram();
        for t in &times {
            let _ = h.record(micros(*t));
        }
        println!("{streams} {what}, through HAProxy, from a node's kill: {}", summary(&h));
    }
    for t in tasks {
        t.abort();
    }
    Ok(())
}

fn is_after_kill(event: &Event) -> bool {
    matches!(&event.data, EventData::User(u) if u.user_id == "after-kill")
}
