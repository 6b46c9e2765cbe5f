//! Client for the reference phone's protocol: binding at a registration link, then every call
//! signed with the device's Ed25519 key (see `device_v1`).

use std::time::Duration;

use ed25519_dalek::SigningKey;
use reqwest::Method as HttpMethod;

use super::{ClientError, normalise_base, now_secs, read_json};
use crate::device_v1;
use crate::wire::*;

#[derive(Clone)]
pub struct DeviceClient {
    http: reqwest::Client,
    base: String,
    device_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for DeviceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceClient")
            .field("base", &self.base)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Splits `{server}/register/{token}` into the server's base URL and the token.
pub(super) fn split_register_url(register_url: &str) -> Result<(String, String), ClientError> {
    let url = url::Url::parse(register_url.trim()).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
    let path = url.path();
    let idx = path
        .rfind("/register/")
        .ok_or_else(|| ClientError::InvalidUrl("not a registration link (no /register/)".into()))?;
    let token = &path[idx + "/register/".len()..];
    if token.is_empty() || token.contains('/') {
        return Err(ClientError::InvalidUrl("the registration link has no token".into()));
    }
    let mut base = url.clone();
    base.set_path(&path[..idx]);
    base.set_query(None);
    base.set_fragment(None);
    Ok((normalise_base(base.as_str())?, token.to_owned()))
}

impl DeviceClient {
    pub fn new(http: reqwest::Client, base_url: &str, device_id: &str, key: SigningKey) -> Result<Self, ClientError> {
        Ok(Self { http, base: normalise_base(base_url)?, device_id: device_id.to_owned(), key })
    }

    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// What the link says about itself (who is enrolled, into what, for how long).
    pub async fn registration_info(
        http: &reqwest::Client,
        register_url: &str,
    ) -> Result<RegistrationInfo, ClientError> {
        read_json(http.get(register_url.trim()).header("Accept", "application/json").send().await?).await
    }

    /// Binds `key` to the user behind `register_url`; returns a client for the bound device.
    pub async fn register(
        http: reqwest::Client,
        register_url: &str,
        key: SigningKey,
        name: &str,
        platform: &str,
    ) -> Result<(Self, RegisterDeviceResponse), ClientError> {
        use base64::Engine as _;
        let (base, token) = split_register_url(register_url)?;
        let body = RegisterDeviceRequest {
            public_key: base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes()),
            proof: device_v1::registration_proof(&key, &token),
            name: name.to_owned(),
            platform: platform.to_owned(),
        };
        let reply: RegisterDeviceResponse =
            read_json(http.post(register_url.trim()).header("Accept", "application/json").json(&body).send().await?)
                .await?;
        let client = Self::new(http, &base, &reply.device_id, key)?;
        Ok((client, reply))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: HttpMethod,
        target: &str,
        body: Option<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<T, ClientError> {
        let body = body.unwrap_or_default();
        let auth = device_v1::sign(&self.key, &self.device_id, method.as_str(), target, now_secs(), &body);
        let mut req = self.http.request(method, format!("{}{target}", self.base)).header("Authorization", auth);
        if !body.is_empty() {
            req = req.header("Content-Type", "application/json").body(body);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        read_json(req.send().await?).await
    }

    fn json<B: serde::Serialize>(body: &B) -> Result<Option<Vec<u8>>, ClientError> {
        serde_json::to_vec(body).map(Some).map_err(|e| ClientError::Decode(e.to_string()))
    }

    /// Long-polls for login requests: returns as soon as one is waiting, or empty after `wait`.
    pub async fn pending(&self, wait: Duration) -> Result<PendingRequests, ClientError> {
        let query = RequestsQuery { wait: Some(u32::try_from(wait.as_secs()).unwrap_or(u32::MAX)), known: None };
        let query = serde_urlencoded::to_string(&query).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        let target = format!("/device/v1/requests?{query}");
        self.call(HttpMethod::GET, &target, None, Some(wait + Duration::from_secs(15))).await
    }

    pub async fn answer(&self, session_id: &str, answer: &AnswerRequest) -> Result<SessionReply, ClientError> {
        let target = format!("/device/v1/requests/{}", super::encode_segment(session_id));
        self.call(HttpMethod::POST, &target, Self::json(answer)?, None).await
    }

    pub async fn presence(&self, nearby: bool) -> Result<PresenceReply, ClientError> {
        self.call(HttpMethod::POST, "/device/v1/presence", Self::json(&PresenceRequest { nearby })?, None).await
    }

    pub async fn sessions(&self) -> Result<DeviceSessions, ClientError> {
        self.call(HttpMethod::GET, "/device/v1/sessions", None, None).await
    }

    pub async fn logout(&self, session_id: &str) -> Result<SessionReply, ClientError> {
        let target = format!("/device/v1/sessions/{}/logout", super::encode_segment(session_id));
        self.call(HttpMethod::POST, &target, Self::json(&serde_json::json!({}))?, None).await
    }

    /// Unregisters this device: its sessions close and it can no longer answer.
    pub async fn forget(&self) -> Result<StatusReply, ClientError> {
        self.call(HttpMethod::DELETE, "/device/v1/device", None, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_urls_split_into_base_and_token() {
        let (base, token) =
            split_register_url("http://127.0.0.1:8080/register/AbC_d-1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((base.as_str(), token.as_str()), ("http://127.0.0.1:8080", "AbC_d-1"));
        let (base, _) = split_register_url("https://h.example/iam/register/t").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(base, "https://h.example/iam");
        assert!(split_register_url("http://h/other/t").is_err());
        assert!(split_register_url("http://h/register/").is_err());
    }
}
