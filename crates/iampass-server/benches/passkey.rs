//! Server time per web-phone approval check (a WebAuthn assertion with user verification, ES256,
//! through webauthn-rs) beside a protocol-1 request check, on the same machine in one run.
//! Numbers go to docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use iampass_proto::hmac_v1;
use iampass_server::service::authenticators::passkey::{self, Registration, RelyingParty};
use iampass_server::service::authenticators::{self as kinds, Enrollment};
use iampass_testkit::passkey::SoftPasskey;
use std::hint::black_box;

const ORIGIN: &str = "https://desk.example.com";
const URI: &str = "https://desk.example.com/management/has_registered_mobile_device/fb24e30b03b9476982c66a9e743bc906/u";
const SECRET: &str = "2AZMOE53B0AWPZHQ0RD8L07HHMVAU53J";

fn verify(c: &mut Criterion) {
    let rp = RelyingParty::for_public_url(ORIGIN).unwrap();
    let mut phone = SoftPasskey::new(ORIGIN);
    let device_id = "00112233445566778899aabbccddeeff";
    let (creation, state) = passkey::start_registration(&rp, device_id, "u", "U").unwrap();
    let credential = phone.register(&serde_json::to_value(&creation).unwrap());
    let registration = Registration {
        device_id: device_id.into(),
        state,
        credential: serde_json::from_value(credential).unwrap(),
        platform: "bench".into(),
    };
    let stored = kinds::enroll("token", Ok(&rp), &Enrollment::Passkey(registration)).unwrap().credential;
    let (request, state) = passkey::start_assertion(&rp, &stored).unwrap();
    let assertion = serde_json::from_value(phone.assert(&serde_json::to_value(&request).unwrap())).unwrap();
    c.bench_function("passkey assertion verify (ES256, user verified)", |b| {
        b.iter(|| passkey::finish_assertion(&rp, black_box(&stored), black_box(&assertion), &state).unwrap())
    });

    let header = hmac_v1::sign_with("fb24e30b03b9476982c66a9e743bc906", SECRET, URI, 578437695752307201, 1_700_000_000)
        .authentication;
    let bare = hmac_v1::strip_scheme(URI);
    c.bench_function("protocol1 parse+verify", |b| {
        b.iter(|| {
            let h = hmac_v1::parse_header(black_box(&header)).unwrap();
            h.verify(SECRET, [bare], 1_700_000_000).unwrap();
        })
    });
}

criterion_group!(benches, verify);
criterion_main!(benches);
