//! Authenticator kinds. Each kind is one module that turns an enrollment into a stored credential
//! and checks what a device of its kind signs; the service dispatches on [`DeviceKind`] here and
//! nowhere else, and the session state machine never sees the kind. A new kind is a new module, a
//! new [`DeviceKind`] and an arm in each function below.

mod app;
pub mod passkey;

use iampass_proto::device_v1::DeviceAuth;
use iampass_proto::wire::RegisterDeviceRequest;

use crate::domain::device::DeviceKind;
use crate::error::ServiceError;
use crate::store::DeviceRecord;
use passkey::{NoRelyingParty, RelyingParty};

/// What a device sends to bind itself at a registration link, by kind.
#[derive(Debug)]
pub enum Enrollment {
    App(RegisterDeviceRequest),
    Passkey(passkey::Registration),
}

/// A checked enrollment: what to store for the new device.
#[derive(Debug)]
pub struct Enrolled {
    pub id: String,
    pub kind: DeviceKind,
    pub credential: Vec<u8>,
    pub name: String,
    pub platform: String,
    pub synced: Option<bool>,
}

/// Checks an enrollment made at the link whose token is `token`.
pub fn enroll(
    token: &str,
    rp: Result<&RelyingParty, &NoRelyingParty>,
    enrollment: &Enrollment,
) -> Result<Enrolled, ServiceError> {
    match enrollment {
        Enrollment::App(req) => app::enroll(token, req),
        Enrollment::Passkey(reg) => passkey::enroll(rp.map_err(passkeys_unavailable)?, reg),
    }
}

/// Passkeys cannot be used with this server's public URL: the reason, for the person.
pub fn passkeys_unavailable(why: &NoRelyingParty) -> ServiceError {
    ServiceError::Forbidden { code: "passkeys_unavailable", reason: why.to_string() }
}

/// Checks a signed device request against the device's stored credential.
pub fn verify_request(
    device: &DeviceRecord,
    auth: &DeviceAuth,
    method: &str,
    target: &str,
    body: &[u8],
) -> Result<(), ServiceError> {
    match device.kind {
        DeviceKind::App => app::verify_request(&device.credential, auth, method, target, body),
        DeviceKind::Passkey => Err(ServiceError::Forbidden {
            code: "wrong_device_protocol",
            reason: "a web phone answers through the web phone's pages, not with signed device requests".into(),
        }),
    }
}
