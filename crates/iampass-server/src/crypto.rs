//! Secrets: generating ids, secrets and tokens, and sealing the secrets the server must be able
//! to read back (application and session secrets, needed to check protocol-1 signatures) under a
//! key kept outside the database. A copy of the database alone reveals no usable secret.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng as _;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("cannot read or create the key file {path}: {source}")]
    KeyFile { path: PathBuf, source: std::io::Error },
    #[error("the key file {0} is not 64 hexadecimal characters")]
    KeyFormat(PathBuf),
    #[error("the key file {0} is readable by other users; run `chmod 600` on it")]
    KeyPermissions(PathBuf),
    #[error("a sealed secret could not be opened (wrong key file, or the database was altered)")]
    Open,
}

const KEY_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;

/// Seals and opens secrets with XChaCha20-Poly1305; the record it belongs to is the associated
/// data, so a sealed secret moved to another row does not open.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key>)")
    }
}

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// Loads the key file, creating it (mode 0600, never overwriting) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        let key = load_or_create_key(path)?;
        Ok(Self::from_key(&key))
    }

    pub fn seal(&self, context: &str, secret: &str) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let payload = Payload { msg: secret.as_bytes(), aad: context.as_bytes() };
        // Encryption with a valid key only fails for messages beyond 256 GiB.
        let ct = self.cipher.encrypt(XNonce::from_slice(&nonce_bytes), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(KEY_VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<String>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN || sealed[0] != KEY_VERSION {
            return Err(CryptoError::Open);
        }
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Open)?;
        String::from_utf8(plain).map(Zeroizing::new).map_err(|_| CryptoError::Open)
    }
}

fn load_or_create_key(path: &Path) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
    let io = |source| CryptoError::KeyFile { path: path.to_owned(), source };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_permissions(path)?;
            let bytes = Zeroizing::new(hex::decode(text.trim()).map_err(|_| CryptoError::KeyFormat(path.to_owned()))?);
            let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::KeyFormat(path.to_owned()))?;
            Ok(Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: Zeroizing<[u8; 32]> = Zeroizing::new(rand::random());
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut file = opts.open(path).map_err(io)?;
            file.write_all(hex::encode(key.as_slice()).as_bytes()).map_err(io)?;
            file.write_all(b"\n").map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|source| CryptoError::KeyFile { path: path.to_owned(), source })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(CryptoError::KeyPermissions(path.to_owned()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<(), CryptoError> {
    Ok(())
}

/// 32 lowercase hex characters (128 random bits): application, session and device ids.
pub fn new_hex_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// 32 characters of `[A-Z0-9]` (about 165 bits), the shape of IAMPASS application secrets.
pub fn new_secret() -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).map(|b| (b as char).to_ascii_uppercase()).take(32).collect()
}

/// A registration link token: 128 random bits, URL-safe, short so its QR code stays coarse.
pub fn new_link_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// A number-matching code: two digits, shown on the login screen and typed on the phone.
pub fn new_match_code() -> String {
    format!("{:02}", rand::thread_rng().gen_range(0..100))
}

/// Tokens are stored hashed: a copy of the database cannot be used to bind a phone.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_context_and_with_their_key() {
        let s = Sealer::from_key(&[1; 32]);
        let sealed = s.seal("app:x", "SECRET");
        assert!(!sealed.windows(6).any(|w| w == b"SECRET"));
        assert_eq!(s.open("app:x", &sealed).map(|v| v.to_string()).ok(), Some("SECRET".into()));
        assert!(s.open("app:y", &sealed).is_err());
        assert!(Sealer::from_key(&[2; 32]).open("app:x", &sealed).is_err());
        assert!(s.open("app:x", &sealed[..10]).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/key");
        let a = Sealer::load_or_create(&path).expect("create");
        let sealed = a.seal("c", "v");
        let b = Sealer::load_or_create(&path).expect("reload");
        assert_eq!(b.open("c", &sealed).map(|v| v.to_string()).ok(), Some("v".into()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(Sealer::load_or_create(&path), Err(CryptoError::KeyPermissions(_))));
        }
    }

    #[test]
    fn generated_values_have_their_documented_shapes() {
        let id = new_hex_id();
        assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let secret = new_secret();
        assert!(secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
        assert_eq!(new_link_token().len(), 22);
        assert_ne!(new_link_token(), new_link_token());
    }
}
