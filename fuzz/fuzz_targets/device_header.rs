//! The phone's `IAMPASS-Device-1` header and the registration proof: parsers, public-key
//! decoding and Ed25519 verification.
//!
//! Input: lines `header`, `method`, `target`, `public key`, `proof`, then the body. Properties:
//! nothing panics; a fuzzed header never verifies under a key it was not made with; a header the
//! phone signs (over any method, target and body) parses back and verifies, and no longer verifies
//! once the body changes.
#![no_main]

use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use iampass_proto::device_v1;
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::from_bytes(&[7u8; 32]));

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(6, '\n');
    let header = parts.next().unwrap_or_default();
    let method = parts.next().unwrap_or("POST");
    let target = parts.next().unwrap_or("/device/v1/presence");
    let public_key = parts.next().unwrap_or_default();
    let proof = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default().as_bytes();

    let ours = KEY.verifying_key();
    if let Ok(auth) = device_v1::parse(header) {
        // Only a signature made with our key could verify, and the fuzzer does not have it.
        assert!(auth.verify(&ours, method, target, body).is_err(), "a forged device signature verified");
    }
    if let Ok(key) = device_v1::decode_public_key(public_key) {
        assert!(!key.is_weak());
        let _ = device_v1::verify_registration_proof(&key, target, proof);
    }

    let signed = device_v1::sign(&KEY, "dev_fuzz", method, target, 1_700_000_000, body);
    let auth = device_v1::parse(&signed).expect("a signed header parses");
    assert_eq!(auth.device_id, "dev_fuzz");
    assert!(auth.verify(&ours, method, target, body).is_ok(), "a signed request verifies");
    let mut tampered = body.to_vec();
    tampered.push(b'!');
    assert!(auth.verify(&ours, method, target, &tampered).is_err(), "the signature covers the body");

    let proof = device_v1::registration_proof(&KEY, target);
    assert!(device_v1::verify_registration_proof(&ours, target, &proof).is_ok());
});
