//! IAMPASS Authentication protocol 1, byte for byte as the official Python client (IAMPASS 0.0.32,
//! `IAMPASS/hmac.py`) produces it. The signer and verifier live together so the server, the console
//! and the tests cannot drift apart. HTTP plumbing does not belong here: callers hand in strings.
//!
//! token = SHA-256(nonce ‖ secret)[:16]; signed = nonce ‖ URI-without-scheme ‖ timestamp;
//! signature = base64(HMAC-SHA-256(token, signed)[:16]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::AuthError;

/// The header the official client sends; `Authorization` is accepted too.
pub const HEADER_AUTHENTICATION: &str = "authentication";
pub const HEADER_AUTHORIZATION: &str = "authorization";
/// Timestamp header as the client sends it, and as the published docs misspell it.
pub const HEADER_TIMESTAMP: &str = "x-iampass-authentication-timestamp";
pub const HEADER_TIMESTAMP_DOCS: &str = "x-iampass-authentiaction-timestamp";
/// Version header as documented, and as the official client misspells it.
pub const HEADER_VERSION: &str = "x-iampass-authentication-version";
pub const HEADER_VERSION_CLIENT: &str = "x-iamoass-authentication-version";

/// A nonce is a decimal u64; 20 digits is the most one can have.
const MAX_NONCE_DIGITS: usize = 20;
const SIGNATURE_BYTES: usize = 16;

type HmacSha256 = Hmac<Sha256>;

/// The parsed `hmac {client_id}:{nonce}:{signature}` header value.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthHeader {
    pub client_id: String,
    pub nonce: String,
    signature: [u8; SIGNATURE_BYTES],
}

impl std::fmt::Debug for AuthHeader {
    // The nonce and signature are replay material: keep them out of any log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthHeader").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// A header ready to send, with the timestamp that was signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub authentication: String,
    pub timestamp: i64,
}

/// The URI as the client signs it: everything after the last `://`, as Python's greedy
/// `re.sub(r'.*://', '', uri)` leaves it.
pub fn strip_scheme(uri: &str) -> &str {
    match uri.rfind("://") {
        Some(i) => &uri[i + 3..],
        None => uri,
    }
}

/// SHA-256(nonce ‖ secret)[:16], the per-request HMAC key.
pub fn derive_token(nonce: &str, secret: &str) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(nonce.as_bytes());
    hasher.update(secret.as_bytes());
    let digest = hasher.finalize();
    let mut token = [0u8; 16];
    token.copy_from_slice(&digest[..16]);
    token
}

/// The string that is signed: nonce ‖ URI without scheme ‖ timestamp.
pub fn signed_string(nonce: &str, uri_without_scheme: &str, timestamp: i64) -> String {
    format!("{nonce}{uri_without_scheme}{timestamp}")
}

fn compute_signature(secret: &str, nonce: &str, uri_without_scheme: &str, timestamp: i64) -> [u8; SIGNATURE_BYTES] {
    let token = derive_token(nonce, secret);
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&token).unwrap_or_else(|_| unreachable!());
    mac.update(signed_string(nonce, uri_without_scheme, timestamp).as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; SIGNATURE_BYTES];
    out.copy_from_slice(&full[..SIGNATURE_BYTES]);
    out
}

/// base64 signature for a request, exactly as the official client computes it.
pub fn signature(secret: &str, nonce: &str, request_uri: &str, timestamp: i64) -> String {
    STANDARD.encode(compute_signature(secret, nonce, strip_scheme(request_uri), timestamp))
}

/// Signs `request_uri` (with or without its scheme) with an explicit nonce and timestamp.
pub fn sign_with(client_id: &str, secret: &str, request_uri: &str, nonce: u64, timestamp: i64) -> SignedHeaders {
    let nonce = nonce.to_string();
    let sig = signature(secret, &nonce, request_uri, timestamp);
    SignedHeaders { authentication: format!("hmac {client_id}:{nonce}:{sig}"), timestamp }
}

/// Signs with a fresh random nonce, as every real request must.
pub fn sign(client_id: &str, secret: &str, request_uri: &str, timestamp: i64) -> SignedHeaders {
    sign_with(client_id, secret, request_uri, rand::random::<u64>(), timestamp)
}

/// Parses `hmac {client_id}:{nonce}:{signature}`. The scheme word is case-insensitive; the client id
/// may itself contain `:`, so the nonce and signature are taken from the right.
pub fn parse_header(value: &str) -> Result<AuthHeader, AuthError> {
    let value = value.trim();
    let (scheme, rest) =
        value.split_once(' ').ok_or(AuthError::MalformedHeader("expected `hmac <client>:<nonce>:<signature>`"))?;
    if !scheme.eq_ignore_ascii_case("hmac") {
        return Err(AuthError::MalformedHeader("the scheme must be `hmac`"));
    }
    let mut parts = rest.trim().rsplitn(3, ':');
    let sig_b64 = parts.next().unwrap_or_default();
    let nonce = parts.next().ok_or(AuthError::MalformedHeader("expected `<client>:<nonce>:<signature>`"))?;
    let client_id = parts.next().ok_or(AuthError::MalformedHeader("expected `<client>:<nonce>:<signature>`"))?;
    if client_id.is_empty() {
        return Err(AuthError::MalformedHeader("the client id is empty"));
    }
    if nonce.is_empty() || nonce.len() > MAX_NONCE_DIGITS || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AuthError::MalformedHeader("the nonce must be a decimal number of at most 20 digits"));
    }
    if nonce.parse::<u64>().is_err() {
        return Err(AuthError::MalformedHeader("the nonce must fit in 64 bits"));
    }
    let decoded = STANDARD.decode(sig_b64).map_err(|_| AuthError::MalformedHeader("the signature is not base64"))?;
    let signature: [u8; SIGNATURE_BYTES] =
        decoded.try_into().map_err(|_| AuthError::MalformedHeader("the signature must be 16 bytes"))?;
    Ok(AuthHeader { client_id: client_id.to_owned(), nonce: nonce.to_owned(), signature })
}

/// Parses the timestamp header value (whole seconds since the epoch).
pub fn parse_timestamp(value: &str) -> Result<i64, AuthError> {
    value.trim().parse::<i64>().map_err(|_| AuthError::MalformedTimestamp)
}

/// Accepts only version 1 (or no version header at all, as old clients send none).
pub fn check_version(value: Option<&str>) -> Result<(), AuthError> {
    match value.map(str::trim) {
        None | Some("1") => Ok(()),
        Some(other) => Err(AuthError::UnsupportedVersion(other.chars().take(16).collect())),
    }
}

/// Whether `timestamp` lies within `window_secs` of `now_secs`, either side.
pub fn check_timestamp(timestamp: i64, now_secs: i64, window_secs: i64) -> Result<(), AuthError> {
    if timestamp.abs_diff(now_secs) > window_secs.unsigned_abs() {
        return Err(AuthError::StaleTimestamp);
    }
    Ok(())
}

impl AuthHeader {
    /// Constant-time check of the signature against each URI the server will answer to
    /// (its Host-derived URI, its public URL, ...). Every candidate is checked so the time taken
    /// does not reveal which one was close.
    pub fn verify<'a>(
        &self,
        secret: &str,
        candidate_uris: impl IntoIterator<Item = &'a str>,
        timestamp: i64,
    ) -> Result<(), AuthError> {
        let mut ok = subtle::Choice::from(0u8);
        for uri in candidate_uris {
            let expected = compute_signature(secret, &self.nonce, strip_scheme(uri), timestamp);
            ok |= expected.ct_eq(&self.signature);
        }
        if bool::from(ok) { Ok(()) } else { Err(AuthError::BadSignature) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }

    #[derive(serde::Deserialize)]
    struct Vector {
        client_id: String,
        secret: String,
        request_uri: String,
        nonce: String,
        timestamp: i64,
        token_hex: String,
        signed_string: String,
        signature: String,
        authentication_header: String,
    }

    fn vectors() -> Vec<Vector> {
        let raw = include_str!("../tests/data/hmac-v1-vectors.json");
        match serde_json::from_str::<Vectors>(raw) {
            Ok(v) => v.vectors,
            Err(e) => panic!("vector file is not valid: {e}"),
        }
    }

    #[test]
    fn every_official_vector_signs_identically() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 5);
        for v in vectors {
            assert_eq!(hex::encode(derive_token(&v.nonce, &v.secret)), v.token_hex, "token for {}", v.request_uri);
            assert_eq!(signed_string(&v.nonce, strip_scheme(&v.request_uri), v.timestamp), v.signed_string);
            assert_eq!(signature(&v.secret, &v.nonce, &v.request_uri, v.timestamp), v.signature);
            let nonce: u64 = v.nonce.parse().unwrap_or_else(|e| panic!("nonce {}: {e}", v.nonce));
            let signed = sign_with(&v.client_id, &v.secret, &v.request_uri, nonce, v.timestamp);
            assert_eq!(signed.authentication, v.authentication_header);
        }
    }

    #[test]
    fn every_official_vector_verifies_and_tampering_fails() {
        for v in vectors() {
            let h = parse_header(&v.authentication_header).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(h.client_id, v.client_id);
            assert_eq!(h.nonce, v.nonce);
            let uri = strip_scheme(&v.request_uri);
            assert_eq!(h.verify(&v.secret, [uri], v.timestamp), Ok(()));
            assert_eq!(h.verify(&v.secret, ["other.host/x", uri], v.timestamp), Ok(()), "any candidate may match");
            assert_eq!(h.verify(&v.secret, [uri], v.timestamp + 1), Err(AuthError::BadSignature));
            assert_eq!(h.verify(&format!("{}x", v.secret), [uri], v.timestamp), Err(AuthError::BadSignature));
            assert_eq!(h.verify(&v.secret, [format!("{uri}&x=1").as_str()], v.timestamp), Err(AuthError::BadSignature));
            assert_eq!(h.verify(&v.secret, [], v.timestamp), Err(AuthError::BadSignature));
        }
    }

    #[test]
    fn strip_scheme_is_greedy_like_the_python_regex() {
        assert_eq!(strip_scheme("https://h/p"), "h/p");
        assert_eq!(strip_scheme("h/p"), "h/p");
        assert_eq!(strip_scheme("http://h/p?u=a://b"), "b");
    }

    #[test]
    fn malformed_headers_are_refused_with_a_reason() {
        for bad in [
            "",
            "hmac",
            "basic abc:1:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc",
            "hmac abc:1",
            "hmac :1:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc:x1:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc::AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc:-1:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc:18446744073709551616:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc:123456789012345678901:AAAAAAAAAAAAAAAAAAAAAA==",
            "hmac abc:1:not base64!",
            "hmac abc:1:AAAA",
        ] {
            assert!(matches!(parse_header(bad), Err(AuthError::MalformedHeader(_))), "{bad:?} should be refused");
        }
        assert!(parse_header("HMAC a:b:1:AAAAAAAAAAAAAAAAAAAAAA==").is_ok_and(|h| h.client_id == "a:b"));
    }

    #[test]
    fn timestamp_window_is_inclusive_both_sides() {
        assert!(check_timestamp(1000, 1300, 300).is_ok());
        assert!(check_timestamp(1600, 1300, 300).is_ok());
        assert_eq!(check_timestamp(999, 1300, 300), Err(AuthError::StaleTimestamp));
        assert_eq!(check_timestamp(1601, 1300, 300), Err(AuthError::StaleTimestamp));
        assert_eq!(check_timestamp(i64::MIN, 1300, 300), Err(AuthError::StaleTimestamp));
        assert_eq!(parse_timestamp("12a"), Err(AuthError::MalformedTimestamp));
    }

    #[test]
    fn versions_other_than_one_are_refused() {
        assert!(check_version(None).is_ok());
        assert!(check_version(Some("1")).is_ok());
        assert!(matches!(check_version(Some("2")), Err(AuthError::UnsupportedVersion(_))));
    }

    #[test]
    fn debug_output_hides_nonce_and_signature() {
        let h = parse_header("hmac client:12345:AAAAAAAAAAAAAAAAAAAAAA==").unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{h:?}");
        assert!(shown.contains("client") && !shown.contains("12345") && !shown.contains("AAAA"));
    }
}
