//! The Engine.IO v4 heartbeat (`protocol.md` §1.5): the server pings, the client answers with a
//! pong, and the connection is dead after `pingInterval + pingTimeout` without a ping.

use std::time::{Duration, Instant};

/// Liveness of one Engine.IO session, driven by the caller's clock.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// `pingInterval + pingTimeout`.
    window: Duration,
    /// The handshake or the last ping.
    last: Instant,
    deadline: Instant,
}

impl Heartbeat {
    /// Starts the timer at the handshake.
    pub fn new(ping_interval: Duration, ping_timeout: Duration, now: Instant) -> Heartbeat {
        let window = ping_interval.saturating_add(ping_timeout);
        Heartbeat { window, last: now, deadline: add_saturating(now, window) }
    }

    /// A ping arrived: re-arms the deadline. The caller answers with a pong.
    ///
    /// An instant earlier than the previous ping is ignored (the deadline never moves back).
    pub fn on_ping(&mut self, now: Instant) {
        if now >= self.last {
            self.last = now;
            self.deadline = add_saturating(now, self.window);
        }
    }

    /// The instant after which the connection is dead if no ping came.
    ///
    /// When `pingInterval + pingTimeout` does not fit the platform's `Instant`, the deadline is
    /// clamped to the farthest representable instant (in practice: never).
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed at `now` (reaching it exactly counts as passed).
    pub fn is_expired(&self, now: Instant) -> bool {
        now >= self.deadline
    }
}

/// `base + d`, or the latest instant reachable from `base` if that overflows. Never panics.
fn add_saturating(base: Instant, d: Duration) -> Instant {
    if let Some(t) = base.checked_add(d) {
        return t;
    }
    // Binary search for the largest addable duration (at most ~64 + 30 steps).
    let (mut lo, mut hi) = (Duration::ZERO, d);
    while hi.saturating_sub(lo) > Duration::from_nanos(1) {
        let mid = lo + (hi - lo) / 2;
        if base.checked_add(mid).is_some() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    base.checked_add(lo).unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn deadline_from_handshake() {
        let t0 = Instant::now();
        let hb = Heartbeat::new(ms(25000), ms(20000), t0);
        assert_eq!(hb.deadline(), t0 + ms(45000));
        assert!(!hb.is_expired(t0));
        assert!(!hb.is_expired(t0 + ms(44999)));
        assert!(hb.is_expired(t0 + ms(45000)));
        assert!(hb.is_expired(t0 + ms(60000)));
    }

    #[test]
    fn ping_rearms() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(300), ms(200), t0);
        hb.on_ping(t0 + ms(300));
        assert_eq!(hb.deadline(), t0 + ms(800));
        assert!(!hb.is_expired(t0 + ms(600)));
        hb.on_ping(t0 + ms(650));
        assert_eq!(hb.deadline(), t0 + ms(1150));
        assert!(!hb.is_expired(t0 + ms(1149)));
        assert!(hb.is_expired(t0 + ms(1150)));
        // A late ping still re-arms from its own arrival time.
        hb.on_ping(t0 + ms(2000));
        assert_eq!(hb.deadline(), t0 + ms(2500));
    }

    #[test]
    fn stale_ping_is_ignored() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(100), ms(100), t0 + ms(1000));
        hb.on_ping(t0);
        assert_eq!(hb.deadline(), t0 + ms(1200));
    }

    #[test]
    fn zero_window_expires_immediately() {
        let t0 = Instant::now();
        let hb = Heartbeat::new(Duration::ZERO, Duration::ZERO, t0);
        assert_eq!(hb.deadline(), t0);
        assert!(hb.is_expired(t0));
    }

    #[test]
    fn huge_window_does_not_panic() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Duration::MAX, Duration::MAX, t0);
        assert!(hb.deadline() > t0);
        assert!(!hb.is_expired(t0 + ms(1_000_000)));
        hb.on_ping(t0 + ms(5));
        assert!(hb.deadline() >= t0 + ms(5));
        let hb = Heartbeat::new(ms(u64::MAX), ms(u64::MAX), t0);
        assert!(!hb.is_expired(t0 + Duration::from_secs(365 * 24 * 3600)));
    }
}
