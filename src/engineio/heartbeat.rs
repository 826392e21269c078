//! The Engine.IO heartbeat (`protocol.md` §1.5). v4: the server pings, the client answers with a
//! pong, and the connection is dead after `pingInterval + pingTimeout` without a ping. v3: the
//! client pings every `pingInterval` and the server must answer within `pingTimeout`; any packet
//! received proves the connection alive for `pingInterval + pingTimeout`.
//!
//! Timers run on the monotonic clock, which on Linux stops while the machine is suspended; the
//! wall clock does not. So each ping is also stamped with the wall-clock time, and
//! [`Heartbeat::expired`] (checked when the user emits, as the JS client's `_hasPingExpired`
//! does) finds a connection that died while the process was asleep, before its timer fires.

use std::time::{Duration, Instant, SystemTime};

/// Liveness of one Engine.IO session, driven by the caller's clock.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /// `pingInterval + pingTimeout`.
    window: Duration,
    /// The handshake or the last ping.
    last: Instant,
    /// `last` on the wall clock.
    last_wall: SystemTime,
    deadline: Instant,
    /// Engine.IO v3 only: the client's own pings.
    client_pings: Option<ClientPings>,
}

#[derive(Debug, Clone)]
struct ClientPings {
    interval: Duration,
    timeout: Duration,
    /// When to send the next ping; `None` while a pong is awaited.
    next: Option<Instant>,
}

/// What the heartbeat asks of the caller at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Nothing to do.
    Idle,
    /// Send a ping (`2`) now (v3).
    SendPing,
    /// The connection is dead: `ping timeout`.
    Dead,
}

impl Heartbeat {
    /// Starts the timer at the handshake, which happened at `now` and, on the wall clock, `wall`.
    pub fn new(ping_interval: Duration, ping_timeout: Duration, now: Instant, wall: SystemTime) -> Heartbeat {
        let window = ping_interval.saturating_add(ping_timeout);
        Heartbeat {
            window,
            last: now,
            last_wall: wall,
            deadline: add_saturating(now, window),
            client_pings: None,
        }
    }

    /// The Engine.IO v3 heartbeat: the client pings every `ping_interval` from the handshake on.
    pub fn new_v3(
        ping_interval: Duration,
        ping_timeout: Duration,
        now: Instant,
        wall: SystemTime,
    ) -> Heartbeat {
        let mut hb = Heartbeat::new(ping_interval, ping_timeout, now, wall);
        hb.client_pings = Some(ClientPings {
            interval: ping_interval,
            timeout: ping_timeout,
            next: Some(add_saturating(now, ping_interval)),
        });
        hb
    }

    /// Any packet arrived: with v3 it proves the connection alive (as the JS 2.x client does).
    pub fn on_packet(&mut self, now: Instant, wall: SystemTime) {
        if self.client_pings.is_some() {
            self.on_ping(now, wall);
        }
    }

    /// A pong arrived (v3): the next ping is due `ping_interval` from now.
    pub fn on_pong(&mut self, now: Instant) {
        if let Some(c) = &mut self.client_pings {
            c.next = Some(add_saturating(now, c.interval));
        }
    }

    /// What to do at `now`; call it when [`Heartbeat::next_wakeup`] comes.
    pub fn poll(&mut self, now: Instant) -> Beat {
        if now >= self.deadline {
            return Beat::Dead;
        }
        match &mut self.client_pings {
            Some(c) if c.next.is_some_and(|t| now >= t) => {
                c.next = None;
                // The pong must come within pingTimeout.
                self.deadline = self.deadline.min(add_saturating(now, c.timeout));
                Beat::SendPing
            }
            _ => Beat::Idle,
        }
    }

    /// The next instant at which [`Heartbeat::poll`] may have something to do.
    pub fn next_wakeup(&self) -> Instant {
        match self.client_pings.as_ref().and_then(|c| c.next) {
            Some(t) => t.min(self.deadline),
            None => self.deadline,
        }
    }

    /// A ping arrived (at `now`, `wall` on the wall clock): re-arms the deadline. The caller
    /// answers with a pong.
    ///
    /// An instant earlier than the previous ping is ignored (the deadline never moves back).
    pub fn on_ping(&mut self, now: Instant, wall: SystemTime) {
        if now >= self.last {
            self.last = now;
            self.last_wall = wall;
            self.deadline = add_saturating(now, self.window);
        }
    }

    /// Whether the connection is dead at `now` (monotonic) or `wall` (wall clock): more time
    /// than the deadline allows has passed since the last ping on either clock. The wall clock
    /// also counts a suspension of the machine; a wall clock set back counts as no time.
    pub fn expired(&self, now: Instant, wall: SystemTime) -> bool {
        let allowed = self.deadline.saturating_duration_since(self.last);
        let slept = wall.duration_since(self.last_wall).unwrap_or_default();
        now >= self.deadline || slept >= allowed
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

    /// A fixed wall-clock origin: the tests' wall clock is fake too.
    fn w0() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn deadline_from_handshake() {
        let t0 = Instant::now();
        let hb = Heartbeat::new(ms(25000), ms(20000), t0, w0());
        assert_eq!(hb.next_wakeup(), t0 + ms(45000));
        assert!(hb.clone().poll(t0) != Beat::Dead);
        assert!(hb.clone().poll(t0 + ms(44999)) != Beat::Dead);
        assert!(hb.clone().poll(t0 + ms(45000)) == Beat::Dead);
        assert!(hb.clone().poll(t0 + ms(60000)) == Beat::Dead);
    }

    #[test]
    fn ping_rearms() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(300), ms(200), t0, w0());
        hb.on_ping(t0 + ms(300), w0() + ms(300));
        assert_eq!(hb.next_wakeup(), t0 + ms(800));
        assert!(hb.clone().poll(t0 + ms(600)) != Beat::Dead);
        hb.on_ping(t0 + ms(650), w0() + ms(650));
        assert_eq!(hb.next_wakeup(), t0 + ms(1150));
        assert!(hb.clone().poll(t0 + ms(1149)) != Beat::Dead);
        assert!(hb.clone().poll(t0 + ms(1150)) == Beat::Dead);
        // A late ping still re-arms from its own arrival time.
        hb.on_ping(t0 + ms(2000), w0() + ms(2000));
        assert_eq!(hb.next_wakeup(), t0 + ms(2500));
    }

    #[test]
    fn stale_ping_is_ignored() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(100), ms(100), t0 + ms(1000), w0() + ms(1000));
        hb.on_ping(t0, w0());
        assert_eq!(hb.next_wakeup(), t0 + ms(1200));
    }

    #[test]
    fn zero_window_expires_immediately() {
        let t0 = Instant::now();
        let hb = Heartbeat::new(Duration::ZERO, Duration::ZERO, t0, w0());
        assert_eq!(hb.next_wakeup(), t0);
        assert!(hb.clone().poll(t0) == Beat::Dead);
    }

    #[test]
    fn v3_client_pings_and_waits_for_the_pong() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new_v3(ms(1000), ms(500), t0, w0());
        assert_eq!(hb.next_wakeup(), t0 + ms(1000));
        assert_eq!(hb.poll(t0 + ms(999)), Beat::Idle);
        assert_eq!(hb.poll(t0 + ms(1000)), Beat::SendPing);
        // Waiting for the pong: no second ping, dead after pingTimeout.
        assert_eq!(hb.next_wakeup(), t0 + ms(1500));
        assert_eq!(hb.poll(t0 + ms(1200)), Beat::Idle);
        hb.on_packet(t0 + ms(1300), w0() + ms(1300)); // the pong arrives...
        hb.on_pong(t0 + ms(1300));
        assert_eq!(hb.next_wakeup(), t0 + ms(2300));
        assert_eq!(hb.poll(t0 + ms(2300)), Beat::SendPing);
        assert_eq!(hb.poll(t0 + ms(2799)), Beat::Idle);
        assert_eq!(hb.poll(t0 + ms(2800)), Beat::Dead, "no pong within pingTimeout");
    }

    #[test]
    fn v4_never_asks_for_a_ping() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(100), ms(100), t0, w0());
        assert_eq!(hb.poll(t0 + ms(150)), Beat::Idle);
        hb.on_packet(t0 + ms(150), w0() + ms(150)); // other packets do not re-arm v4 (only pings do)
        assert_eq!(hb.poll(t0 + ms(200)), Beat::Dead);
    }

    #[test]
    fn huge_window_does_not_panic() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(Duration::MAX, Duration::MAX, t0, w0());
        assert!(hb.next_wakeup() > t0);
        assert!(hb.clone().poll(t0 + ms(1_000_000)) != Beat::Dead);
        hb.on_ping(t0 + ms(5), w0() + ms(5));
        assert!(hb.next_wakeup() >= t0 + ms(5));
        let hb = Heartbeat::new(ms(u64::MAX), ms(u64::MAX), t0, w0());
        assert!(hb.clone().poll(t0 + Duration::from_secs(365 * 24 * 3600)) != Beat::Dead);
    }

    #[test]
    fn a_suspended_process_is_found_dead_by_the_wall_clock() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new(ms(25000), ms(20000), t0, w0());
        hb.on_ping(t0 + ms(25000), w0() + ms(25000));
        // Both clocks agree: alive until pingInterval + pingTimeout after the ping.
        assert!(!hb.expired(t0 + ms(69999), w0() + ms(69999)));
        assert!(hb.expired(t0 + ms(70000), w0() + ms(70000)));
        // Suspended for an hour: the monotonic clock barely moved, the wall clock did.
        let hour = Duration::from_secs(3600);
        assert!(hb.expired(t0 + ms(26000), w0() + ms(26000) + hour));
        assert_eq!(hb.clone().poll(t0 + ms(26000)), Beat::Idle, "the timer alone does not see it");
        // The wall clock set back (or not moved) counts as no time.
        assert!(!hb.expired(t0 + ms(26000), w0() - hour));
        assert!(!hb.expired(t0 + ms(26000), w0() + ms(25000)));
    }

    #[test]
    fn v3_pong_deadline_holds_on_the_wall_clock_too() {
        let t0 = Instant::now();
        let mut hb = Heartbeat::new_v3(ms(1000), ms(500), t0, w0());
        assert_eq!(hb.poll(t0 + ms(1000)), Beat::SendPing);
        // The pong is due 500 ms after the ping, i.e. 1500 ms after the last packet.
        assert!(!hb.expired(t0 + ms(1100), w0() + ms(1499)));
        assert!(hb.expired(t0 + ms(1100), w0() + ms(1500)));
        hb.on_packet(t0 + ms(1200), w0() + ms(1200));
        assert!(!hb.expired(t0 + ms(1200), w0() + ms(2699)));
        assert!(hb.expired(t0 + ms(1200), w0() + ms(2700)));
    }
}
