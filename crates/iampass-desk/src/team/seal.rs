//! The team book's cryptography, all of it from reviewed constructions: entries are sealed with
//! XChaCha20-Poly1305 (a random 24-byte nonce per write, so nonces never repeat under one key),
//! the book key is wrapped to each desk's X25519 key with HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305). What binds a ciphertext to its
//! place is the associated data (entries) and HPKE's `info` (wrapped keys): the application, the
//! user id, the version and the key's generation for an entry; the application, the desk and the
//! generation for a key. A server that moves, swaps or replays bytes gets a refusal to open.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type WrapAead = hpke::aead::ChaCha20Poly1305;

const ENTRY_LABEL: &[u8] = b"iampass-desk team book entry v1";
const WRAP_LABEL: &[u8] = b"iampass-desk team book key v1";
const NONCE_BYTES: usize = 24;
/// HPKE's encapsulated key for X25519.
const ENCAPPED_BYTES: usize = 32;

/// Why sealed bytes were refused. Deliberately one reason each: a desk says what it could not
/// trust, not which byte was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "the sealed bytes do not open with this book key: they were altered, moved to another employee or version, or sealed under another key"
    )]
    Entry,
    #[error(
        "the wrapped book key does not open with this desk's key: it was made for another desk, altered, or for another generation"
    )]
    Wrapped,
    #[error("a stored key is malformed")]
    Key,
}

/// The book key of one generation: 32 random bytes, wiped when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct BookKey {
    bytes: [u8; 32],
    #[zeroize(skip)]
    pub generation: u32,
}

impl std::fmt::Debug for BookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BookKey(generation {}, {})", self.generation, self.fingerprint())
    }
}

/// Where an entry belongs: what its associated data binds.
#[derive(Debug, Clone, Copy)]
pub struct EntryPlace<'a> {
    pub app_id: &'a str,
    pub user_id: &'a str,
    pub version: u64,
}

fn framed(parts: &[&[u8]]) -> Vec<u8> {
    // Each part with its length first, so that no two different lists frame to the same bytes.
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(&(p.len() as u32).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

impl BookKey {
    pub fn generate(generation: u32) -> Self {
        Self { bytes: rand::random(), generation }
    }

    pub fn from_bytes(bytes: &[u8], generation: u32) -> Result<Self, SealError> {
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::Key)?;
        Ok(Self { bytes, generation })
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.bytes))
    }

    fn associated(&self, place: EntryPlace<'_>) -> Vec<u8> {
        framed(&[
            ENTRY_LABEL,
            place.app_id.as_bytes(),
            place.user_id.as_bytes(),
            &place.version.to_be_bytes(),
            &self.generation.to_be_bytes(),
        ])
    }

    /// Seals `plaintext` for `place`: the nonce, then the ciphertext and its tag.
    pub fn seal(&self, place: EntryPlace<'_>, plaintext: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new((&self.bytes).into());
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let aad = self.associated(place);
        // Encryption with a valid key cannot fail; an empty result would only fail to open.
        let sealed =
            cipher.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad }).unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_BYTES + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, place: EntryPlace<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        if sealed.len() < NONCE_BYTES {
            return Err(SealError::Entry);
        }
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        let cipher = XChaCha20Poly1305::new((&self.bytes).into());
        let aad = self.associated(place);
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| SealError::Entry)
    }

    /// What every desk that holds this key shows in Settings: the same words on every desk, or
    /// one of them was given another key.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&[b"book key", &self.generation.to_be_bytes(), &self.bytes])
    }

    /// Wraps this key for `desk` (its id and public key) in application `app_id`.
    pub fn wrap(&self, app_id: &str, desk_id: &str, desk_public: &[u8]) -> Result<Vec<u8>, SealError> {
        let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(desk_public).map_err(|_| SealError::Key)?;
        let info = wrap_info(app_id, desk_id, self.generation);
        let (encapped, sealed) = hpke::single_shot_seal::<WrapAead, Kdf, Kem, _>(
            &OpModeS::Base,
            &pk,
            &info,
            &self.bytes,
            &[],
            &mut rand::rngs::OsRng,
        )
        .map_err(|_| SealError::Key)?;
        let mut out = encapped.to_bytes().to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }
}

fn wrap_info(app_id: &str, desk_id: &str, generation: u32) -> Vec<u8> {
    framed(&[WRAP_LABEL, app_id.as_bytes(), desk_id.as_bytes(), &generation.to_be_bytes()])
}

/// Five groups of four hex digits (80 bits of SHA-256): short enough to read out across a desk,
/// long enough that a server cannot make another key with the same words.
fn fingerprint_of(parts: &[&[u8]]) -> String {
    let digest = Sha256::digest(framed(parts));
    let hex = hex::encode_upper(&digest[..10]);
    hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// A desk's own key pair: its private key never leaves the desk (the keyring, or the flagged file).
pub struct DeskKeys {
    private: <Kem as hpke::Kem>::PrivateKey,
    public: <Kem as hpke::Kem>::PublicKey,
}

impl std::fmt::Debug for DeskKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DeskKeys({})", self.fingerprint())
    }
}

impl DeskKeys {
    pub fn generate() -> Self {
        let (private, public) = Kem::gen_keypair(&mut rand::rngs::OsRng);
        Self { private, public }
    }

    pub fn from_private(bytes: &[u8]) -> Result<Self, SealError> {
        let private = <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes).map_err(|_| SealError::Key)?;
        let public = Kem::sk_to_pk(&private);
        Ok(Self { private, public })
    }

    pub fn private_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.private.to_bytes()))
    }

    pub fn public_bytes(&self) -> Vec<u8> {
        self.public.to_bytes().to_vec()
    }

    pub fn fingerprint(&self) -> String {
        desk_fingerprint(&self.public_bytes())
    }

    /// Opens the book key an admin's desk wrapped for this desk.
    pub fn unwrap(&self, app_id: &str, desk_id: &str, generation: u32, wrapped: &[u8]) -> Result<BookKey, SealError> {
        if wrapped.len() <= ENCAPPED_BYTES {
            return Err(SealError::Wrapped);
        }
        let (encapped, sealed) = wrapped.split_at(ENCAPPED_BYTES);
        let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped).map_err(|_| SealError::Wrapped)?;
        let info = wrap_info(app_id, desk_id, generation);
        let key =
            hpke::single_shot_open::<WrapAead, Kdf, Kem>(&OpModeR::Base, &self.private, &encapped, &info, sealed, &[])
                .map_err(|_| SealError::Wrapped)?;
        let key = Zeroizing::new(key);
        BookKey::from_bytes(&key, generation).map_err(|_| SealError::Wrapped)
    }
}

/// The words a desk's public key shows as, on the desk itself and on the admin's desk that
/// approves it: if they differ, the server swapped the key.
pub fn desk_fingerprint(public_key: &[u8]) -> String {
    fingerprint_of(&[b"desk key", public_key])
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "a1";

    fn place(user: &str, version: u64) -> EntryPlace<'_> {
        EntryPlace { app_id: APP, user_id: user, version }
    }

    #[test]
    fn an_entry_opens_only_where_it_was_sealed() {
        let key = BookKey::generate(1);
        let sealed = key.seal(place("u1", 3), b"Ann Example");
        assert_eq!(key.open(place("u1", 3), &sealed).unwrap().as_slice(), b"Ann Example");
        // Moved to another employee, replayed as another version, or under another app or key.
        assert_eq!(key.open(place("u2", 3), &sealed), Err(SealError::Entry));
        assert_eq!(key.open(place("u1", 2), &sealed), Err(SealError::Entry));
        assert_eq!(key.open(EntryPlace { app_id: "a2", ..place("u1", 3) }, &sealed), Err(SealError::Entry));
        assert_eq!(BookKey::generate(1).open(place("u1", 3), &sealed), Err(SealError::Entry));
        let same_bytes_next_generation = BookKey::from_bytes(&key.bytes, 2).unwrap();
        assert_eq!(same_bytes_next_generation.open(place("u1", 3), &sealed), Err(SealError::Entry));
        // One flipped bit anywhere, or a cut, is refused.
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert_eq!(key.open(place("u1", 3), &tampered), Err(SealError::Entry), "byte {i}");
        }
        assert_eq!(key.open(place("u1", 3), &sealed[..10]), Err(SealError::Entry));
        // A fresh nonce each time: the same text seals to different bytes.
        assert_ne!(key.seal(place("u1", 3), b"Ann Example"), sealed);
    }

    #[test]
    fn a_wrapped_key_opens_only_for_its_desk() {
        let key = BookKey::generate(4);
        let (mine, other) = (DeskKeys::generate(), DeskKeys::generate());
        let wrapped = key.wrap(APP, "desk-a", &mine.public_bytes()).unwrap();
        assert_eq!(mine.unwrap(APP, "desk-a", 4, &wrapped).unwrap(), key);
        assert_eq!(other.unwrap(APP, "desk-a", 4, &wrapped), Err(SealError::Wrapped), "another desk's private key");
        assert_eq!(mine.unwrap(APP, "desk-b", 4, &wrapped), Err(SealError::Wrapped), "given to another desk id");
        assert_eq!(mine.unwrap(APP, "desk-a", 3, &wrapped), Err(SealError::Wrapped), "another generation");
        let mut tampered = wrapped.clone();
        tampered[40] ^= 1;
        assert_eq!(mine.unwrap(APP, "desk-a", 4, &tampered), Err(SealError::Wrapped));
    }

    #[test]
    fn keys_survive_storage_and_fingerprints_are_stable_and_distinct() {
        let desk = DeskKeys::generate();
        let again = DeskKeys::from_private(&hex::decode(desk.private_hex().as_str()).unwrap()).unwrap();
        assert_eq!(again.public_bytes(), desk.public_bytes());
        let fp = desk.fingerprint();
        assert_eq!(fp, desk_fingerprint(&desk.public_bytes()));
        assert_eq!(fp.len(), 24, "{fp}");
        assert_ne!(fp, DeskKeys::generate().fingerprint());
        let key = BookKey::generate(1);
        let back = BookKey::from_bytes(&hex::decode(key.to_hex().as_str()).unwrap(), 1).unwrap();
        assert_eq!(back.fingerprint(), key.fingerprint());
        assert_ne!(key.fingerprint(), BookKey::generate(1).fingerprint());
    }
}
