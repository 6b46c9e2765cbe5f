//! The team book, shared by every desk through the server, which holds only ciphertext: what an
//! entry holds when opened, and how a desk checks what the server hands it before it changes its
//! local copy. The cryptography is `seal.rs`; the desk's calls are `desk/team.rs`.

pub mod seal;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use iampass_proto::wire::BookEntry;
use serde::{Deserialize, Serialize};

use crate::book::NewEmployee;
use crate::error::{DeskError, DeskResult};
use seal::{BookKey, EntryPlace};

/// What an entry holds once opened: the employee's fields and who wrote this version (the
/// server knows a staff id; the name is for the colleague who sees the change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub fields: NewEmployee,
    #[serde(default)]
    pub by: String,
}

/// An entry from the server, opened and checked: a version of the employee's fields (`None`:
/// the employee was removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub user_id: String,
    pub version: u64,
    pub content: Option<Sealed>,
}

/// Seals an employee's fields as `version` of their entry.
pub fn seal_entry(key: &BookKey, app_id: &str, user_id: &str, version: u64, content: &Sealed) -> DeskResult<String> {
    let json = zeroize::Zeroizing::new(serde_json::to_vec(content).map_err(|e| DeskError::Storage(e.to_string()))?);
    Ok(URL_SAFE_NO_PAD.encode(key.seal(EntryPlace { app_id, user_id, version }, &json)))
}

/// Opens an entry the server sent, refusing what a desk must not believe: bytes that do not open
/// for this user and version under the key of the entry's generation, or a version older than
/// the one this desk already has (a replay).
pub fn open_entry(key: &BookKey, app_id: &str, entry: &BookEntry, have: Option<u64>) -> DeskResult<Opened> {
    let refused = |why: &str| DeskError::Tampered(format!("the entry for {}: {why}", entry.user_id));
    if let Some(have) = have
        && entry.version < have
    {
        return Err(refused(&format!("version {} is older than the version {have} this desk has", entry.version)));
    }
    let content = match &entry.sealed {
        None => None,
        Some(b64) => {
            if entry.generation != key.generation {
                return Err(DeskError::StaleKey(entry.generation));
            }
            let sealed = URL_SAFE_NO_PAD.decode(b64).map_err(|_| refused("it is not base64url"))?;
            let place = EntryPlace { app_id, user_id: &entry.user_id, version: entry.version };
            let plain = key.open(place, &sealed).map_err(|e| refused(&e.to_string()))?;
            let content: Sealed = serde_json::from_slice(&plain).map_err(|_| refused("it does not hold an entry"))?;
            let mut check = content.fields.clone();
            if !check.normalise().is_empty() {
                return Err(refused("its fields are not valid"));
            }
            Some(content)
        }
    };
    Ok(Opened { user_id: entry.user_id.clone(), version: entry.version, content })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(user: &str, version: u64, sealed: Option<String>, generation: u32) -> BookEntry {
        BookEntry {
            user_id: user.into(),
            version,
            generation,
            sealed,
            writer: "s".into(),
            written_at: "t".into(),
            revision: 1,
        }
    }

    #[test]
    fn a_desk_refuses_what_the_server_moved_replayed_or_altered() {
        let key = BookKey::generate(1);
        let ann = Sealed { fields: NewEmployee { name: "Ann".into(), ..Default::default() }, by: "Dana".into() };
        let sealed = seal_entry(&key, "app", "u1", 2, &ann).unwrap();
        let good = entry("u1", 2, Some(sealed.clone()), 1);
        assert_eq!(
            open_entry(&key, "app", &good, Some(1)).unwrap(),
            Opened { user_id: "u1".into(), version: 2, content: Some(ann) }
        );
        // Moved to another employee, or claimed to be another version.
        assert!(matches!(
            open_entry(&key, "app", &entry("u2", 2, Some(sealed.clone()), 1), None),
            Err(DeskError::Tampered(_))
        ));
        assert!(matches!(
            open_entry(&key, "app", &entry("u1", 3, Some(sealed.clone()), 1), None),
            Err(DeskError::Tampered(_))
        ));
        // An older version than this desk has.
        assert!(matches!(open_entry(&key, "app", &good, Some(3)), Err(DeskError::Tampered(_))));
        // Under a newer key than this desk holds.
        assert!(matches!(open_entry(&key, "app", &entry("u1", 2, Some(sealed), 2), None), Err(DeskError::StaleKey(2))));
        // A removal needs no key.
        assert!(matches!(open_entry(&key, "app", &entry("u1", 3, None, 1), Some(2)), Ok(Opened { content: None, .. })));
    }
}
