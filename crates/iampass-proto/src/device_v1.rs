//! Device request signing, version 1: how the reference phone proves who it is after binding.
//! The phone holds an Ed25519 key; the server keeps only the public half, so a database leak
//! yields nothing that can answer a login. Transport code does not belong here.
//!
//! Header: `Authorization: IAMPASS-Device-1 {device_id}:{nonce}:{timestamp}:{base64 signature}`.
//! Signed message (newline separated): `IAMPASS-DEVICE-1`, method, request target (path and query
//! exactly as sent), timestamp, nonce, lowercase hex SHA-256 of the body.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::error::AuthError;

pub const SCHEME: &str = "IAMPASS-Device-1";
const CONTEXT: &str = "IAMPASS-DEVICE-1";
const REGISTER_CONTEXT: &str = "IAMPASS-DEVICE-REGISTER-1";
const MAX_NONCE_LEN: usize = 64;

/// A parsed device `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuth {
    pub device_id: String,
    pub nonce: String,
    pub timestamp: i64,
    signature: Signature,
}

impl std::fmt::Debug for DeviceAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuth").field("device_id", &self.device_id).finish_non_exhaustive()
    }
}

/// The exact bytes a device signs for one request.
pub fn message(method: &str, target: &str, timestamp: i64, nonce: &str, body: &[u8]) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!("{CONTEXT}\n{}\n{target}\n{timestamp}\n{nonce}\n{body_hash}", method.to_ascii_uppercase())
}

/// The `Authorization` value for one request.
pub fn sign(key: &SigningKey, device_id: &str, method: &str, target: &str, timestamp: i64, body: &[u8]) -> String {
    let nonce = format!("{:032x}", rand::random::<u128>());
    let sig = key.sign(message(method, target, timestamp, &nonce, body).as_bytes());
    format!("{SCHEME} {device_id}:{nonce}:{timestamp}:{}", STANDARD.encode(sig.to_bytes()))
}

/// Parses a device `Authorization` value.
pub fn parse(value: &str) -> Result<DeviceAuth, AuthError> {
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MalformedHeader("expected `IAMPASS-Device-1 <device>:<nonce>:<timestamp>:<signature>`"))?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return Err(AuthError::MalformedHeader("the scheme must be IAMPASS-Device-1"));
    }
    let mut parts = rest.trim().split(':');
    let (Some(device_id), Some(nonce), Some(ts), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::MalformedHeader("expected four `:`-separated fields"));
    };
    if device_id.is_empty()
        || nonce.is_empty()
        || nonce.len() > MAX_NONCE_LEN
        || !nonce.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(AuthError::MalformedHeader("the device id or nonce is malformed"));
    }
    let timestamp = ts.parse::<i64>().map_err(|_| AuthError::MalformedTimestamp)?;
    let bytes = STANDARD.decode(sig).map_err(|_| AuthError::MalformedHeader("the signature is not base64"))?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| AuthError::MalformedHeader("the signature must be 64 bytes"))?;
    Ok(DeviceAuth {
        device_id: device_id.to_owned(),
        nonce: nonce.to_owned(),
        timestamp,
        signature: Signature::from_bytes(&bytes),
    })
}

impl DeviceAuth {
    /// Checks the signature over this request with the device's public key (strict verification:
    /// no malleable or small-order signatures).
    pub fn verify(&self, key: &VerifyingKey, method: &str, target: &str, body: &[u8]) -> Result<(), AuthError> {
        let msg = message(method, target, self.timestamp, &self.nonce, body);
        key.verify_strict(msg.as_bytes(), &self.signature).map_err(|_| AuthError::BadSignature)
    }
}

/// Proof that whoever binds a key to a registration token holds its private half.
pub fn registration_proof(key: &SigningKey, token: &str) -> String {
    let public = STANDARD.encode(key.verifying_key().to_bytes());
    STANDARD.encode(key.sign(format!("{REGISTER_CONTEXT}\n{token}\n{public}").as_bytes()).to_bytes())
}

/// Decodes a base64 Ed25519 public key, refusing weak (small-order) keys.
pub fn decode_public_key(b64: &str) -> Result<VerifyingKey, AuthError> {
    let bytes = STANDARD.decode(b64.trim()).map_err(|_| AuthError::MalformedHeader("the public key is not base64"))?;
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| AuthError::MalformedHeader("the public key must be 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&bytes)
        .map_err(|_| AuthError::MalformedHeader("the public key is not a valid Ed25519 point"))?;
    if key.is_weak() {
        return Err(AuthError::MalformedHeader("the public key is a weak Ed25519 point"));
    }
    Ok(key)
}

/// Checks a registration proof made by [`registration_proof`].
pub fn verify_registration_proof(key: &VerifyingKey, token: &str, proof_b64: &str) -> Result<(), AuthError> {
    let bytes = STANDARD.decode(proof_b64.trim()).map_err(|_| AuthError::MalformedHeader("the proof is not base64"))?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| AuthError::MalformedHeader("the proof must be 64 bytes"))?;
    let public = STANDARD.encode(key.to_bytes());
    key.verify_strict(format!("{REGISTER_CONTEXT}\n{token}\n{public}").as_bytes(), &Signature::from_bytes(&bytes))
        .map_err(|_| AuthError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_signed_request_verifies_and_any_change_breaks_it() {
        let k = key(7);
        let header = sign(&k, "dev1", "post", "/device/v1/answer?x=1", 1_700_000_000, b"{\"a\":1}");
        let auth = parse(&header).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(auth.device_id, "dev1");
        assert_eq!(auth.timestamp, 1_700_000_000);
        let vk = k.verifying_key();
        assert!(auth.verify(&vk, "POST", "/device/v1/answer?x=1", b"{\"a\":1}").is_ok());
        assert_eq!(auth.verify(&vk, "GET", "/device/v1/answer?x=1", b"{\"a\":1}"), Err(AuthError::BadSignature));
        assert_eq!(auth.verify(&vk, "POST", "/device/v1/answer?x=2", b"{\"a\":1}"), Err(AuthError::BadSignature));
        assert_eq!(auth.verify(&vk, "POST", "/device/v1/answer?x=1", b"{\"a\":2}"), Err(AuthError::BadSignature));
        assert_eq!(
            auth.verify(&key(8).verifying_key(), "POST", "/device/v1/answer?x=1", b"{\"a\":1}"),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn malformed_device_headers_are_refused() {
        for bad in [
            "",
            "IAMPASS-Device-1",
            "Bearer x",
            "IAMPASS-Device-1 a:b:c",
            "IAMPASS-Device-1 a:b:c:d:e",
            "IAMPASS-Device-1 a:n!:1:AAAA",
            "IAMPASS-Device-1 a:n:1:AAAA",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse("IAMPASS-Device-1 a:n:xx:AAAA"), Err(AuthError::MalformedTimestamp));
    }

    #[test]
    fn registration_proof_binds_token_and_key() {
        let k = key(3);
        let proof = registration_proof(&k, "tok");
        let vk = decode_public_key(&STANDARD.encode(k.verifying_key().to_bytes())).unwrap_or_else(|e| panic!("{e}"));
        assert!(verify_registration_proof(&vk, "tok", &proof).is_ok());
        assert!(verify_registration_proof(&vk, "other", &proof).is_err());
        assert!(verify_registration_proof(&key(4).verifying_key(), "tok", &proof).is_err());
    }

    #[test]
    fn weak_and_malformed_public_keys_are_refused() {
        assert!(decode_public_key("AAAA").is_err());
        // The identity point is of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(decode_public_key(&STANDARD.encode(identity)).is_err());
    }
}
