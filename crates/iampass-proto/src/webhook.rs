//! Signing of the server's outgoing webhook, so a receiver can tell a delivery came from its
//! server and was not replayed later: `X-IAMPASS-Webhook-Signature: t=<unix seconds>,v1=<hex>`,
//! where the hex is HMAC-SHA256 under the shared secret of `"<t>.<body>"`. The server signs with
//! [`sign`]; receivers (and the tests) check with [`verify`].

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::AuthError;

pub const HEADER_SIGNATURE: &str = "x-iampass-webhook-signature";
/// The event id, the same on every retry: receivers drop deliveries they have already seen.
pub const HEADER_EVENT_ID: &str = "x-iampass-webhook-id";
/// The event type (`session` or `user`), for routing without parsing the body.
pub const HEADER_EVENT_TYPE: &str = "x-iampass-webhook-event";

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The signature header value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", hex::encode(mac(secret, timestamp, body)))
}

/// Checks a signature header against `body`, refusing one signed more than `window_secs` from
/// `now_secs` (a replayed delivery). Several `v1=` entries are allowed (one per secret while a
/// secret is being changed); any that matches is enough.
pub fn verify(secret: &[u8], header: &str, body: &[u8], now_secs: i64, window_secs: i64) -> Result<(), AuthError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => {
                timestamp = Some(t.parse::<i64>().map_err(|_| AuthError::MalformedTimestamp)?);
            }
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(AuthError::MissingTimestamp)?;
    if signatures.is_empty() {
        return Err(AuthError::MalformedHeader("expected `t=<seconds>,v1=<hex>`"));
    }
    if timestamp.abs_diff(now_secs) > window_secs.unsigned_abs() {
        return Err(AuthError::StaleTimestamp);
    }
    let expected = mac(secret, timestamp, body);
    let mut ok = subtle::Choice::from(0u8);
    for sig in signatures {
        if let Ok(given) = hex::decode(sig) {
            ok |= given.as_slice().ct_eq(&expected);
        }
    }
    if bool::from(ok) { Ok(()) } else { Err(AuthError::BadSignature) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec-test-0123456789";

    #[test]
    fn a_signed_body_verifies_and_nothing_else_does() {
        let body = br#"{"id":7}"#;
        let header = sign(SECRET, 1_700_000_000, body);
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(verify(SECRET, &header, body, 1_700_000_010, 300), Ok(()));
        assert_eq!(verify(SECRET, &header, br#"{"id":8}"#, 1_700_000_010, 300), Err(AuthError::BadSignature));
        assert_eq!(verify(b"another-secret", &header, body, 1_700_000_010, 300), Err(AuthError::BadSignature));
        assert_eq!(verify(SECRET, &header, body, 1_700_000_301, 300), Err(AuthError::StaleTimestamp));
    }

    #[test]
    fn the_timestamp_is_signed_too() {
        let body = b"{}";
        let header = sign(SECRET, 1_700_000_000, body);
        let moved = header.replace("t=1700000000", "t=1700000100");
        assert_eq!(verify(SECRET, &moved, body, 1_700_000_100, 300), Err(AuthError::BadSignature));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let body = b"{}";
        assert_eq!(verify(SECRET, "", body, 0, 300), Err(AuthError::MissingTimestamp));
        assert_eq!(verify(SECRET, "t=abc,v1=00", body, 0, 300), Err(AuthError::MalformedTimestamp));
        assert!(matches!(verify(SECRET, "t=0", body, 0, 300), Err(AuthError::MalformedHeader(_))));
        assert_eq!(verify(SECRET, "t=0,v1=zz", body, 0, 300), Err(AuthError::BadSignature));
    }

    #[test]
    fn any_listed_signature_may_match() {
        let body = b"{}";
        let good = sign(SECRET, 5, body);
        let v1 = good.rsplit("v1=").next().unwrap_or_default();
        let header = format!("t=5,v1={},v1={v1}", "00".repeat(32));
        assert_eq!(verify(SECRET, &header, body, 5, 300), Ok(()));
    }
}
