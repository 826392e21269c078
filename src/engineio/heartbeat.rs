//! The Engine.IO v4 heartbeat (`protocol.md` §1.5): the server pings, the client answers with a
//! pong, and the connection is dead after `pingInterval + pingTimeout` without a ping.

use std::time::{Duration, Instant};

/// Liveness of one Engine.IO session, driven by the caller's clock.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    /* fields are the implementer's */
}

impl Heartbeat {
    /// Starts the timer at the handshake.
    pub fn new(ping_interval: Duration, ping_timeout: Duration, now: Instant) -> Heartbeat {
        todo!()
    }

    /// A ping arrived: re-arms the deadline. The caller answers with a pong.
    pub fn on_ping(&mut self, now: Instant) {
        todo!()
    }

    /// The instant after which the connection is dead if no ping came.
    pub fn deadline(&self) -> Instant {
        todo!()
    }

    /// Whether the deadline has passed at `now`.
    pub fn is_expired(&self, now: Instant) -> bool {
        todo!()
    }
}
