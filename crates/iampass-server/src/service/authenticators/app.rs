//! The reference phone (`iampass-device`): an Ed25519 key pair made on the phone. It proves
//! possession at enrollment by signing the link's token, then signs every request
//! (`device_v1`); the server keeps only the public key.

use iampass_proto::device_v1::{self, DeviceAuth};
use iampass_proto::wire::RegisterDeviceRequest;

use super::Enrolled;
use crate::domain::Invalid;
use crate::domain::device::DeviceKind;
use crate::error::ServiceError;

const MAX_DEVICE_NAME_CHARS: usize = 64;
const MAX_PLATFORM_CHARS: usize = 32;

fn text_field(value: &str, what: &str, max: usize) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Invalid::new(
            "invalid_device",
            format!("{what} must be 1 to {max} characters, without control characters"),
        ));
    }
    Ok(v.to_owned())
}

pub(super) fn enroll(token: &str, req: &RegisterDeviceRequest) -> Result<Enrolled, ServiceError> {
    let name = text_field(&req.name, "the device name", MAX_DEVICE_NAME_CHARS)?;
    let platform = text_field(&req.platform, "the platform", MAX_PLATFORM_CHARS)?;
    let key =
        device_v1::decode_public_key(&req.public_key).map_err(|e| Invalid::new("invalid_public_key", e.to_string()))?;
    device_v1::verify_registration_proof(&key, token, &req.proof)?;
    Ok(Enrolled {
        id: crate::crypto::new_hex_id(),
        kind: DeviceKind::App,
        credential: key.to_bytes().to_vec(),
        name,
        platform,
        synced: None,
    })
}

pub(super) fn verify_request(
    credential: &[u8],
    auth: &DeviceAuth,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<(), ServiceError> {
    let key_bytes: [u8; 32] =
        credential.try_into().map_err(|_| ServiceError::Internal("stored device key has the wrong length".into()))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| ServiceError::Internal("stored device key is invalid".into()))?;
    Ok(auth.verify(&key, method, target, body)?)
}
