//! A software passkey: what a phone's platform authenticator does, written out so tests and
//! benchmarks can enroll and approve without a browser. It makes an ES256 credential with "none"
//! attestation, answers `navigator.credentials.create`/`get` options (the server's JSON), and can
//! be told not to verify its user, to forge a signature, or to answer for another site.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

#[derive(Debug)]
pub struct SoftPasskey {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    /// The origin the browser would report (the page's).
    pub origin: String,
    /// Whether the authenticator verifies its user (face, fingerprint, PIN).
    pub verifies_user: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).unwrap()
}

/// CBOR byte string header (major type 2) for lengths under 65536.
fn cbor_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n @ 0..=23 => out.push(0x40 | n as u8),
        n @ 24..=255 => out.extend([0x58, n as u8]),
        n => out.extend([0x59, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(bytes);
}

impl SoftPasskey {
    pub fn new(origin: &str) -> Self {
        Self {
            key: SigningKey::random(&mut rand::rngs::OsRng),
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            origin: origin.to_owned(),
            verifies_user: true,
        }
    }

    /// Claims `other`'s credential id and user handle while signing with its own key: a forgery.
    pub fn impersonate(&mut self, other: &SoftPasskey) {
        self.credential_id = other.credential_id.clone();
        self.user_handle = other.user_handle.clone();
        self.counter = other.counter + 10;
    }

    fn flags(&self) -> u8 {
        if self.verifies_user { UP | UV } else { UP }
    }

    fn auth_data(&self, rp_id: &str, flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend(self.counter.to_be_bytes());
        data
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The COSE form of the public key: EC2, ES256, P-256, x, y.
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut out = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cbor_bytes(&mut out, point.x().unwrap());
        out.push(0x22);
        cbor_bytes(&mut out, point.y().unwrap());
        out
    }

    /// Answers `navigator.credentials.create` for `options` (`{"publicKey": ...}`).
    pub fn register(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        let rp_id = pk["rp"]["id"].as_str().unwrap();
        self.user_handle = unb64(pk["user"]["id"].as_str().unwrap());
        let mut auth_data = self.auth_data(rp_id, self.flags() | AT);
        auth_data.extend([0u8; 16]); // AAGUID: none
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let mut attestation = vec![0xa3, 0x63];
        attestation.extend(b"fmt");
        attestation.push(0x64);
        attestation.extend(b"none");
        attestation.push(0x67);
        attestation.extend(b"attStmt");
        attestation.push(0xa0);
        attestation.push(0x68);
        attestation.extend(b"authData");
        cbor_bytes(&mut attestation, &auth_data);
        let client_data = self.client_data("webauthn.create", pk["challenge"].as_str().unwrap());
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {"attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data)},
            "extensions": {},
        })
    }

    /// Answers `navigator.credentials.get` for `options`.
    pub fn assert(&mut self, options: &Value) -> Value {
        let pk = &options["publicKey"];
        self.counter += 1;
        let auth_data = self.auth_data(pk["rpId"].as_str().unwrap(), self.flags());
        let client_data = self.client_data("webauthn.get", pk["challenge"].as_str().unwrap());
        let mut signed = auth_data.clone();
        signed.extend(Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
            "extensions": {},
        })
    }
}
