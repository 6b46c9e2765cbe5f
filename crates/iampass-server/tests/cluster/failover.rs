//! Three node processes on one database; the one that leads is SIGKILLed in the middle of 500
//! logins spread over all three. Every login acknowledged before the kill reaches its final
//! state, the survivors' event streams lose and double nothing, and the leader's work (the
//! sweeper, the webhook) moves to a survivor.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use iampass_device::{Answer, Phone};
use iampass_proto::client::{ManagementClient, default_http};
use iampass_proto::wire::{Event, EventData, SessionStatus, WebhookDelivery};

use crate::{BOUNDED, postgres_url};

const LOGINS: usize = 500;
const USERS: usize = 30;
const SILENT: usize = 5;

struct Node {
    child: Child,
    url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server(db: &str, key: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_iampass-server"));
    cmd.args(["--db", db, "--key-file"]).arg(key).env("IAMPASS_CONFIG", "/dev/null").env("IAMPASS_LOG", "warn");
    cmd
}

fn start_node(db: &str, key: &std::path::Path, hook: &str, hook_secret: &std::path::Path, log: std::fs::File) -> Node {
    let mut child = server(db, key)
        .args(["serve", "--listen", "127.0.0.1:0", "--request-timeout", "4", "--push-cap", "0"])
        .args(["--webhook-url", hook, "--webhook-secret-file"])
        .arg(hook_secret)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    Node { child, url }
}

/// Whether the node at `url` says (on /metrics) that it leads.
async fn leads(url: &str) -> bool {
    let Ok(r) = default_http().get(format!("{url}/metrics")).send().await else { return false };
    r.text().await.unwrap_or_default().lines().any(|l| l.trim() == "iampass_cluster_leader 1")
}

/// Which of `urls` takes the lead, and how long after the call it said so (bounded).
async fn time_to_new_leader(urls: Vec<String>) -> (usize, Duration) {
    let since = Instant::now();
    while since.elapsed() < BOUNDED {
        for (i, url) in urls.iter().enumerate() {
            if leads(url).await {
                return (i, since.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no survivor took the lead within {BOUNDED:?}");
}

/// A webhook receiver on loopback that takes everything and keeps the event ids in order.
async fn receiver() -> (String, Arc<Mutex<Vec<u64>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let ids = Arc::new(Mutex::new(Vec::new()));
    let seen = ids.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let delivery: WebhookDelivery = serde_json::from_slice(&body).unwrap();
            seen.lock().unwrap().push(delivery.event.id);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, ids)
}

/// Collects an event stream into a shared list until dropped.
fn follow(client: &ManagementClient, after: u64) -> (Arc<Mutex<Vec<Event>>>, tokio::task::JoinHandle<()>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let (kept, client) = (events.clone(), client.clone());
    let task = tokio::spawn(async move {
        let mut stream = Box::pin(client.events(Some(after)).await.unwrap());
        while let Some(Ok(event)) = stream.next().await {
            kept.lock().unwrap().push(event);
        }
    });
    (events, task)
}

/// Answers every request for this phone, moving to the next node when its node is gone.
fn run_phone(phone: Phone, urls: Vec<String>, first: usize, dead: Arc<Mutex<BTreeSet<usize>>>, done: Arc<AtomicBool>) {
    tokio::spawn(async move {
        let mut at = first;
        while !done.load(Ordering::Relaxed) {
            if dead.lock().unwrap().contains(&at) {
                at = (at + 1) % urls.len();
                continue;
            }
            let mut state = phone.state().clone();
            state.server = urls[at].clone();
            let on_node = Phone::from_state(state).unwrap();
            if on_node.answer(&Answer::Approve(None), 1, Duration::from_secs(1)).await.is_err() {
                // Nothing came within the second, or the node is gone: look again (elsewhere).
                tokio::task::yield_now().await;
            }
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs IAMPASS_TEST_POSTGRES"]
async fn a_node_killed_during_500_logins_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = postgres_url(dir.path());
    let key = dir.path().join("iampass.db.key");
    let out = server(&db, &key).args(["app", "create", "--name", "Failover", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let app: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (app_id, secret) = (app["application_id"].as_str().unwrap(), app["application_secret"].as_str().unwrap());
    let (hook, delivered) = receiver().await;
    let hook_secret = dir.path().join("hook.secret");
    std::fs::write(&hook_secret, "failover-webhook-secret-0123").unwrap();
    let nodes: Vec<Node> = (0..3)
        .map(|i| {
            let log = std::fs::File::create(dir.path().join(format!("node{i}.log"))).unwrap();
            start_node(&db, &key, &hook, &hook_secret, log)
        })
        .collect();
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    let clients: Vec<ManagementClient> =
        urls.iter().map(|u| ManagementClient::with_http(default_http(), u, app_id, secret).unwrap()).collect();

    let mut phones = Vec::new();
    for u in 0..USERS + SILENT {
        let name = format!("user{u}");
        let app = &clients[u % 3];
        app.add_users(std::slice::from_ref(&name)).await.unwrap();
        let link = app.registration_link(&name, None).await.unwrap();
        phones.push(Phone::enroll(&link.register_url, "phone", "test").await.unwrap());
    }
    let mut leader = None;
    for _ in 0..200 {
        for (i, node) in nodes.iter().enumerate() {
            if leads(&node.url).await {
                leader = Some(i);
            }
        }
        if leader.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let leader = leader.expect("a node leads");
    let survivors: Vec<usize> = (0..3).filter(|&i| i != leader).collect();
    let streams: Vec<_> = survivors.iter().map(|&s| follow(&clients[s], 0)).collect();

    let dead = Arc::new(Mutex::new(BTreeSet::new()));
    let done = Arc::new(AtomicBool::new(false));
    for (u, phone) in phones.into_iter().enumerate().take(USERS) {
        run_phone(phone, urls.clone(), u % 3, dead.clone(), done.clone());
    }

    let survivor_urls: Vec<String> = survivors.iter().map(|&s| urls[s].clone()).collect();
    let mut nodes = nodes.into_iter().map(Some).collect::<Vec<_>>();
    let mut takeover = None;
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for i in 0..LOGINS {
        if i == LOGINS / 2 {
            let mut node = nodes[leader].take().unwrap();
            node.child.kill().unwrap();
            node.child.wait().unwrap();
            dead.lock().unwrap().insert(leader);
            takeover = Some(tokio::spawn(time_to_new_leader(survivor_urls.clone())));
        }
        let at = if dead.lock().unwrap().contains(&(i % 3)) { survivors[i % 2] } else { i % 3 };
        match clients[at].authenticate_user(&format!("user{}", i % USERS), &[], None).await {
            Ok(r) => acknowledged.push(r.authentication_status.session_id.unwrap()),
            Err(_) => refused += 1,
        }
    }
    // Logins nobody answers: only a sweeper (the new leader's) can time them out.
    let mut silent = Vec::new();
    for u in USERS..USERS + SILENT {
        let r = clients[survivors[0]].authenticate_user(&format!("user{u}"), &[], None).await.unwrap();
        silent.push(r.authentication_status.session_id.unwrap());
    }
    let (new_leader, takeover) = takeover.unwrap().await.unwrap();
    let new_leader = survivors[new_leader];

    // Every acknowledged login and every silent one reaches its end on both survivors' streams.
    let wanted: BTreeSet<&str> = acknowledged.iter().chain(&silent).map(String::as_str).collect();
    let deadline = Instant::now() + BOUNDED * 3;
    loop {
        let complete = streams.iter().all(|(events, _)| {
            let events = events.lock().unwrap();
            let finals = final_states(&events);
            wanted.iter().all(|s| finals.contains_key(*s))
        });
        if complete {
            break;
        }
        assert!(Instant::now() < deadline, "some acknowledged logins never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    done.store(true, Ordering::Relaxed);

    // The survivors' streams: no event twice, ids in order, the same events on both, and what the
    // database holds (a fresh stream from the same point reads it).
    clients[survivors[0]].add_users(&["end-marker".to_owned()]).await.unwrap();
    let latest = loop {
        let ends: Vec<Option<u64>> = streams.iter().map(|(events, _)| marker(&events.lock().unwrap())).collect();
        if let [Some(a), Some(b)] = ends[..] {
            assert_eq!(a, b);
            break a;
        }
        assert!(Instant::now() < deadline, "the marker never reached both streams");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let replay = collect_until(&clients[survivors[1]], 0, latest).await;
    let stored: Vec<u64> = replay.iter().map(|e| e.id).collect();
    for (events, task) in &streams {
        let ids: Vec<u64> = {
            let events = events.lock().unwrap();
            events.iter().map(|e| e.id).filter(|&id| id <= latest).collect()
        };
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "a stream doubled or reordered an event");
        assert_eq!(ids, stored, "a survivor's live stream differs from the stored events");
        task.abort();
    }
    let finals = final_states(&replay);
    let approved = acknowledged.iter().filter(|s| finals[s.as_str()] == SessionStatus::Active).count();
    for s in &silent {
        assert_eq!(finals[s.as_str()], SessionStatus::Timeout, "the sweeper ended the unanswered login");
    }
    for s in &acknowledged {
        assert!(matches!(finals[s.as_str()], SessionStatus::Active | SessionStatus::Timeout));
    }

    // The webhook: every stored event reaches the receiver, the ones after the kill through the
    // new leader (some just before the kill may come twice: delivery is at least once).
    let deadline = Instant::now() + BOUNDED * 3;
    loop {
        let got: BTreeSet<u64> = delivered.lock().unwrap().iter().copied().collect();
        if stored.iter().all(|id| got.contains(id)) {
            break;
        }
        assert!(Instant::now() < deadline, "the webhook lost events after the leader died");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let repeats = {
        let got = delivered.lock().unwrap();
        got.len() - got.iter().collect::<BTreeSet<_>>().len()
    };
    println!(
        "{} logins acknowledged ({approved} approved, the others timed out), {refused} refused by the dying node; \
         {} events on each survivor's stream, none lost or doubled; node {new_leader} took the lead {:.2} s after \
         node {leader} was killed; {repeats} webhook deliveries repeated",
        acknowledged.len(),
        stored.len(),
        takeover.as_secs_f64()
    );
}

/// The last state each session reached in `events` (if it ended).
fn final_states(events: &[Event]) -> HashMap<&str, SessionStatus> {
    let mut out = HashMap::new();
    for e in events {
        if let EventData::Session(s) = &e.data
            && matches!(s.status, SessionStatus::Active | SessionStatus::Timeout | SessionStatus::Cancelled)
        {
            out.insert(s.session_id.as_str(), s.status);
        }
    }
    out
}

/// The id of the event that added the end marker, once the stream carried it.
fn marker(events: &[Event]) -> Option<u64> {
    events.iter().find(|e| matches!(&e.data, EventData::User(u) if u.user_id == "end-marker")).map(|e| e.id)
}

async fn collect_until(client: &ManagementClient, after: u64, last: u64) -> Vec<Event> {
    let mut stream = Box::pin(client.events(Some(after)).await.unwrap());
    let mut out = Vec::new();
    while out.last().is_none_or(|e: &Event| e.id < last) {
        match tokio::time::timeout(BOUNDED, stream.next()).await {
            Ok(Some(Ok(e))) => out.push(e),
            other => panic!("the stored events ended early: {other:?}"),
        }
    }
    out
}
