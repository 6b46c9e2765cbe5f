//! The reference authenticator: what a phone app does, as a library (tests and the console's
//! demo drive it in-process) and a CLI. Its identity is an Ed25519 key kept in a state file
//! (mode 0600); the server holds only the public half.

mod state;

pub use state::{DeviceState, StateError};

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use iampass_proto::client::{ClientError, DeviceClient, default_http};
use iampass_proto::wire::*;

#[derive(Debug, thiserror::Error)]
pub enum PhoneError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Server(#[from] ClientError),
    #[error("no login request arrived within {0:?}")]
    TimedOut(Duration),
}

/// An enrolled phone.
#[derive(Debug, Clone)]
pub struct Phone {
    client: DeviceClient,
    state: DeviceState,
}

/// What the phone does with a login request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Approve, satisfying these methods (`None`: whatever the request asks for).
    Approve(Option<Vec<Method>>),
    /// Approve with the number-matching code the user read off the login screen.
    ApproveWithCode {
        methods: Option<Vec<Method>>,
        code: String,
    },
    Deny {
        fraud: bool,
    },
}

/// One answered request and the session it produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Answered {
    pub request: LoginRequest,
    pub session: SessionSummary,
}

impl Phone {
    /// Enrolls at `register_url` with a fresh key; the caller saves the returned state.
    /// The employee's name, if the console put it in the link's fragment (`#name=…`), is kept
    /// in the state as the name this phone shows; the server is never sent it.
    pub async fn enroll(register_url: &str, name: &str, platform: &str) -> Result<Self, PhoneError> {
        let (link, person) = split_name(register_url);
        let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
        let http = default_http();
        let (client, reply) = DeviceClient::register(http, link, key.clone(), name, platform).await?;
        let mut state = DeviceState::new(client.base_url(), &reply, name, &key);
        if person.is_some() {
            state.display_name = person;
        }
        Ok(Self { client, state })
    }

    pub fn from_state(state: DeviceState) -> Result<Self, PhoneError> {
        let client = DeviceClient::new(default_http(), &state.server, &state.device_id, state.signing_key()?)?;
        Ok(Self { client, state })
    }

    pub fn state(&self) -> &DeviceState {
        &self.state
    }

    /// Waits for up to `count` login requests within `timeout`, answering each as told. Returns
    /// those answered; `TimedOut` if fewer than `count` came.
    pub async fn answer(&self, answer: &Answer, count: usize, timeout: Duration) -> Result<Vec<Answered>, PhoneError> {
        let deadline = Instant::now() + timeout;
        let mut done = Vec::new();
        while done.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PhoneError::TimedOut(timeout));
            }
            // Long-poll in whole seconds (at least one), never past the deadline by more than that.
            let wait = Duration::from_secs(left.as_secs().clamp(1, 25));
            let pending = self.client.pending(wait).await?;
            for request in pending.requests {
                if done.len() == count {
                    break;
                }
                done.push(self.answer_one(request, answer).await?);
            }
        }
        Ok(done)
    }

    /// Answers every request as it arrives; runs until an error, or until the caller drops it.
    pub async fn run(&self, answer: &Answer, mut on_answer: impl FnMut(&Answered)) -> Result<(), PhoneError> {
        loop {
            let pending = self.client.pending(Duration::from_secs(25)).await?;
            for request in pending.requests {
                let answered = self.answer_one(request, answer).await?;
                on_answer(&answered);
            }
        }
    }

    async fn answer_one(&self, request: LoginRequest, answer: &Answer) -> Result<Answered, PhoneError> {
        let body = match answer {
            Answer::Approve(methods) => AnswerRequest {
                decision: Decision::Approve,
                methods: methods.clone().unwrap_or_else(|| request.methods.clone()),
                fraud: false,
                code: None,
            },
            Answer::ApproveWithCode { methods, code } => AnswerRequest {
                decision: Decision::Approve,
                methods: methods.clone().unwrap_or_else(|| request.methods.clone()),
                fraud: false,
                code: Some(code.clone()),
            },
            Answer::Deny { fraud } => {
                AnswerRequest { decision: Decision::Deny, methods: vec![], fraud: *fraud, code: None }
            }
        };
        let reply = self.client.answer(&request.session_id, &body).await?;
        Ok(Answered { request, session: reply.session })
    }

    /// The requests waiting for this phone, as its screen would show them, without answering;
    /// waits up to `wait` for one to arrive.
    pub async fn pending(&self, wait: Duration) -> Result<Vec<LoginRequest>, PhoneError> {
        Ok(self.client.pending(wait).await?.requests)
    }

    pub async fn presence(&self, nearby: bool) -> Result<PresenceReply, PhoneError> {
        Ok(self.client.presence(nearby).await?)
    }

    pub async fn sessions(&self) -> Result<Vec<SessionSummary>, PhoneError> {
        Ok(self.client.sessions().await?.sessions)
    }

    pub async fn logout(&self, session_id: &str) -> Result<SessionSummary, PhoneError> {
        Ok(self.client.logout(session_id).await?.session)
    }

    /// Unregisters this phone from the server.
    pub async fn forget(&self) -> Result<(), PhoneError> {
        self.client.forget().await?;
        Ok(())
    }
}

/// A registration link without its fragment, and the name its fragment carries (`#name=…`,
/// percent-encoded UTF-8), if any.
pub fn split_name(register_url: &str) -> (&str, Option<String>) {
    let Some((link, fragment)) = register_url.split_once('#') else { return (register_url, None) };
    let name = fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("name="))
        .map(|v| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
        .filter(|n| !n.chars().any(char::is_control))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    (link, name)
}

#[cfg(test)]
mod name_tests {
    #[test]
    fn the_name_in_a_links_fragment_is_read_and_the_fragment_never_sent() {
        let (link, name) = super::split_name("https://s.example/register/abc#name=Zo%C3%AB%20Lee");
        assert_eq!((link, name.as_deref()), ("https://s.example/register/abc", Some("Zoë Lee")));
        assert_eq!(super::split_name("https://s.example/register/abc"), ("https://s.example/register/abc", None));
        assert_eq!(super::split_name("https://s/register/abc#name=%0Aevil").1, None, "no control characters");
    }
}
