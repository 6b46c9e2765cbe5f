//! The query strings of the routes that take them, as types: the server parses them into these and
//! the client writes them from these (`serde_urlencoded` both ways), so no key is spelt twice. Empty
//! values count as absent, as the official client's habit of `?key=` expects.

use serde::{Deserialize, Deserializer, Serialize};

use super::SessionStatus;

/// An absent or empty value is `None`; otherwise it must parse as `T`.
fn non_empty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => s.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A page of a listing: where to continue, and how many.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// `GET /management/users/{app}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersQuery {
    /// Only this user.
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(flatten)]
    pub page: PageQuery,
}

/// `GET /management/sessions/{app}`: filters and paging.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsQuery {
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// Only this user's sessions.
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(flatten)]
    pub page: PageQuery,
}

/// `GET /console/v1/{app}/sign_in/{id}`: wait up to this many seconds for the phone's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInStatusQuery {
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub wait: Option<u32>,
}

/// `GET /device/v1/requests` and `GET /phone/api/requests`: the long-poll.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsQuery {
    /// Seconds to wait (capped by the server).
    #[serde(default, deserialize_with = "non_empty", skip_serializing_if = "Option::is_none")]
    pub wait: Option<u32>,
    /// The session ids the phone already shows, comma-separated (present, even empty, to use it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<String>,
}

impl RequestsQuery {
    pub fn known_ids(&self) -> Option<Vec<String>> {
        self.known.as_ref().map(|k| k.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect())
    }
}

/// `POST /authentication/authenticate_user/{app}/{user}`: kept as the official client writes them;
/// the server reads each with its own rules and errors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthenticateQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub methods: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<String>,
}

/// `GET /management/device_registration_link/{app}/{user}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationLinkQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_round_trip_and_empty_means_absent() {
        let q = SessionsQuery {
            status: Some(SessionStatus::Active),
            user: Some("a b+c".into()),
            page: PageQuery { cursor: Some("12".into()), limit: Some(5) },
        };
        let text = serde_urlencoded::to_string(&q).expect("serialise");
        assert_eq!(text, "status=active&user=a+b%2Bc&cursor=12&limit=5");
        assert_eq!(serde_urlencoded::from_str::<SessionsQuery>(&text).expect("parse"), q);
        let empty: SessionsQuery = serde_urlencoded::from_str("status=&user=&limit=").expect("parse");
        assert_eq!(empty, SessionsQuery::default());
        assert!(serde_urlencoded::from_str::<SessionsQuery>("status=nope").is_err());
        assert!(serde_urlencoded::from_str::<PageQuery>("limit=-1").is_err());
        let r: RequestsQuery = serde_urlencoded::from_str("wait=25&known=").expect("parse");
        assert_eq!((r.wait, r.known_ids()), (Some(25), Some(vec![])));
    }
}
