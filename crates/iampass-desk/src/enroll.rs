//! Watching for a phone to bind: the server's event stream when it has one (the screen turns the
//! moment the phone binds), else `has_registered_mobile_device` with backoff.

use std::time::Duration;

use futures_util::StreamExt as _;
use iampass_proto::client::ManagementClient;
use iampass_proto::wire::{EventData, UserChange};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::time::Instant;
use ts_rs::TS;

use crate::error::{DeskError, DeskResult};

/// What a fragment may carry as it is; the rest is percent-encoded (as UTF-8).
const FRAGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Most characters of the name the link carries: enough to recognize oneself, few enough that
/// the code of a name in any script stays scannable across a desk (`qr.rs` measures it).
pub const NAME_IN_LINK_CHARS: usize = 40;

/// The registration link with the employee's name in its fragment (`#name=…`): browsers never
/// send a fragment to a server, so the phone learns whose account it enrolls and the server
/// still learns no name. The web phone and the reference phone read it back.
pub fn with_name(register_url: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return register_url.to_owned();
    }
    let mut shown: String = name.chars().take(NAME_IN_LINK_CHARS).collect();
    if shown.len() < name.len() {
        shown = format!("{}…", shown.trim_end());
    }
    format!("{register_url}#name={}", percent_encoding::utf8_percent_encode(&shown, FRAGMENT))
}

/// What the enrollment screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct EnrollmentTicket {
    #[ts(type = "number")]
    pub employee_id: i64,
    pub name: String,
    /// Where the link can be e-mailed (empty: no address in the book).
    pub email: String,
    pub register_url: String,
    /// `data:image/png;base64,...`
    pub qr_png: String,
    pub expires_at: String,
    #[ts(type = "number")]
    pub expires_in_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum EnrollmentOutcome {
    Enrolled,
    Expired,
    Cancelled,
}

const POLL_START: Duration = Duration::from_millis(200);
const POLL_MAX: Duration = Duration::from_secs(2);

/// Waits until `user` has a phone, the deadline passes, or `cancel` is notified.
pub async fn wait_for_binding(
    client: &ManagementClient,
    user: &str,
    deadline: Instant,
    cancel: &Notify,
) -> DeskResult<EnrollmentOutcome> {
    let cancelled = cancel.notified();
    tokio::pin!(cancelled);
    cancelled.as_mut().enable();
    let url = client.base_url().to_owned();
    let check =
        || async { client.has_registered_mobile_device(user).await.map_err(|e| DeskError::from_client(e, &url)) };

    // Subscribe first, then check: a phone that bound before the subscription is still seen.
    let stream = client.events(None).await;
    if check().await? {
        return Ok(EnrollmentOutcome::Enrolled);
    }
    if let Ok(stream) = stream {
        let mut stream = Box::pin(stream);
        loop {
            tokio::select! {
                ev = stream.next() => match ev {
                    Some(Ok(ev)) => {
                        if let EventData::User(u) = ev.data
                            && u.user_id == user
                            && u.change == UserChange::DeviceBound
                        {
                            return Ok(EnrollmentOutcome::Enrolled);
                        }
                    }
                    // The stream broke: carry on by polling.
                    _ => break,
                },
                _ = tokio::time::sleep_until(deadline) => return Ok(EnrollmentOutcome::Expired),
                _ = &mut cancelled => return Ok(EnrollmentOutcome::Cancelled),
            }
        }
    }
    let mut delay = POLL_START;
    loop {
        if check().await? {
            return Ok(EnrollmentOutcome::Enrolled);
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = tokio::time::sleep_until(deadline) => return Ok(EnrollmentOutcome::Expired),
            _ = &mut cancelled => return Ok(EnrollmentOutcome::Cancelled),
        }
        delay = (delay * 2).min(POLL_MAX);
    }
}
