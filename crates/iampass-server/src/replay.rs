//! Remembers every nonce seen within the timestamp window, so a captured request cannot be sent
//! again. A nonce need only be kept until its timestamp leaves the window; after that the
//! timestamp check refuses the replay by itself. In memory: one node's worth (a shared store
//! belongs with a multi-node backend).

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use iampass_proto::AuthError;

#[derive(Debug)]
pub struct ReplayCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Inner {
    seen: HashSet<String>,
    by_expiry: BTreeMap<i64, Vec<String>>,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> Self {
        Self { inner: Mutex::new(Inner::default()), capacity }
    }

    /// Records `nonce` for `client` until `forget_after` (seconds); refuses one already seen.
    /// When full of unexpired nonces it refuses rather than forgets: failing closed.
    pub fn check_and_remember(
        &self,
        client: &str,
        nonce: &str,
        now_secs: i64,
        forget_after: i64,
    ) -> Result<(), AuthError> {
        let key = format!("{client}\u{0}{nonce}");
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.prune(now_secs);
        if inner.seen.contains(&key) {
            return Err(AuthError::ReplayedNonce);
        }
        if inner.seen.len() >= self.capacity {
            return Err(AuthError::ReplayCacheFull);
        }
        inner.seen.insert(key.clone());
        inner.by_expiry.entry(forget_after).or_default().push(key);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn prune(&mut self, now_secs: i64) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if *entry.key() >= now_secs {
                break;
            }
            for key in entry.remove() {
                self.seen.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_the_second_time_per_client() {
        let c = ReplayCache::new(10);
        assert!(c.check_and_remember("a", "1", 100, 400).is_ok());
        assert_eq!(c.check_and_remember("a", "1", 101, 400), Err(AuthError::ReplayedNonce));
        assert!(c.check_and_remember("b", "1", 101, 400).is_ok());
    }

    #[test]
    fn nonces_are_forgotten_once_their_window_has_passed() {
        let c = ReplayCache::new(10);
        assert!(c.check_and_remember("a", "1", 100, 400).is_ok());
        assert!(c.check_and_remember("a", "2", 100, 500).is_ok());
        assert!(c.check_and_remember("a", "3", 401, 700).is_ok());
        assert_eq!(c.len(), 2);
        assert!(c.check_and_remember("a", "1", 402, 700).is_ok());
    }

    #[test]
    fn a_full_cache_fails_closed() {
        let c = ReplayCache::new(2);
        assert!(c.check_and_remember("a", "1", 0, 10).is_ok());
        assert!(c.check_and_remember("a", "2", 0, 10).is_ok());
        assert_eq!(c.check_and_remember("a", "3", 0, 10), Err(AuthError::ReplayCacheFull));
        assert!(c.check_and_remember("a", "3", 11, 20).is_ok());
    }
}
