//! Per-application request rate limit: a token bucket per application id, refilled from the
//! server's clock (so tests move a manual clock instead of sleeping). Checked after the signature,
//! so nobody can spend another application's budget with unsigned requests.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Millis;

/// Buckets kept before full ones are forgotten.
const MAX_KEYS: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Millis,
}

impl RateLimiter {
    /// `per_second` 0 turns the limit off.
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(burst.max(per_second).max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `per_minute` requests a minute on average, `burst` at once: for rare actions such as
    /// sign-ins.
    pub fn per_minute(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request's token; `Err(seconds)` says when to retry.
    pub fn check(&self, key: &str, now: Millis) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS {
            // Keys chosen by callers (names) must not grow the map without end: forget the
            // buckets that have refilled, which hold no information.
            buckets.retain(|_, b| self.refilled(b, now) < self.burst);
        }
        let b = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: self.burst, at: now });
        *b = Bucket { tokens: self.refilled(b, now), at: now };
        self.take(&mut b.tokens)
    }

    /// What [`check`](Self::check) would answer now, without taking a token: lets a request whose
    /// token is taken later (after its nonce) refuse before doing any work.
    pub fn peek(&self, key: &str, now: Millis) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let mut tokens = buckets.get(key).map_or(self.burst, |b| self.refilled(b, now));
        self.take(&mut tokens)
    }

    fn refilled(&self, b: &Bucket, now: Millis) -> f64 {
        let elapsed = (now - b.at).max(0) as f64 / 1000.0;
        (b.tokens + elapsed * self.per_second).min(self.burst)
    }

    fn take(&self, tokens: &mut f64) -> Result<(), u64> {
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_until_tokens_refill() {
        let r = RateLimiter::new(2, 4);
        for _ in 0..4 {
            assert!(r.check("a", 0).is_ok());
        }
        assert_eq!(r.check("a", 0), Err(1));
        assert!(r.check("b", 0).is_ok(), "each application has its own bucket");
        assert!(r.check("a", 500).is_ok(), "half a second refills one token at 2/s");
        assert!(r.check("a", 500).is_err());
    }

    #[test]
    fn a_peek_answers_as_a_check_would_and_takes_nothing() {
        let r = RateLimiter::new(2, 2);
        assert!(r.peek("a", 0).is_ok(), "an unknown key has a full bucket");
        for _ in 0..2 {
            assert!(r.peek("a", 0).is_ok());
            assert!(r.check("a", 0).is_ok());
        }
        assert_eq!(r.peek("a", 0), Err(1));
        assert_eq!(r.peek("a", 0), r.check("a", 0));
        assert!(r.peek("a", 500).is_ok() && r.peek("a", 500).is_ok(), "peeking twice leaves the token");
        assert!(r.check("a", 500).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let r = RateLimiter::new(0, 0);
        assert!((0..10_000).all(|_| r.check("a", 0).is_ok()));
    }
}
