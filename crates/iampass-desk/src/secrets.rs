//! Application secrets live in the OS keyring. Where no keyring service runs (a bare desktop, CI),
//! they fall back to a file of mode 0600 in the console's data folder, and the console says so
//! plainly. A locked keyring is an error to act on, not a reason to fall back silently.

use std::io::Write as _;
use std::path::PathBuf;

use serde::Serialize;
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::error::{DeskError, DeskResult};

const SERVICE: &str = "iampass-desk";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SecretBackend {
    Keyring,
    /// The flagged fallback: a private file.
    File,
}

#[derive(Debug, Clone)]
pub struct SecretStore {
    dir: PathBuf,
    /// Skip the keyring (set by `IAMPASS_DESK_SECRET_STORE=file`, e.g. for kiosks and tests).
    file_only: bool,
}

impl SecretStore {
    pub fn new(dir: PathBuf, file_only: bool) -> Self {
        Self { dir, file_only }
    }

    fn file(&self, application_id: &str) -> PathBuf {
        self.dir.join(format!("{application_id}.secret"))
    }

    /// Stores the secret; returns where it went.
    pub fn save(&self, application_id: &str, secret: &str) -> DeskResult<SecretBackend> {
        if !self.file_only {
            match keyring::Entry::new(SERVICE, application_id).and_then(|e| e.set_password(secret)) {
                Ok(()) => {
                    let _ = std::fs::remove_file(self.file(application_id));
                    return Ok(SecretBackend::Keyring);
                }
                Err(keyring::Error::NoStorageAccess(e)) => return Err(DeskError::Keyring(e.to_string())),
                Err(e) => tracing::warn!(error = %e, "no keyring service; keeping the secret in a private file"),
            }
        }
        self.save_file(application_id, secret)?;
        Ok(SecretBackend::File)
    }

    fn save_file(&self, application_id: &str, secret: &str) -> DeskResult<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.file(application_id);
        let tmp = path.with_extension("tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(secret.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// The stored secret and where it came from; `None` if it is nowhere.
    pub fn load(&self, application_id: &str) -> DeskResult<Option<(Zeroizing<String>, SecretBackend)>> {
        if !self.file_only {
            match keyring::Entry::new(SERVICE, application_id).and_then(|e| e.get_password()) {
                Ok(s) => return Ok(Some((Zeroizing::new(s), SecretBackend::Keyring))),
                Err(keyring::Error::NoStorageAccess(e)) => return Err(DeskError::Keyring(e.to_string())),
                Err(_) => {}
            }
        }
        match std::fs::read_to_string(self.file(application_id)) {
            Ok(s) => Ok(Some((Zeroizing::new(s.trim().to_owned()), SecretBackend::File))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

impl SecretStore {
    /// Forgets the secret wherever it is (switching a profile to staff sign-in).
    pub fn delete(&self, application_id: &str) -> DeskResult<()> {
        if !self.file_only {
            match keyring::Entry::new(SERVICE, application_id).and_then(|e| e.delete_credential()) {
                Ok(()) | Err(keyring::Error::NoEntry) => {}
                Err(keyring::Error::NoStorageAccess(e)) => return Err(DeskError::Keyring(e.to_string())),
                Err(e) => tracing::warn!(error = %e, "no keyring service to forget the secret in"),
            }
        }
        match std::fs::remove_file(self.file(application_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_fallback_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::new(dir.path().join("secrets"), true);
        assert!(store.load("app").unwrap().is_none());
        assert_eq!(store.save("app", "S3CRET").unwrap(), SecretBackend::File);
        let (secret, backend) = store.load("app").unwrap().unwrap();
        assert_eq!((secret.as_str(), backend), ("S3CRET", SecretBackend::File));
        store.delete("app").unwrap();
        assert!(store.load("app").unwrap().is_none());
        store.delete("app").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            store.save("app2", "S3CRET").unwrap();
            let mode = std::fs::metadata(dir.path().join("secrets/app2.secret")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
