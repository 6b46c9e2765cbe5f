//! Web Push to web phones, as the standards define it: the message encrypted for the browser's
//! subscription (`aes128gcm`, RFC 8291), the server identified to the push service by a VAPID
//! token (RFC 8292) signed with a P-256 key the server makes on first start and keeps sealed like
//! every other secret, a TTL equal to the login's timeout and high urgency (RFC 8030).
//!
//! Pushing never holds up a login: it runs in the background, retries a push service's 429 and
//! 5xx answers (and network failures) with backoff until the login would time out, and forgets a
//! subscription the push service says is gone (404, 410). Subscriptions may only name the
//! browsers' push services (or hosts the operator adds), so a phone cannot make the server post
//! to arbitrary addresses.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iampass_proto::wire::{LoginPush, PushSubscriptionJson};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use web_push_native::{Auth, WebPushBuilder};

use crate::clock::Millis;
use crate::crypto::Sealer;
use crate::domain::Invalid;
use crate::error::ServiceError;
use crate::state::AppState;
use crate::store::prelude::*;
use crate::store::{Db, PushSubscription, StoreError};

/// The browsers' push services: Chrome and Android (FCM), Firefox, Safari and iOS, Edge.
const PUSH_SERVICES: &[&str] =
    &["fcm.googleapis.com", "updates.push.services.mozilla.com", ".push.apple.com", ".notify.windows.com"];
const VAPID_SECRET: &str = "vapid";
/// Longest a VAPID token is valid (RFC 8292 allows up to 24 hours).
const VAPID_LIFETIME_SECS: i64 = 12 * 3600;
const MAX_ENDPOINT_CHARS: usize = 2048;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// The context a server secret is sealed under (its row).
pub fn server_secret_context(name: &str) -> String {
    format!("server-secret:{name}")
}

#[derive(Debug, thiserror::Error)]
pub enum PushKeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored VAPID key cannot be opened with this key file")]
    Unreadable,
}

/// The server's Web Push identity and what it may send to.
pub struct PushSender {
    key: SigningKey,
    public_key: String,
    contact: String,
    extra_hosts: Vec<String>,
    http: reqwest::Client,
}

impl std::fmt::Debug for PushSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSender").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

impl PushSender {
    /// Opens the server's VAPID key, making and storing it on first start.
    pub async fn load(
        store: &Db,
        sealer: &Sealer,
        contact: String,
        extra_hosts: Vec<String>,
        now: Millis,
    ) -> Result<Self, PushKeyError> {
        let context = server_secret_context(VAPID_SECRET);
        let fresh = zeroize::Zeroizing::new(hex::encode(SigningKey::random(&mut rand::rngs::OsRng).to_bytes()));
        let stored = store.server_secret(VAPID_SECRET, sealer.seal(&context, &fresh), now).await?;
        let hex_key = sealer.open(&context, &stored).map_err(|_| PushKeyError::Unreadable)?;
        let bytes = zeroize::Zeroizing::new(hex::decode(hex_key.as_str()).map_err(|_| PushKeyError::Unreadable)?);
        let key = SigningKey::from_slice(&bytes).map_err(|_| PushKeyError::Unreadable)?;
        let public_key = URL_SAFE_NO_PAD.encode(key.verifying_key().to_encoded_point(false).as_bytes());
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Ok(Self { key, public_key, contact, extra_hosts, http })
    }

    /// The `applicationServerKey` browsers subscribe with.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Checks a browser's subscription: an endpoint at a push service this server may post to,
    /// and keys that are a P-256 point and a 16-byte secret.
    pub fn check(&self, sub: &PushSubscriptionJson) -> Result<PushSubscription, Invalid> {
        let bad = |why: &str| Invalid::new("invalid_subscription", why.to_owned());
        let url = url::Url::parse(&sub.endpoint).map_err(|_| bad("the endpoint is not a URL"))?;
        let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']).to_ascii_lowercase();
        let extra = self.extra_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
        let known = PUSH_SERVICES.iter().any(|s| host == *s || (s.starts_with('.') && host.ends_with(s)));
        if sub.endpoint.len() > MAX_ENDPOINT_CHARS || !(known && url.scheme() == "https" || extra) {
            return Err(bad("the endpoint is not at a push service this server sends to"));
        }
        let p256dh = URL_SAFE_NO_PAD.decode(sub.keys.p256dh.trim_end_matches('=')).map_err(|_| bad("bad p256dh"))?;
        p256::PublicKey::from_sec1_bytes(&p256dh).map_err(|_| bad("p256dh is not a P-256 public key"))?;
        let auth = URL_SAFE_NO_PAD.decode(sub.keys.auth.trim_end_matches('=')).map_err(|_| bad("bad auth"))?;
        if auth.len() != 16 {
            return Err(bad("auth must be 16 bytes"));
        }
        Ok(PushSubscription { endpoint: sub.endpoint.clone(), p256dh, auth })
    }

    /// `vapid t=<JWT>, k=<public key>`: an ES256 token for the endpoint's origin (RFC 8292).
    fn vapid(&self, endpoint: &url::Url, now_secs: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now_secs + VAPID_LIFETIME_SECS,
            "sub": self.contact,
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{claims}");
        let signature: p256::ecdsa::Signature = self.key.sign(signed.as_bytes());
        format!("vapid t={signed}.{}, k={}", URL_SAFE_NO_PAD.encode(signature.to_bytes()), self.public_key)
    }

    /// The encrypted, signed request for one message.
    fn request(
        &self,
        sub: &PushSubscription,
        body: &[u8],
        ttl: Duration,
        now_secs: i64,
    ) -> Result<reqwest::Request, String> {
        let endpoint = url::Url::parse(&sub.endpoint).map_err(|e| e.to_string())?;
        let ua_public = p256::PublicKey::from_sec1_bytes(&sub.p256dh).map_err(|e| e.to_string())?;
        let auth = Auth::clone_from_slice(sub.auth.get(..16).ok_or("short auth secret")?);
        let request = WebPushBuilder::new(sub.endpoint.parse().map_err(|e| format!("{e}"))?, ua_public, auth)
            .with_valid_duration(ttl)
            .build(body.to_vec())
            .map_err(|e| e.to_string())?;
        let mut request = reqwest::Request::try_from(request).map_err(|e| e.to_string())?;
        let headers = request.headers_mut();
        let vapid = self.vapid(&endpoint, now_secs);
        headers.insert(reqwest::header::AUTHORIZATION, vapid.parse().map_err(|_| "bad VAPID header")?);
        headers.insert("urgency", reqwest::header::HeaderValue::from_static("high"));
        Ok(request)
    }
}

impl AppState {
    /// Tells the phone of a new login by Web Push, if it has a subscription; in the background.
    pub(crate) fn push_login(&self, device_id: &str, message: LoginPush, expires_at: Millis) {
        let (state, device_id) = (self.clone(), device_id.to_owned());
        tokio::spawn(async move {
            if let Err(e) = state.deliver(&device_id, &message, expires_at).await {
                tracing::warn!(error = %e, "web push failed");
            }
        });
    }

    async fn deliver(&self, device_id: &str, message: &LoginPush, expires_at: Millis) -> Result<(), ServiceError> {
        let Some(sub) = self.store.push_subscription(device_id).await? else { return Ok(()) };
        let body = serde_json::to_vec(message).map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut delay = FIRST_RETRY;
        loop {
            // Whole seconds, rounded up: the first attempt's TTL is the login's timeout.
            let left = Duration::from_secs(u64::try_from(expires_at - self.now()).unwrap_or(0).div_ceil(1000));
            if left.is_zero() {
                metrics::counter!("iampass_web_push_total", "outcome" => "expired").increment(1);
                return Ok(());
            }
            let request =
                self.push.request(&sub, &body, left, self.clock.now_secs()).map_err(ServiceError::Internal)?;
            let retry = match self.push.http.execute(request).await {
                Ok(r) if r.status().is_success() => {
                    metrics::counter!("iampass_web_push_total", "outcome" => "sent").increment(1);
                    return Ok(());
                }
                Ok(r) if matches!(r.status().as_u16(), 404 | 410) => {
                    self.store.drop_push_subscription(device_id, Some(sub.endpoint.clone())).await?;
                    metrics::counter!("iampass_web_push_total", "outcome" => "gone").increment(1);
                    return Ok(());
                }
                Ok(r) if r.status().as_u16() == 429 || r.status().is_server_error() => format!("{}", r.status()),
                Ok(r) => {
                    metrics::counter!("iampass_web_push_total", "outcome" => "refused").increment(1);
                    return Err(ServiceError::Internal(format!(
                        "the push service refused the message ({})",
                        r.status()
                    )));
                }
                Err(e) => format!("{}", e.without_url()),
            };
            tracing::debug!(%retry, delay_ms = delay.as_millis() as u64, "web push will be retried");
            let mut shutdown = self.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay.min(left)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return Ok(()),
            }
            delay *= 2;
        }
    }

    pub fn push_key(&self) -> iampass_proto::wire::PushKey {
        iampass_proto::wire::PushKey { vapid_public_key: self.push.public_key().to_owned() }
    }

    pub async fn push_state(&self, device_id: &str) -> Result<iampass_proto::wire::PushState, ServiceError> {
        Ok(iampass_proto::wire::PushState { subscribed: self.store.push_subscription(device_id).await?.is_some() })
    }

    pub async fn subscribe_push(
        &self,
        device_id: &str,
        sub: &PushSubscriptionJson,
    ) -> Result<iampass_proto::wire::PushState, ServiceError> {
        let checked = self.push.check(sub)?;
        if !self.store.set_push_subscription(device_id, checked, self.now()).await? {
            return Err(ServiceError::device_disabled());
        }
        Ok(iampass_proto::wire::PushState { subscribed: true })
    }

    pub async fn unsubscribe_push(&self, device_id: &str) -> Result<iampass_proto::wire::PushState, ServiceError> {
        self.store.drop_push_subscription(device_id, None).await?;
        Ok(iampass_proto::wire::PushState { subscribed: false })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iampass_proto::wire::PushSubscriptionKeys;

    fn sender() -> PushSender {
        PushSender {
            key: SigningKey::random(&mut rand::rngs::OsRng),
            public_key: String::new(),
            contact: "mailto:ops@example.com".into(),
            extra_hosts: vec!["127.0.0.1".into()],
            http: reqwest::Client::new(),
        }
    }

    fn sub(endpoint: &str) -> PushSubscriptionJson {
        let browser = p256::SecretKey::random(&mut rand::rngs::OsRng);
        PushSubscriptionJson {
            endpoint: endpoint.into(),
            keys: PushSubscriptionKeys {
                p256dh: URL_SAFE_NO_PAD.encode(browser.public_key().to_sec1_bytes()),
                auth: URL_SAFE_NO_PAD.encode([7u8; 16]),
            },
        }
    }

    #[test]
    fn subscriptions_may_name_only_push_services() {
        let s = sender();
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://web.push.apple.com/QGx",
            "https://updates.push.services.mozilla.com/wpush/v2/x",
            "http://127.0.0.1:9/push",
        ] {
            assert!(s.check(&sub(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evil.example/push",
            "https://push.apple.com.evil.example/x",
            "https://10.0.0.1/push",
            "not a url",
        ] {
            assert!(s.check(&sub(bad)).is_err(), "{bad}");
        }
        let mut short = sub("https://fcm.googleapis.com/x");
        short.keys.auth = URL_SAFE_NO_PAD.encode([1u8; 8]);
        assert!(s.check(&short).is_err());
    }

    #[test]
    fn the_vapid_token_is_an_es256_jwt_for_the_endpoints_origin() {
        use p256::ecdsa::signature::Verifier as _;
        let s = sender();
        let header = s.vapid(&url::Url::parse("https://fcm.googleapis.com/fcm/send/x").expect("url"), 1000);
        let token = header.strip_prefix("vapid t=").and_then(|h| h.split(", k=").next()).expect("token");
        let (signed, signature) = token.rsplit_once('.').expect("three parts");
        let claims = signed.split('.').nth(1).expect("claims");
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).expect("b64")).expect("json");
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["exp"], 1000 + VAPID_LIFETIME_SECS);
        assert_eq!(claims["sub"], "mailto:ops@example.com");
        let sig = p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).expect("b64")).expect("sig");
        assert!(s.key.verifying_key().verify(signed.as_bytes(), &sig).is_ok());
    }
}
