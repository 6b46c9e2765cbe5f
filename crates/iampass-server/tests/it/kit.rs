//! Starts a server per test and hands out clients, phones and raw signed requests.

use iampass_device::Phone;
use iampass_proto::client::{ManagementClient, SessionClient, default_http};
use iampass_proto::clock::{Clock as _, ManualClock};
use iampass_proto::hmac_v1;
use iampass_proto::wire::*;
use iampass_server::{Config, Running};
use std::sync::Arc;

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

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Kit {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::with_db(dir.path().join("iampass.db"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.walkaway_grace_secs = 30;
        tweak(&mut config);
        let clock = Arc::new(ManualClock::starting_now());
        let server = iampass_server::start(config, clock.clone()).await.unwrap();
        let app = server.state.create_app("Kit app").await.unwrap();
        let http = default_http();
        let client = ManagementClient::with_http(http.clone(), server.public_url(), &app.id, &app.secret).unwrap();
        Kit { app_id: app.id.clone(), secret: app.secret.to_string(), server, clock, app: client, http, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.public_url())
    }

    /// Adds `user` and binds a fresh phone to them.
    pub async fn enroll(&self, user: &str) -> Phone {
        self.app.add_users(&[user.to_owned()]).await.unwrap();
        let link = self.app.registration_link(user, Some("Test User")).await.unwrap();
        Phone::enroll(&link.register_url, "test phone", "test").await.unwrap()
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

pub async fn error_of(r: reqwest::Response) -> (u16, ErrorBody) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("not an error body ({e}): {text}")))
}
