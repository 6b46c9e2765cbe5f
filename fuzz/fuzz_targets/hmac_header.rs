//! Protocol 1 (`Authentication: hmac <client>:<nonce>:<signature>`): the header parser, the
//! timestamp and version checks, and the verifier.
//!
//! Input: lines `header`, `timestamp`, `version`, `uri`, `client id`, `secret`. Properties:
//! nothing panics; a header the parser accepts verifies only if its signature is the one
//! `signature()` computes; and whatever client id, secret, URI, nonce and timestamp are signed,
//! the signed header parses back and verifies (and fails for any other URI).
#![no_main]

use iampass_proto::hmac_v1;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let header = lines.next().unwrap_or_default();
    let timestamp = lines.next().unwrap_or_default();
    let version = lines.next();
    let uri = lines.next().unwrap_or_default();
    let client_id = lines.next().unwrap_or_default();
    let secret = lines.next().unwrap_or("fuzz-secret");

    let _ = hmac_v1::check_version(version);
    let ts = hmac_v1::parse_timestamp(timestamp).unwrap_or(0);
    let _ = hmac_v1::check_timestamp(ts, 1_700_000_000, 300);

    if let Ok(parsed) = hmac_v1::parse_header(header) {
        let verified = parsed.verify(secret, [uri], ts).is_ok();
        let expected = hmac_v1::signature(secret, &parsed.nonce, uri, ts);
        let given = header.trim().rsplit(':').next().unwrap_or_default();
        assert_eq!(verified, given == expected, "verify disagrees with signature()");
    }

    // Round trip through the signer, with a nonce and timestamp taken from the input.
    let nonce = data.iter().fold(0u64, |acc, b| acc.rotate_left(5) ^ u64::from(*b));
    let signed = hmac_v1::sign_with(client_id, secret, uri, nonce, ts);
    if client_id.is_empty() || client_id.contains(char::is_whitespace) {
        return;
    }
    let parsed = hmac_v1::parse_header(&signed.authentication).expect("a signed header parses");
    assert_eq!(parsed.client_id, client_id);
    assert_eq!(parsed.nonce, nonce.to_string());
    assert!(parsed.verify(secret, [uri], ts).is_ok(), "a signed header verifies");
    let other = format!("{uri}x");
    assert!(parsed.verify(secret, [other.as_str()], ts).is_err(), "a signature covers the URI");
});
