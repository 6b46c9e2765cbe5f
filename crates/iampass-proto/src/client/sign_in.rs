//! A staff member's sign-in: ask for a push to their phone, then read its status until the phone
//! answers; the approved answer carries the bearer token once.

use super::{ClientError, normalise_base, read_json};
use crate::wire::{SignInRequest, SignInStarted, SignInStatus, SignInStatusQuery};

#[derive(Debug, Clone)]
pub struct StaffSignIn {
    http: reqwest::Client,
    base: String,
    app_id: String,
}

impl StaffSignIn {
    pub fn new(http: reqwest::Client, base_url: &str, application_id: &str) -> Result<Self, ClientError> {
        Ok(Self { http, base: normalise_base(base_url)?, app_id: application_id.to_owned() })
    }

    /// Sends the push; the answer is the same whether or not the name is known.
    pub async fn start(&self, staff: &str) -> Result<SignInStarted, ClientError> {
        let url = format!("{}/console/v1/{}/sign_in", self.base, self.app_id);
        read_json(self.http.post(url).json(&SignInRequest { staff: staff.to_owned() }).send().await?).await
    }

    /// Where the sign-in is; `token` is set in the first answer after the phone approved.
    pub async fn status(&self, started: &SignInStarted) -> Result<SignInStatus, ClientError> {
        read_json(self.http.get(&started.status_url).send().await?).await
    }

    /// As [`StaffSignIn::status`], but the server holds the answer up to `wait_secs` while the
    /// sign-in is pending, and answers as soon as the phone does.
    pub async fn wait(&self, started: &SignInStarted, wait_secs: u32) -> Result<SignInStatus, ClientError> {
        let query = SignInStatusQuery { wait: Some(wait_secs) };
        let request = self
            .http
            .get(&started.status_url)
            .query(&query)
            .timeout(std::time::Duration::from_secs(u64::from(wait_secs) + 10));
        read_json(request.send().await?).await
    }
}
