//! Async client for every route of the server, signing each request afresh. The console and the
//! phone talk to the server only through this, so a protocol change is made once.

mod device;
mod management;
mod session;
mod sign_in;

pub use device::DeviceClient;
pub use management::ManagementClient;
pub use session::SessionClient;
pub use sign_in::StaffSignIn;

use reqwest::{Method as HttpMethod, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::hmac_v1;
use crate::wire::ErrorBody;

#[derive(Debug, Error)]
pub enum ClientError {
    #[error("could not reach the server: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the server refused the request ({status}, {code}): {reason}")]
    Api { status: u16, code: String, reason: String },
    #[error("the server's answer could not be read: {0}")]
    Decode(String),
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("cannot use the root certificates in {path} (IAMPASS_CA_CERT): {reason}")]
    CaCert { path: String, reason: String },
}

impl ClientError {
    /// The stable error code of an API refusal (`unknown_user`, `bad_signature`, ...).
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            ClientError::Transport(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }
}

/// A client id and secret pair; the secret never appears in `Debug` output.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("client_id", &self.client_id).field("secret", &"<redacted>").finish()
    }
}

/// Seconds since the epoch: the protocol's timestamps are wall-clock by definition.
#[allow(clippy::disallowed_methods)]
pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

/// Percent-encodes one path segment the way the official client does (`quote_plus`: space → `+`).
pub fn encode_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Removes trailing slashes so `{base}/management/...` never has `//`.
pub(crate) fn normalise_base(base: &str) -> Result<String, ClientError> {
    let base = base.trim().trim_end_matches('/');
    url::Url::parse(base).map_err(|e| ClientError::InvalidUrl(format!("{base}: {e}")))?;
    Ok(base.to_owned())
}

/// Builds a protocol-1 signed request for `url`, signing the URL exactly as reqwest will send it.
pub(crate) fn signed_request(
    http: &reqwest::Client,
    method: HttpMethod,
    url: &str,
    creds: &Credentials,
) -> Result<RequestBuilder, ClientError> {
    let parsed = url::Url::parse(url).map_err(|e| ClientError::InvalidUrl(format!("{e}")))?;
    let headers = hmac_v1::sign(&creds.client_id, &creds.secret, parsed.as_str(), now_secs());
    Ok(http
        .request(method, parsed)
        .header("Authentication", headers.authentication)
        .header("X-IAMPASS-Authentication-Timestamp", headers.timestamp.to_string())
        .header("X-IAMPASS-Authentication-Version", "1"))
}

/// Reads a JSON answer, turning a refusal into [`ClientError::Api`] with the server's reason.
pub(crate) async fn read_json<T: DeserializeOwned>(response: Response) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response.bytes().await?;
    if !status.is_success() {
        return Err(api_error(status, &bytes));
    }
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(e.to_string()))
}

pub(crate) fn api_error(status: StatusCode, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(ErrorBody { required_role: Some(role), .. }) => ClientError::Api {
            status: status.as_u16(),
            code: "forbidden".to_owned(),
            reason: format!("your role does not allow this; it needs the {role} role"),
        },
        Ok(e) => ClientError::Api { status: status.as_u16(), code: e.error, reason: e.reason },
        Err(_) => ClientError::Api {
            status: status.as_u16(),
            code: "http_error".to_owned(),
            reason: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        },
    }
}

/// Environment variable naming a PEM file of extra root certificates, for servers whose HTTPS
/// certificate comes from a private CA.
pub const CA_CERT_ENV: &str = "IAMPASS_CA_CERT";

/// The extra roots `IAMPASS_CA_CERT` names (none when unset).
pub fn extra_roots() -> Result<Vec<reqwest::Certificate>, ClientError> {
    let Some(path) = std::env::var_os(CA_CERT_ENV) else { return Ok(Vec::new()) };
    let fail = |reason: String| ClientError::CaCert { path: path.to_string_lossy().into_owned(), reason };
    let pem = std::fs::read(&path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    Ok(certs)
}

/// A client with sane timeouts (long polls set their own per request) that also trusts the roots
/// in `IAMPASS_CA_CERT`; a program that needs them calls [`extra_roots`] first to report a bad file.
pub fn default_http() -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .pool_idle_timeout(std::time::Duration::from_secs(60));
    for root in extra_roots().unwrap_or_default() {
        builder = builder.add_root_certificate(root);
    }
    builder.build().unwrap_or_else(|_| reqwest::Client::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_encode_like_quote_plus() {
        assert_eq!(encode_segment("user+1"), "user%2B1");
        assert_eq!(encode_segment("a b/c@d"), "a+b%2Fc%40d");
        assert_eq!(encode_segment("élève"), "%C3%A9l%C3%A8ve");
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let c = Credentials { client_id: "id".into(), secret: "TOPSECRET".into() };
        assert!(!format!("{c:?}").contains("TOPSECRET"));
    }

    #[test]
    fn base_urls_lose_trailing_slashes_and_bad_ones_are_refused() {
        assert_eq!(normalise_base("http://h:1/").ok().as_deref(), Some("http://h:1"));
        assert!(normalise_base("not a url").is_err());
    }
}
