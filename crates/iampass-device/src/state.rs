//! The phone's state file: server, device id and private key. Written atomically with mode 0600;
//! the key never appears in `Debug` output or messages.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use iampass_proto::wire::RegisterDeviceResponse;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the state file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the state file {path} is not a device state: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error("the state file holds no valid device key")]
    Key,
}

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceState {
    pub server: String,
    pub device_id: String,
    pub application_id: String,
    pub application_name: String,
    pub user_id: String,
    pub display_name: Option<String>,
    pub device_name: String,
    /// base64 of the 32-byte Ed25519 seed.
    private_key: String,
}

impl std::fmt::Debug for DeviceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceState")
            .field("server", &self.server)
            .field("device_id", &self.device_id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl DeviceState {
    pub fn new(server: &str, reply: &RegisterDeviceResponse, device_name: &str, key: &SigningKey) -> Self {
        Self {
            server: server.to_owned(),
            device_id: reply.device_id.clone(),
            application_id: reply.application_id.clone(),
            application_name: reply.application_name.clone(),
            user_id: reply.user_id.clone(),
            display_name: reply.display_name.clone(),
            device_name: device_name.to_owned(),
            private_key: STANDARD.encode(key.to_bytes()),
        }
    }

    pub fn signing_key(&self) -> Result<SigningKey, StateError> {
        let bytes = Zeroizing::new(STANDARD.decode(&self.private_key).map_err(|_| StateError::Key)?);
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| StateError::Key)?;
        Ok(SigningKey::from_bytes(&seed))
    }

    pub fn load(path: &Path) -> Result<Self, StateError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| StateError::Read { path: path.to_owned(), source })?;
        serde_json::from_str(&text).map_err(|e| StateError::Format { path: path.to_owned(), reason: e.to_string() })
    }

    /// Writes to a temporary file beside `path` (mode 0600) and renames it into place.
    pub fn save(&self, path: &Path) -> Result<(), StateError> {
        let err = |source| StateError::Write { path: path.to_owned(), source };
        let json = serde_json::to_vec_pretty(self).map_err(|e| err(std::io::Error::other(e)))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(err)?;
        let tmp = dir.join(format!(".{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("device")));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(&tmp).map_err(err)?;
        file.write_all(&json).map_err(err)?;
        file.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> DeviceState {
        let reply = RegisterDeviceResponse {
            device_id: "d".into(),
            application_id: "a".into(),
            application_name: "App".into(),
            user_id: "u".into(),
            display_name: None,
        };
        DeviceState::new("http://127.0.0.1:1", &reply, "phone", &SigningKey::from_bytes(&[9; 32]))
    }

    #[test]
    fn state_round_trips_privately_and_hides_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("phone.json");
        let s = sample();
        s.save(&path).expect("save");
        assert_eq!(DeviceState::load(&path).expect("load"), s);
        assert_eq!(s.signing_key().expect("key").to_bytes(), [9; 32]);
        assert!(!format!("{s:?}").contains(&s.private_key));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_broken_state_file_says_what_is_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("phone.json");
        std::fs::write(&path, "{}").expect("write");
        assert!(matches!(DeviceState::load(&path), Err(StateError::Format { .. })));
        assert!(matches!(DeviceState::load(&dir.path().join("none")), Err(StateError::Read { .. })));
    }
}
