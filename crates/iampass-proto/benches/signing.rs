//! ns per operation of the signing code on every request's path: protocol-1 sign, parse + verify,
//! and device (Ed25519) sign and verify. Numbers go to docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use iampass_proto::{device_v1, hmac_v1};
use std::hint::black_box;

const URI: &str =
    "http://127.0.0.1:8080/management/has_registered_mobile_device/fb24e30b03b9476982c66a9e743bc906/user%2B1";
const SECRET: &str = "2AZMOE53B0AWPZHQ0RD8L07HHMVAU53J";

fn protocol1(c: &mut Criterion) {
    c.bench_function("protocol1 sign", |b| {
        b.iter(|| {
            hmac_v1::sign_with(
                black_box("fb24e30b03b9476982c66a9e743bc906"),
                SECRET,
                black_box(URI),
                578437695752307201,
                1_700_000_000,
            )
        })
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

fn device(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let body = br#"{"decision":"approve","methods":["acceptance"],"fraud":false}"#;
    c.bench_function("device sign", |b| {
        b.iter(|| device_v1::sign(&key, "dev", "POST", "/device/v1/requests/s", 1_700_000_000, black_box(body)))
    });
    let header = device_v1::sign(&key, "dev", "POST", "/device/v1/requests/s", 1_700_000_000, body);
    let vk = key.verifying_key();
    c.bench_function("device parse+verify", |b| {
        b.iter(|| {
            device_v1::parse(black_box(&header)).unwrap().verify(&vk, "POST", "/device/v1/requests/s", body).unwrap()
        })
    });
}

criterion_group!(benches, protocol1, device);
criterion_main!(benches);
