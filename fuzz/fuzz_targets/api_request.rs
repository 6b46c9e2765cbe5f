//! The server's request handling, end to end in-process: every Management, Authentication,
//! registration and phone route, with a fuzzed path segment and a fuzzed JSON body (or query),
//! signed with valid credentials so the body reaches the parsers and services behind the
//! signature check. The real router, real store (a SQLite file in a temporary folder), real keys.
//!
//! Input: byte 0 picks the route; the rest is `segment\nbody`. Property: no request is answered
//! with a 5xx: bad input is the client's error, never the server's.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, Response, StatusCode};
use ed25519_dalek::SigningKey;
use iampass_device::Phone;
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::{AuthenticateResponse, RegistrationLinkResponse};
use iampass_proto::{device_v1, hmac_v1};
use iampass_proto::clock::{Clock, SystemClock};
use iampass_server::{Config, Running};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// The enrolled phone's user: inputs that would delete or unbind it are skipped, so the
/// phone routes stay reachable for the whole run.
const PHONE_USER: &str = "fuzz-phone";

struct World {
    rt: tokio::runtime::Runtime,
    server: Running,
    router: Router,
    app_id: String,
    secret: String,
    device_id: String,
    device_key: SigningKey,
    _dir: tempfile::TempDir,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    // On tmpfs where there is one: the store's fsyncs would otherwise set the pace.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.expect("temp dir");
    let mut config = Config::with_db(dir.path().join("fuzz.db"));
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    config.rate_limit_per_sec = 0;
    config.push_cap = 0;
    let (server, app, phone) = rt.block_on(async {
        let server = iampass_server::start(config, Arc::new(SystemClock)).await.expect("server starts");
        let app = server.state.create_app("Fuzz").await.expect("app");
        let client = ManagementClient::new(server.public_url(), &app.id, &app.secret).expect("client");
        client.add_users(&[PHONE_USER.to_owned()]).await.expect("add user");
        let link = client.registration_link(PHONE_USER, None).await.expect("link");
        let phone = Phone::enroll(&link.register_url, "fuzz phone", "fuzz").await.expect("enroll");
        (server, app, phone)
    });
    let router = iampass_server::http::router(server.state.clone());
    let device_key = phone.state().signing_key().expect("device key");
    World {
        router,
        app_id: app.id.clone(),
        secret: app.secret.to_string(),
        device_id: phone.state().device_id.clone(),
        device_key,
        server,
        rt,
        _dir: dir,
    }
});

enum Auth {
    None,
    App,
    Device,
}

impl World {
    fn call(&self, method: Method, target: &str, body: &[u8], auth: Auth) -> Option<(StatusCode, Vec<u8>)> {
        let mut req = Request::builder().method(method.clone()).uri(target).header("host", self.server.addr.to_string());
        match auth {
            Auth::None => {}
            Auth::App => {
                let now = SystemClock.now_secs();
                let url = format!("{}{target}", self.server.public_url());
                let h = hmac_v1::sign(&self.app_id, &self.secret, &url, now);
                req = req.header("authentication", h.authentication).header(hmac_v1::HEADER_TIMESTAMP, now.to_string());
            }
            Auth::Device => {
                let now = SystemClock.now_secs();
                let h = device_v1::sign(&self.device_key, &self.device_id, method.as_str(), target, now, body);
                req = req.header("authorization", h);
            }
        }
        let mut req = req.header("content-type", "application/json").body(Body::from(body.to_vec())).ok()?;
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let response: Response<Body> = self.rt.block_on(self.router.clone().oneshot(req)).ok()?;
        let status = response.status();
        let bytes = self.rt.block_on(axum::body::to_bytes(response.into_body(), 1 << 20)).ok()?;
        assert!(
            !status.is_server_error(),
            "{target} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
        Some((status, bytes.to_vec()))
    }

    /// A live registration token (the fuzzed body is then posted to it).
    fn fresh_token(&self) -> Option<String> {
        let (_, bytes) = self.call(Method::GET, "/management/device_registration_link/{app}/fuzz-enroll".replace("{app}", &self.app_id).as_str(), b"", Auth::App)?;
        let link: RegistrationLinkResponse = serde_json::from_slice(&bytes).ok()?;
        link.register_url.rsplit('/').next().map(str::to_owned)
    }

    /// A pending login for the phone's user (the fuzzed answer is then posted for it).
    fn fresh_session(&self) -> Option<String> {
        let target = format!("/authentication/authenticate_user/{}/{PHONE_USER}", self.app_id);
        let (_, bytes) = self.call(Method::POST, &target, br#"{"methods":["acceptance"]}"#, Auth::App)?;
        let r: AuthenticateResponse = serde_json::from_slice(&bytes).ok()?;
        r.authentication_status.session_id
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let (segment, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let Ok(segment) = std::str::from_utf8(segment) else { return };
    let touches_phone = segment.contains(PHONE_USER) || body.windows(PHONE_USER.len()).any(|w| w == PHONE_USER.as_bytes());
    let w = &*WORLD;
    let app = w.app_id.as_str();
    let query = String::from_utf8_lossy(body);
    let (method, target, auth) = match selector % 18 {
        0 => (Method::POST, format!("/management/add_users/{app}"), Auth::App),
        1 if !touches_phone => (Method::POST, format!("/management/delete_users/{app}"), Auth::App),
        2 => (Method::GET, format!("/management/device_registration_link/{app}/{segment}"), Auth::App),
        3 => (Method::GET, format!("/management/has_registered_mobile_device/{app}/{segment}"), Auth::App),
        4 if !touches_phone => (Method::GET, format!("/management/lost_user_mobile_device/{app}/{segment}"), Auth::App),
        5 => (Method::POST, format!("/management/send_registration_sms/{app}/{segment}"), Auth::App),
        6 => (Method::POST, format!("/authentication/authenticate_user/{app}/{segment}"), Auth::App),
        7 => (Method::GET, format!("/management/users/{app}?{query}"), Auth::App),
        8 => (Method::GET, format!("/management/sessions/{app}?{query}"), Auth::App),
        9 => (Method::POST, format!("/management/logout_session/{app}/{segment}"), Auth::App),
        10 => (Method::POST, format!("/management/logout_user/{app}/{segment}"), Auth::App),
        11 => (Method::GET, format!("/authentication/session_status/{segment}"), Auth::None),
        12 => match w.fresh_token() {
            Some(token) => (Method::POST, format!("/register/{token}"), Auth::None),
            None => return,
        },
        13 => match w.fresh_session() {
            Some(session) => (Method::POST, format!("/device/v1/requests/{session}"), Auth::Device),
            None => return,
        },
        14 => (Method::POST, "/device/v1/presence".to_owned(), Auth::Device),
        15 => (Method::POST, format!("/device/v1/sessions/{segment}/logout"), Auth::Device),
        16 => (Method::GET, format!("/management/audit/{app}?{query}"), Auth::App),
        _ => (Method::POST, format!("/{segment}"), Auth::None),
    };
    // Paths the HTTP layer itself would refuse never reach the router.
    if target.parse::<axum::http::Uri>().is_err() {
        return;
    }
    w.call(method, &target, body, auth);
});
