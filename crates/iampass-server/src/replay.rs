//! Remembers every nonce seen within the timestamp window, so a captured request cannot be sent
//! again. A nonce need only be kept until its timestamp leaves the window; after that the
//! timestamp check refuses the replay by itself. In memory: one node's worth (several nodes share
//! PostgreSQL's table instead).
//!
//! The cache is split into [`SHARDS`] tables, each behind its own lock, and keeps each nonce as its
//! 16-byte key. One table of strings was the signed route's stall: when it grew past a million
//! entries it rehashed every one of them while holding the lock every signed request waits for,
//! about 130 ms at a time (docs/BENCHMARKS.md, issue 24). A shard holds a 64th of the nonces, so
//! its growth costs a 64th of that, and requests on the other shards go on meanwhile.

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

use iampass_proto::AuthError;

use crate::store::nonce::{NonceKey, nonce_key};

/// Enough that a shard's growth stays well under a millisecond at the full capacity.
const SHARDS: usize = 64;

#[derive(Debug)]
pub struct ReplayCache {
    shards: Box<[Mutex<Shard>]>,
    /// Picks a key's shard. Keyed at random, so a client cannot choose nonces that all land in
    /// one shard and fill it while the others are empty.
    spread: RandomState,
    per_shard: usize,
}

#[derive(Debug, Default)]
struct Shard {
    seen: HashSet<NonceKey>,
    by_expiry: BTreeMap<i64, Vec<NonceKey>>,
}

impl ReplayCache {
    /// A cache of at most `capacity` nonces at once (rounded up to a multiple of [`SHARDS`]).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            spread: RandomState::new(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    fn shard(&self, key: &NonceKey) -> MutexGuard<'_, Shard> {
        let index = usize::try_from(self.spread.hash_one(key) % SHARDS as u64).unwrap_or(0);
        lock(&self.shards[index])
    }

    /// Records `nonce` for `client` until `forget_after` (seconds); refuses one already seen.
    /// When its shard is full of unexpired nonces it refuses rather than forgets: failing closed.
    pub fn check_and_remember(
        &self,
        client: &str,
        nonce: &str,
        now_secs: i64,
        forget_after: i64,
    ) -> Result<(), AuthError> {
        let key = nonce_key(client, nonce);
        let mut shard = self.shard(&key);
        shard.prune(now_secs);
        if shard.seen.contains(&key) {
            return Err(AuthError::ReplayedNonce);
        }
        if shard.seen.len() >= self.per_shard {
            return Err(AuthError::ReplayCacheFull);
        }
        shard.seen.insert(key);
        shard.by_expiry.entry(forget_after).or_default().push(key);
        Ok(())
    }

    /// Forgets every nonce kept until before `now_secs`, one shard at a time; how many. The
    /// requests forget as they go too, but only in the shard they touch: this frees an idle
    /// server's memory.
    pub fn forget(&self, now_secs: i64) -> usize {
        self.shards.iter().map(|s| lock(s).prune(now_secs)).sum()
    }

    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).seen.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A shard's lock, taken even when a panic elsewhere poisoned it: a shard changes one insert or
/// removal at a time, so it stays consistent, and one panic must not refuse every signed request
/// after it.
fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shard {
    fn prune(&mut self, now_secs: i64) -> usize {
        let mut forgotten = 0;
        while let Some(entry) = self.by_expiry.first_entry() {
            if *entry.key() >= now_secs {
                break;
            }
            for key in entry.remove() {
                forgotten += usize::from(self.seen.remove(&key));
            }
        }
        forgotten
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_the_second_time_per_client() {
        let c = ReplayCache::new(640);
        assert!(c.check_and_remember("a", "1", 100, 400).is_ok());
        assert_eq!(c.check_and_remember("a", "1", 101, 400), Err(AuthError::ReplayedNonce));
        assert!(c.check_and_remember("b", "1", 101, 400).is_ok());
    }

    #[test]
    fn nonces_are_forgotten_once_their_window_has_passed() {
        let c = ReplayCache::new(640);
        assert!(c.check_and_remember("a", "1", 100, 400).is_ok());
        assert!(c.check_and_remember("a", "2", 100, 500).is_ok());
        assert_eq!(c.forget(401), 1);
        assert_eq!(c.len(), 1);
        assert!(c.check_and_remember("a", "1", 402, 700).is_ok());
        assert_eq!(c.check_and_remember("a", "2", 402, 700), Err(AuthError::ReplayedNonce));
    }

    #[test]
    fn a_request_forgets_the_expired_nonces_of_its_shard() {
        let c = ReplayCache::new(SHARDS);
        assert!(c.check_and_remember("a", "1", 0, 10).is_ok());
        // One nonce a shard fills this cache: the same nonce again, once its window has passed,
        // lands in the same shard and is taken only because the expired one was forgotten.
        assert!(c.check_and_remember("a", "1", 11, 20).is_ok());
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_full_shard_fails_closed() {
        let c = ReplayCache::new(SHARDS);
        // Capacity one a shard: among SHARDS + 1 nonces, two share a shard, and the later is refused.
        let refused = (0..=SHARDS)
            .map(|n| c.check_and_remember("a", &n.to_string(), 0, 10))
            .filter(|r| *r == Err(AuthError::ReplayCacheFull))
            .count();
        assert!(refused >= 1);
        assert_eq!(c.len() + refused, SHARDS + 1);
        // Nothing refused was remembered: past the window, forgetting empties the cache.
        let kept = c.len();
        assert_eq!(c.forget(11), kept);
        assert!(c.is_empty());
    }
}
