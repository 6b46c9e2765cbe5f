//! Client for one login session's `status_url` and `logout_url`, signed with the session token and
//! secret that `authenticate_user` returned (as the official client's `Session` does).

use reqwest::Method as HttpMethod;

use super::{ClientError, Credentials, read_json, signed_request};
use crate::wire::{AuthenticationStatus, SessionStatusResponse, StatusReply};

#[derive(Debug, Clone)]
pub struct SessionClient {
    http: reqwest::Client,
    status_url: String,
    logout_url: String,
    creds: Credentials,
}

impl SessionClient {
    /// From a started login's status; `None` if the login did not start.
    pub fn from_status(http: reqwest::Client, status: &AuthenticationStatus) -> Option<Self> {
        Some(Self {
            http,
            status_url: status.status_url.clone()?,
            logout_url: status.logout_url.clone()?,
            creds: Credentials { client_id: status.session_token.clone()?, secret: status.session_secret.clone()? },
        })
    }

    pub async fn status(&self) -> Result<SessionStatusResponse, ClientError> {
        read_json(signed_request(&self.http, HttpMethod::GET, &self.status_url, &self.creds)?.send().await?).await
    }

    pub async fn logout(&self) -> Result<StatusReply, ClientError> {
        read_json(signed_request(&self.http, HttpMethod::POST, &self.logout_url, &self.creds)?.send().await?).await
    }
}
