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
    #[error("the key {0} is not 64 hexadecimal characters per line (optionally `<id>:` first)")]
    KeyFormat(PathBuf),
    #[error("the key file {0} is readable by other users; run `chmod 600` on it")]
    KeyPermissions(PathBuf),
    #[error("a sealed secret could not be opened (wrong key file, or the database was altered)")]
    Open,
    /// With a shared database a node never makes its own key: it would seal with a key the other
    /// nodes do not have.
    #[error(
        "the key file {0} does not exist; every node on a shared PostgreSQL database must use the same key: \
         make it once with `iampass-server key init --key-file FILE`, copy it to each node (mode 0600), \
         or give it in IAMPASS_KEY"
    )]
    Missing(PathBuf),
    #[error(
        "this key is not the one the database's secrets are sealed with: give every node (and every command) \
         the key file the database was first used with"
    )]
    WrongKey,
}

const NONCE_LEN: usize = 24;
/// The id of the key in a key file line without one (the original one-key format).
const FIRST_KEY_ID: u8 = 1;

/// Seals and opens secrets with XChaCha20-Poly1305; the record it belongs to is the associated
/// data, so a sealed secret moved to another row does not open. Several keys can be loaded: a
/// sealed blob's first byte names the key that sealed it, and new seals use the newest key, which is
/// how the key is rotated without a moment when some secret cannot be opened.
pub struct Sealer {
    keys: std::collections::BTreeMap<u8, XChaCha20Poly1305>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealer(keys {:?})", self.keys.keys().collect::<Vec<_>>())
    }
}

type KeyList = Vec<(u8, Zeroizing<[u8; 32]>)>;

impl Sealer {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self::from_keys(&[(FIRST_KEY_ID, Zeroizing::new(*key))])
    }

    fn from_keys(keys: &[(u8, Zeroizing<[u8; 32]>)]) -> Self {
        Self { keys: keys.iter().map(|(id, k)| (*id, XChaCha20Poly1305::new(k.as_slice().into()))).collect() }
    }

    /// Loads the key file, creating it (mode 0600, never overwriting) if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        Ok(Self::from_keys(&load_or_create_keys(path)?))
    }

    /// Loads the key file, which must exist.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let keys = read_keys(path)?.ok_or_else(|| CryptoError::Missing(path.to_owned()))?;
        Ok(Self::from_keys(&keys))
    }

    /// The key as 64 hexadecimal characters (from `IAMPASS_KEY`), instead of a key file.
    pub fn from_hex(hex_key: &str) -> Result<Self, CryptoError> {
        let bad = || CryptoError::KeyFormat(PathBuf::from("IAMPASS_KEY"));
        let bytes = Zeroizing::new(hex::decode(hex_key.trim()).map_err(|_| bad())?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
        Ok(Self::from_key(&key))
    }

    /// The id new seals use.
    pub fn current_key_id(&self) -> u8 {
        self.keys.keys().next_back().copied().unwrap_or(FIRST_KEY_ID)
    }

    pub fn seal(&self, context: &str, secret: &str) -> Vec<u8> {
        let id = self.current_key_id();
        let Some(cipher) = self.keys.get(&id) else { return Vec::new() };
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let payload = Payload { msg: secret.as_bytes(), aad: context.as_bytes() };
        // Encryption with a valid key only fails for messages beyond 256 GiB.
        let ct = cipher.encrypt(XNonce::from_slice(&nonce_bytes), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(id);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ct);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<String>, CryptoError> {
        if sealed.len() < 1 + NONCE_LEN {
            return Err(CryptoError::Open);
        }
        let cipher = self.keys.get(&sealed[0]).ok_or(CryptoError::Open)?;
        let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Open)?;
        String::from_utf8(plain).map(Zeroizing::new).map_err(|_| CryptoError::Open)
    }
}

/// Each non-empty line: `<64 hex>` (key 1, the original format) or `<id>:<64 hex>`.
fn parse_keys(path: &Path, text: &str) -> Result<KeyList, CryptoError> {
    let bad = || CryptoError::KeyFormat(path.to_owned());
    let mut keys = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (id, hex_key) = match line.split_once(':') {
            Some((id, k)) => (id.parse::<u8>().map_err(|_| bad())?, k),
            None => (FIRST_KEY_ID, line),
        };
        let bytes = Zeroizing::new(hex::decode(hex_key).map_err(|_| bad())?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
        keys.push((id, Zeroizing::new(key)));
    }
    let mut ids: Vec<u8> = keys.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    if keys.is_empty() || ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(bad());
    }
    Ok(keys)
}

/// Writes the keys to a private temporary file beside `path` and renames it into place, so the
/// file is always whole.
fn write_keys(path: &Path, keys: &KeyList) -> Result<(), CryptoError> {
    let io = |source| CryptoError::KeyFile { path: path.to_owned(), source };
    let tmp = path.with_extension("key-tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(&tmp).map_err(io)?;
    let text =
        Zeroizing::new(keys.iter().map(|(id, k)| format!("{id}:{}\n", hex::encode(k.as_slice()))).collect::<String>());
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// The keys in the file at `path` (private, well formed), or `None` if there is no file.
fn read_keys(path: &Path) -> Result<Option<KeyList>, CryptoError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_permissions(path)?;
            parse_keys(path, &Zeroizing::new(text)).map(Some)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CryptoError::KeyFile { path: path.to_owned(), source }),
    }
}

fn load_or_create_keys(path: &Path) -> Result<KeyList, CryptoError> {
    let io = |source| CryptoError::KeyFile { path: path.to_owned(), source };
    match read_keys(path)? {
        Some(keys) => Ok(keys),
        None => {
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
            Ok(vec![(FIRST_KEY_ID, key)])
        }
    }
}

/// Whether the key file at `path` would serve: if it exists, it is private and holds keys; if not,
/// it `must_exist` (a shared database: see [`CryptoError::Missing`]) or its folder exists so the
/// first start can create it. Reads only (for `check-config`).
pub fn check_key_file(path: &Path, must_exist: bool) -> Result<(), CryptoError> {
    if read_keys(path)?.is_none() {
        if must_exist {
            return Err(CryptoError::Missing(path.to_owned()));
        }
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::metadata(dir).map_err(|source| CryptoError::KeyFile { path: path.to_owned(), source })?;
    }
    Ok(())
}

/// Key rotation, step 1: adds a new key to the file (the old ones stay, so everything sealed still
/// opens) and returns a sealer that seals with it.
pub fn add_key(path: &Path) -> Result<Sealer, CryptoError> {
    let mut keys = load_or_create_keys(path)?;
    let next = keys
        .iter()
        .map(|(id, _)| *id)
        .max()
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| CryptoError::KeyFormat(path.to_owned()))?;
    keys.push((next, Zeroizing::new(rand::random())));
    write_keys(path, &keys)?;
    Ok(Sealer::from_keys(&keys))
}

/// Key rotation, last step (once every secret is sealed with `keep`): removes the other keys.
pub fn keep_only_key(path: &Path, keep: u8) -> Result<(), CryptoError> {
    let keys: KeyList = load_or_create_keys(path)?.into_iter().filter(|(id, _)| *id == keep).collect();
    if keys.is_empty() {
        return Err(CryptoError::KeyFormat(path.to_owned()));
    }
    write_keys(path, &keys)
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

/// A bearer secret (a staff token, a sign-in id): 256 random bits, URL-safe.
pub fn new_bearer_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
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
    fn rotation_adds_a_key_then_keeps_only_it_and_old_seals_open_until_then() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        let first = Sealer::load_or_create(&path).expect("create");
        let old = first.seal("c", "v");
        assert_eq!(old[0], 1);
        let both = add_key(&path).expect("add");
        assert_eq!(both.current_key_id(), 2);
        assert_eq!(both.open("c", &old).map(|v| v.to_string()).ok(), Some("v".into()), "old seals still open");
        let new = both.seal("c", "v");
        assert_eq!(new[0], 2);
        keep_only_key(&path, 2).expect("retire");
        let after = Sealer::load_or_create(&path).expect("reload");
        assert!(after.open("c", &old).is_err(), "the retired key is gone");
        assert_eq!(after.open("c", &new).map(|v| v.to_string()).ok(), Some("v".into()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_key_from_the_environment_must_be_64_hex() {
        assert!(Sealer::from_hex(&"ab".repeat(32)).is_ok());
        assert!(Sealer::from_hex("abc").is_err());
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
