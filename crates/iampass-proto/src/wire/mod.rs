//! Wire types: every request and response body of the published IAMPASS API and of this project's
//! own extensions (phone protocol, console endpoints). Serde shapes only; no behaviour beyond parsing.

mod authentication;
mod book;
mod console;
mod device;
mod management;
mod query;
mod recovery;
mod staff;
mod webphone;

pub use authentication::*;
pub use book::*;
pub use console::*;
pub use device::*;
pub use management::*;
pub use query::*;
pub use recovery::*;
pub use staff::*;
pub use webphone::*;

use serde::{Deserialize, Serialize};

/// Status of a login session, as the official client's `Status` enum names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum SessionStatus {
    Pending,
    Identifying,
    Active,
    Walkaway,
    Closed,
    Failed,
    Timeout,
    Cancelled,
}

impl std::str::FromStr for SessionStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s).ok_or_else(|| format!("unknown session status {s:?}"))
    }
}

impl SessionStatus {
    pub const ALL: [SessionStatus; 8] = [
        Self::Pending,
        Self::Identifying,
        Self::Active,
        Self::Walkaway,
        Self::Closed,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Identifying => "identifying",
            Self::Active => "active",
            Self::Walkaway => "walkaway",
            Self::Closed => "closed",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// No further change can happen to a session in this state.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Closed | Self::Failed | Self::Timeout | Self::Cancelled)
    }

    /// Waiting for the phone's answer.
    pub fn is_in_progress(self) -> bool {
        matches!(self, Self::Pending | Self::Identifying)
    }

    /// The user is logged in (near their phone or not).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Active | Self::Walkaway)
    }
}

impl std::fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the phone must confirm a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Method {
    /// The user confirms on the phone.
    Acceptance,
    /// The user unlocks the phone (PIN, pattern or platform biometrics).
    Device,
    /// Face recognition on the phone.
    Facial,
}

impl Method {
    pub const ALL: [Method; 3] = [Self::Acceptance, Self::Device, Self::Facial];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acceptance => "acceptance",
            Self::Device => "device",
            Self::Facial => "facial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }

    /// Parses `acceptance,device`: sorted, without repeats. `Err` names the first unknown method.
    pub fn parse_list(s: &str) -> Result<Vec<Method>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            out.push(Method::parse(part).ok_or_else(|| part.chars().take(32).collect::<String>())?);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    pub fn join(methods: &[Method]) -> String {
        methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every failed request's body: `status` false, a human `reason`, a stable `error` code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub status: bool,
    pub reason: String,
    pub error: String,
    /// On a 403 for a staff member whose role does not allow the route: the least role that does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_role: Option<StaffRole>,
}

/// `{"status": true}` and an optional reason: the published API's plain answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReply {
    pub status: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_with_the_official_names() {
        for s in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_string(&s).ok(), Some(format!("\"{s}\"")));
        }
        assert_eq!(SessionStatus::parse("Active"), None);
    }

    #[test]
    fn method_lists_parse_sorted_and_name_the_bad_one() {
        assert_eq!(Method::parse_list("device, acceptance,device"), Ok(vec![Method::Acceptance, Method::Device]));
        assert_eq!(Method::parse_list(""), Ok(vec![]));
        assert_eq!(Method::parse_list("acceptance,retina"), Err("retina".to_owned()));
        assert_eq!(Method::join(&[Method::Acceptance, Method::Facial]), "acceptance,facial");
    }
}
