//! Reconnection delays as the JS client computes them (`backo2`, `protocol.md` §3.4):
//! exponential from `min` to `max`, with a random jitter so that clients dropped together do
//! not come back together. No clock and no randomness of its own: the caller passes both in.

use std::time::Duration;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    /// 0 < jitter <= 1, else none.
    jitter: f64,
    attempts: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration, jitter: f64) -> Backoff {
        Backoff { min, max, jitter, attempts: 0 }
    }

    /// Attempts made since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The delay before the next attempt, counting it; `random` is uniform in [0, 1).
    pub fn next_delay(&mut self, random: f64) -> Duration {
        let exp = self.attempts.min(62);
        self.attempts = self.attempts.saturating_add(1);
        let ms = self.min.as_millis() as f64 * f64::powi(2.0, exp as i32);
        let ms = if self.jitter > 0.0 && self.jitter <= 1.0 {
            let deviation = (random * self.jitter * ms).floor();
            // backo2: the tenth digit of the same random number picks the direction.
            if ((random * 10.0).floor() as u64) & 1 == 0 {
                ms - deviation
            } else {
                ms + deviation
            }
        } else {
            ms
        };
        Duration::from_millis(ms.min(self.max.as_millis() as f64).max(0.0) as u64)
    }

    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn doubles_up_to_the_cap_without_jitter() {
        let mut b = Backoff::new(ms(1000), ms(5000), 0.0);
        let delays: Vec<_> = (0..5).map(|_| b.next_delay(0.7)).collect();
        assert_eq!(delays, vec![ms(1000), ms(2000), ms(4000), ms(5000), ms(5000)]);
        assert_eq!(b.attempts(), 5);
        b.reset();
        assert_eq!(b.next_delay(0.3), ms(1000));
    }

    #[test]
    fn jitter_stays_within_the_js_clients_ranges() {
        // protocol.md §3.4: with the defaults, attempt 0 ∈ [500,1500], 1 ∈ [1000,3000],
        // 2 ∈ [2000,5000], then at most 5000.
        for i in 0..1000 {
            let r = (i as f64) / 1000.0;
            let mut b = Backoff::new(ms(1000), ms(5000), 0.5);
            let d: Vec<u64> = (0..5).map(|_| b.next_delay(r).as_millis() as u64).collect();
            assert!((500..=1500).contains(&d[0]), "{d:?}");
            assert!((1000..=3000).contains(&d[1]), "{d:?}");
            assert!((2000..=5000).contains(&d[2]), "{d:?}");
            assert!(d[3] <= 5000 && d[4] <= 5000, "{d:?}");
        }
        // Both directions happen.
        let mut up = Backoff::new(ms(1000), ms(5000), 0.5);
        let mut down = Backoff::new(ms(1000), ms(5000), 0.5);
        assert!(up.next_delay(0.15) > ms(1000));
        assert!(down.next_delay(0.25) < ms(1000));
    }

    #[test]
    fn huge_numbers_do_not_overflow() {
        let mut b = Backoff::new(Duration::from_secs(u64::MAX / 4), Duration::MAX, 1.0);
        for _ in 0..100 {
            let _ = b.next_delay(0.99);
        }
    }
}
