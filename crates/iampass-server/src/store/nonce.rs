//! What the store keeps of a spent nonce, on either backend.

use sha2::{Digest, Sha256};

/// The first 16 bytes of SHA-256 over a nonce's scope, a zero byte and the nonce (PostgreSQL's
/// migration 3 says why a key and not the texts). Two different nonces sharing a key would make
/// the second refused as a replay, never accepted twice; at 2^-128 a pair, none will.
pub(crate) type NonceKey = [u8; 16];

pub(crate) fn nonce_key(scope: &str, nonce: &str) -> NonceKey {
    let digest = Sha256::new().chain_update(scope).chain_update([0]).chain_update(nonce).finalize();
    let mut key = [0; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_key_separates_its_scope_from_its_nonce() {
        assert_ne!(nonce_key("ab", "c"), nonce_key("a", "bc"));
        assert_ne!(nonce_key("a", "1"), nonce_key("b", "1"));
    }
}
