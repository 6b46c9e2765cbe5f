//! Registration links: single use, expiring, one live per user. Whether a link can still bind a
//! device is decided here, once, for both showing it and binding at it.

use crate::clock::Millis;

/// A link's stored state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Live,
    Used,
    /// Replaced by a newer link, or its user was deleted.
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Live => "live",
            LinkState::Used => "used",
            LinkState::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [LinkState::Live, LinkState::Used, LinkState::Revoked].into_iter().find(|l| l.as_str() == s)
    }
}

/// Why a link cannot bind a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    AlreadyUsed,
    Revoked,
    Expired,
}

/// Whether a link in `state`, expiring at `expires_at`, for a user who may have been deleted, can
/// bind a device at `now`.
pub fn usable(state: LinkState, expires_at: Millis, user_deleted: bool, now: Millis) -> Result<(), LinkRefusal> {
    match state {
        LinkState::Used => Err(LinkRefusal::AlreadyUsed),
        LinkState::Revoked => Err(LinkRefusal::Revoked),
        LinkState::Live if user_deleted => Err(LinkRefusal::Revoked),
        LinkState::Live if now >= expires_at => Err(LinkRefusal::Expired),
        LinkState::Live => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_link_binds_until_it_expires() {
        assert_eq!(usable(LinkState::Live, 1_000, false, 999), Ok(()));
        assert_eq!(usable(LinkState::Live, 1_000, false, 1_000), Err(LinkRefusal::Expired));
        assert_eq!(usable(LinkState::Live, 1_000, true, 0), Err(LinkRefusal::Revoked));
        assert_eq!(usable(LinkState::Used, 1_000, false, 0), Err(LinkRefusal::AlreadyUsed));
        assert_eq!(usable(LinkState::Revoked, 1_000, false, 0), Err(LinkRefusal::Revoked));
        assert_eq!(LinkState::parse("used"), Some(LinkState::Used));
        assert_eq!(LinkState::parse("gone"), None);
    }
}
