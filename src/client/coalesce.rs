//! Read coalescing: while a server streams messages faster than the I/O thread is woken, the
//! thread lets them gather in the socket for a moment and reads them in one wake-up instead of
//! one wake-up each. A thread wake-up costs far more than decoding a small message (on a VM,
//! several microseconds against a fraction of one), so under a stream this is most of a
//! client's CPU. Sans-IO: time comes in as `now`.
//!
//! The rule, in order:
//! - a write cancels any hold: a reply may follow, and is read as soon as it arrives
//!   (request/response traffic never waits);
//! - a read that finds messages at a rate of [`BATCH`] or more per window (counted from the
//!   previous read that found any), with nothing written in between, starts a hold: the socket
//!   is not read until a window later;
//! - a read at the end of a hold that finds at least half of [`BATCH`] holds again; fewer end it.
//!
//! So only streams fast enough to fill a batch are held, and their messages wait at most the
//! window; slower traffic is read as it arrives.

use std::time::{Duration, Instant};

/// How many messages a window must be expected to gather for a hold to be worth it.
pub(crate) const BATCH: u32 = 8;

#[derive(Debug)]
pub(crate) struct Coalescer {
    window: Duration,
    /// When the previous read that found data happened.
    last_data: Option<Instant>,
    /// The socket is not read before this (a hold), if set.
    hold_until: Option<Instant>,
    /// Something was written since the previous read.
    wrote: bool,
}

impl Coalescer {
    /// `window` zero turns coalescing off.
    pub fn new(window: Duration) -> Coalescer {
        Coalescer { window, last_data: None, hold_until: None, wrote: false }
    }

    /// Until when the socket is not to be read; `None`: read it as soon as it is readable.
    pub fn hold_until(&self) -> Option<Instant> {
        self.hold_until
    }

    /// A packet was written: whatever answers it is read at once.
    pub fn wrote(&mut self) {
        self.wrote = true;
        self.hold_until = None;
    }

    /// The socket was read at `now` (readable, or a hold ended) and gave `messages` messages.
    pub fn read(&mut self, now: Instant, messages: usize) {
        let held = self.hold_until.take().is_some();
        if messages == 0 {
            return;
        }
        let streaming = if held {
            messages >= BATCH as usize / 2
        } else {
            // messages / elapsed ≥ BATCH / window, without dividing.
            self.last_data.is_some_and(|t| {
                let elapsed = now.saturating_duration_since(t);
                self.window.saturating_mul(u32::try_from(messages).unwrap_or(u32::MAX))
                    >= elapsed.saturating_mul(BATCH)
            })
        };
        if streaming && !self.wrote && !self.window.is_zero() {
            self.hold_until = Some(now + self.window);
        }
        self.last_data = Some(now);
        self.wrote = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const WINDOW: Duration = Duration::from_micros(200);

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn slower_traffic_is_never_held() {
        // 200 µs window, 8 per batch: holding starts at one message per 25 µs.
        let t0 = Instant::now();
        let mut c = Coalescer::new(WINDOW);
        c.read(t0, 1);
        assert_eq!(c.hold_until(), None, "nothing to compare with");
        for i in 1..50 {
            c.read(t0 + us(26 * i), 1);
            assert_eq!(c.hold_until(), None, "one message 26 µs after the last");
        }
        let t1 = t0 + us(26 * 50);
        c.read(t1 + us(60), 2);
        assert_eq!(c.hold_until(), None, "two messages in 60 µs");
    }

    #[test]
    fn a_stream_is_read_once_per_window_until_it_thins_out() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(WINDOW);
        c.read(t0, 1);
        c.read(t0 + us(50), 2);
        assert_eq!(c.hold_until(), Some(t0 + us(250)), "two messages in 50 µs start a hold");
        c.read(t0 + us(250), 30);
        assert_eq!(c.hold_until(), Some(t0 + us(450)), "a full window holds again");
        c.read(t0 + us(450), 4);
        assert_eq!(c.hold_until(), Some(t0 + us(650)), "half a batch still does");
        c.read(t0 + us(650), 3);
        assert_eq!(c.hold_until(), None, "less than half a batch in a window: the stream is over");
        c.read(t0 + us(1000), 1);
        assert_eq!(c.hold_until(), None);
        c.read(t0 + us(1010), 1);
        assert_eq!(c.hold_until(), Some(t0 + us(1210)), "fast again: held again");
    }

    #[test]
    fn a_hold_that_finds_nothing_ends() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(WINDOW);
        c.read(t0, 3);
        c.read(t0 + us(5), 3);
        assert!(c.hold_until().is_some());
        c.read(t0 + us(205), 0);
        assert_eq!(c.hold_until(), None);
    }

    #[test]
    fn request_and_response_is_never_held() {
        // An ack round trip: write, then the reply comes 20 µs later, again and again.
        let t0 = Instant::now();
        let mut c = Coalescer::new(WINDOW);
        for i in 0..100 {
            c.wrote();
            c.read(t0 + us(20 * i), 1);
            assert_eq!(c.hold_until(), None, "round trip {i}");
        }
    }

    #[test]
    fn a_write_cancels_a_hold() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(WINDOW);
        c.read(t0, 1);
        c.read(t0 + us(1), 1);
        assert!(c.hold_until().is_some());
        c.wrote();
        assert_eq!(c.hold_until(), None);
        c.read(t0 + us(2), 1);
        assert_eq!(c.hold_until(), None, "the read after a write never holds");
    }

    #[test]
    fn a_zero_window_never_holds() {
        let t0 = Instant::now();
        let mut c = Coalescer::new(Duration::ZERO);
        for i in 0..10 {
            c.read(t0 + us(i), 5);
            assert_eq!(c.hold_until(), None);
        }
    }

    proptest! {
        /// Whatever the traffic, a hold never lasts longer than the window from the read that
        /// started it, and none is pending right after a write.
        #[test]
        fn holds_are_bounded(steps in proptest::collection::vec((0u64..400, 0usize..5, any::<bool>()), 1..200)) {
            let mut now = Instant::now();
            let mut c = Coalescer::new(WINDOW);
            for (gap, messages, write) in steps {
                now += us(gap);
                if write {
                    c.wrote();
                    prop_assert_eq!(c.hold_until(), None);
                }
                c.read(now, messages);
                if let Some(t) = c.hold_until() {
                    prop_assert!(t <= now + WINDOW);
                    prop_assert!(!write, "held right after a write");
                    // A hold is only ever read when it has ended.
                    now = now.max(t);
                }
            }
        }
    }
}
