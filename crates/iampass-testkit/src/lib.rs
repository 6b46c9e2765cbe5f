//! The test kit every crate's tests start servers with: a real `iampass-server` on 127.0.0.1 with a
//! free port and a real SQLite file in a temporary folder, an application and its signed client, a
//! phone enrolled through a real registration link, and the application's event stream. Dev-only:
//! it panics on failure, as tests should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod haproxy;
pub mod passkey;
pub mod smtp;

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use iampass_device::Phone;
use iampass_proto::client::{ClientError, ManagementClient, SessionClient, StaffSignIn, default_http};
use iampass_proto::clock::{Clock as _, ManualClock, SharedClock};
use iampass_proto::hmac_v1;
use iampass_proto::wire::*;
use iampass_server::service::CreatedApp;
use iampass_server::store::Location;
use iampass_server::{Config, Running};

/// The variable that points the suites at a PostgreSQL cluster instead of SQLite files: a URL of
/// one of its databases, whose user may create databases (the test scripts start a throwaway
/// cluster and set it).
pub const POSTGRES_ENV: &str = "IAMPASS_TEST_POSTGRES";

/// The database for the data kept in `dir`: the SQLite file `dir/iampass.db`, or, when
/// [`POSTGRES_ENV`] is set, a database of that cluster named after `dir` (created on first use,
/// so a server restarted on the same folder finds the same data). The key file beside it is made
/// here too, since a node on PostgreSQL never makes its own.
pub fn database(dir: &Path) -> (Location, std::path::PathBuf) {
    let key_file = dir.join("iampass.db.key");
    let Some(cluster) = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty()) else {
        return (Location::Sqlite(dir.join("iampass.db")), key_file);
    };
    iampass_server::crypto::Sealer::load_or_create(&key_file).unwrap();
    use sha2::Digest as _;
    let name = format!("t_{}", &hex::encode(sha2::Sha256::digest(dir.to_string_lossy().as_bytes()))[..20]);
    run_sql(&cluster, &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"), |found| {
        if !found {
            run_sql(&cluster, &format!("CREATE DATABASE {name}"), |_| ());
        }
    });
    let mut url = url_of(&cluster);
    url.set_path(&name);
    (Location::parse(url.as_str()), key_file)
}

fn url_of(s: &str) -> reqwest::Url {
    reqwest::Url::parse(s).unwrap()
}

/// Runs one statement on a PostgreSQL database (on a thread of its own: the synchronous client
/// must not run on an async worker); `then` learns whether it returned a row.
fn run_sql<T: Send>(url: &str, statement: &str, then: impl FnOnce(bool) -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            let rows = client.simple_query(statement).unwrap();
            let found = rows.iter().any(|m| matches!(m, postgres::SimpleQueryMessage::Row(_)));
            then(found)
        })
        .join()
        .unwrap()
    })
}

/// Runs `statement` on the server's database, whichever the backend (for tests that alter it
/// behind the server's back).
pub fn alter_database(db: &Location, statement: &str) {
    match db {
        Location::Sqlite(path) => {
            rusqlite::Connection::open(path).unwrap().execute_batch(statement).unwrap();
        }
        Location::Postgres(url) => run_sql(url.as_str(), statement, |_| ()),
    }
}

/// Starts a server with its database in `dir` (kept by the caller, so a test can restart a server
/// on the same data). It listens on a free loopback port unless `tweak` sets `listen`.
pub async fn start_server(dir: &Path, clock: SharedClock, tweak: impl FnOnce(&mut Config)) -> Running {
    let (db, key_file) = database(dir);
    let mut config = Config::with_db(db);
    config.key_file = key_file;
    config.listen = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    iampass_server::start(config, clock).await.unwrap()
}

/// Where tests reach a server: its loopback address, whatever public URL it is configured with
/// (network tests never leave loopback).
pub fn base_url(server: &Running) -> String {
    let scheme = if server.state.config.tls_cert.is_some() { "https" } else { "http" };
    format!("{scheme}://{}", server.addr)
}

/// Creates an application on `server` (with number matching if asked) and a client signed with it.
pub async fn new_app(server: &Running, name: &str, number_matching: bool) -> (CreatedApp, ManagementClient) {
    let s = &server.state;
    let app = iampass_server::service::apps::create(&s.store, &s.sealer, name, number_matching, s.now()).await.unwrap();
    let client = ManagementClient::with_http(default_http(), &base_url(server), &app.id, &app.secret).unwrap();
    (app, client)
}

/// Adds `user` (if new) and binds a fresh reference phone to them through a real registration link.
pub async fn enroll_cli_phone(app: &ManagementClient, user: &str) -> Phone {
    app.add_users(&[user.to_owned()]).await.unwrap();
    let link = app.registration_link(user, Some("Test User")).await.unwrap();
    Phone::enroll(&link.register_url, "test phone", "test").await.unwrap()
}

/// Adds a staff member through `admin` (the application's or an admin's client) and binds a fresh
/// reference phone to them at their registration link.
pub async fn add_staff(admin: &ManagementClient, name: &str, role: StaffRole) -> (StaffAdded, Phone) {
    let added = admin.add_staff(name, role).await.unwrap();
    let phone = Phone::enroll(&added.registration_link, "staff phone", "test").await.unwrap();
    (added, phone)
}

/// Signs a staff member in by approving the push on their phone; returns a client acting as them
/// and its bearer token.
pub async fn sign_in_staff(server: &Running, app_id: &str, name: &str, phone: &Phone) -> (ManagementClient, String) {
    let base = base_url(server);
    let sign_in = StaffSignIn::new(default_http(), &base, app_id).unwrap();
    let started = sign_in.start(name).await.unwrap();
    let answer = match &started.verification_code {
        Some(code) => iampass_device::Answer::ApproveWithCode { methods: None, code: code.clone() },
        None => iampass_device::Answer::Approve(None),
    };
    phone.answer(&answer, 1, std::time::Duration::from_secs(10)).await.unwrap();
    let status = sign_in.status(&started).await.unwrap();
    let token = status.token.clone().unwrap_or_else(|| panic!("no token after approval: {status:?}"));
    (ManagementClient::staff(default_http(), &base, app_id, &token).unwrap(), token)
}

/// A staff member signed in through a [`Kit`].
#[derive(Debug)]
pub struct SignedIn {
    pub client: ManagementClient,
    pub token: String,
    pub phone: Phone,
    pub added: StaffAdded,
}

/// The application's event stream from just after `last_event_id` (or from now).
pub async fn event_stream(
    app: &ManagementClient,
    last_event_id: Option<u64>,
) -> Pin<Box<dyn Stream<Item = Result<Event, ClientError>> + Send>> {
    Box::pin(app.events(last_event_id).await.unwrap())
}

/// A server on a manual clock, its application, and helpers for the server's own tests.
#[derive(Debug)]
pub struct Kit {
    pub server: Running,
    pub clock: Arc<ManualClock>,
    pub app: ManagementClient,
    pub app_id: String,
    pub secret: String,
    pub http: reqwest::Client,
    /// Holds the database folder for the test's lifetime.
    _dir: tempfile::TempDir,
}

impl Kit {
    pub async fn start() -> Kit {
        Self::start_with(|_| {}).await
    }

    /// As [`Kit::start`], with settings changed first (the walkaway grace is 30 s unless changed).
    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Kit {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::starting_now());
        let server = start_server(dir.path(), clock.clone(), |c| {
            c.walkaway_grace_secs = 30;
            tweak(c);
        })
        .await;
        let (app, client) = new_app(&server, "Kit app", false).await;
        Kit {
            app_id: app.id.clone(),
            secret: app.secret.to_string(),
            server,
            clock,
            app: client,
            http: default_http(),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", base_url(&self.server))
    }

    /// Adds `user` and binds a fresh phone to them.
    pub async fn enroll(&self, user: &str) -> Phone {
        enroll_cli_phone(&self.app, user).await
    }

    /// Adds a staff member with a fresh phone, and signs them in.
    pub async fn staff(&self, name: &str, role: StaffRole) -> SignedIn {
        let (added, phone) = add_staff(&self.app, name, role).await;
        let (client, token) = sign_in_staff(&self.server, &self.app_id, name, &phone).await;
        SignedIn { client, token, phone, added }
    }

    /// Starts a login and returns its status and a client for its status/logout URLs.
    pub async fn login(&self, user: &str, methods: &[Method]) -> (AuthenticationStatus, SessionClient) {
        let r = self.app.authenticate_user(user, methods, None).await.unwrap();
        let s = r.authentication_status;
        let client = SessionClient::from_status(self.http.clone(), &s).expect("login started");
        (s, client)
    }

    pub async fn sweep(&self) -> usize {
        self.server.state.sweep_once().await.unwrap()
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }

    /// Protocol-1 headers for `path` with this kit's app credentials, signed now.
    pub fn sign(&self, path: &str) -> (String, String) {
        let now = self.clock.now_secs();
        let h = hmac_v1::sign(&self.app_id, &self.secret, &self.url(path), now);
        (h.authentication, h.timestamp.to_string())
    }

    pub fn signed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let (auth, ts) = self.sign(path);
        self.http
            .request(method, self.url(path))
            .header("Authentication", auth)
            .header("X-IAMPASS-Authentication-Timestamp", ts)
    }
}

/// The status and JSON error body of a refused request.
pub async fn error_of(r: reqwest::Response) -> (u16, ErrorBody) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an error body ({e}): {text}")))
}
