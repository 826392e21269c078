//! Blocking-free I/O at the edge: the WebSocket transport, the waker that lets other threads
//! interrupt the I/O thread, and `poll(2)`.

pub mod cookies;
pub mod polling;
pub mod proxy;
pub mod tls;
pub mod websocket;

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

pub use polling::Polling;
pub use websocket::{Frame, TransportError, WebSocket};

/// The transport of an Engine.IO session: one interface over WebSocket and long-polling.
pub enum Connection {
    WebSocket(WebSocket),
    Polling(Polling),
}

impl Connection {
    /// The next frame received; `Ok(None)` when nothing more can be read now.
    pub fn read(&mut self) -> Result<Option<Frame>, TransportError> {
        match self {
            Connection::WebSocket(c) => c.read(),
            Connection::Polling(c) => c.read(),
        }
    }

    /// Queues an Engine.IO text packet.
    pub fn write_text(&mut self, text: String) -> Result<(), TransportError> {
        match self {
            Connection::WebSocket(c) => c.write_text(text),
            Connection::Polling(c) => c.write_text(text),
        }
    }

    /// Queues a binary message.
    pub fn write_binary(&mut self, data: Vec<u8>) -> Result<(), TransportError> {
        match self {
            Connection::WebSocket(c) => c.write_binary(data),
            Connection::Polling(c) => c.write_binary(data),
        }
    }

    /// Sends what is queued, as far as possible now.
    pub fn flush(&mut self) -> Result<(), TransportError> {
        match self {
            Connection::WebSocket(c) => c.flush(),
            Connection::Polling(c) => c.flush(),
        }
    }

    /// Whether a packet queued now would go at once: nothing waits to be written to the
    /// WebSocket, or no polling POST is in flight or waiting to be sent.
    pub fn writable(&self) -> bool {
        match self {
            Connection::WebSocket(c) => !c.wants_write(),
            Connection::Polling(c) => c.writable(),
        }
    }

    /// The descriptor to `poll` (WebSocket only: polling reports through the waker), and
    /// whether to wait for it to become writable.
    pub fn poll_fd(&self) -> (Option<RawFd>, bool) {
        match self {
            Connection::WebSocket(c) => (Some(c.fd()), c.wants_write()),
            Connection::Polling(_) => (None, false),
        }
    }

    pub fn close(self) {
        match self {
            Connection::WebSocket(c) => c.close(),
            Connection::Polling(c) => c.close(),
        }
    }
}

/// Wakes the I/O thread out of [`poll`]. Cheap when already woken: one atomic swap.
#[derive(Debug)]
pub struct Waker {
    tx: UnixStream,
    rx: UnixStream,
    pending: AtomicBool,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Waker { tx, rx, pending: AtomicBool::new(false) })
    }

    /// Makes the next (or current) [`poll`] on [`Waker::fd`] return.
    pub fn wake(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // A full socket buffer means a wake-up is already pending: nothing to do.
            let _ = (&self.tx).write(&[1]);
        }
    }

    /// Consumes pending wake-ups; call before draining the work they announce.
    ///
    /// Drains first, then clears the flag: a `wake` racing with this either finds the flag still
    /// set (its work is drained next anyway) or writes a byte that the next `poll` sees. Clearing
    /// first would let a racing byte be drained while the flag stays set, losing every later wake.
    /// A short read means the socket was empty: no second read to hear it say so (a byte that
    /// came meanwhile only makes the next `poll` return at once).
    pub fn reset(&self) {
        let mut buf = [0u8; 64];
        while matches!((&self.rx).read(&mut buf), Ok(n) if n == buf.len()) {}
        self.pending.store(false, Ordering::Release);
    }

    pub fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }
}

/// What [`poll`] saw on the transport's descriptor.
#[derive(Debug, Default, Clone, Copy)]
pub struct Readiness {
    pub readable: bool,
    pub writable: bool,
    pub woken: bool,
}

/// Sleeps until `fd` is ready (readable, or writable if `want_write`), the waker fires, or
/// `deadline` passes. `fd` may be `None` (wait for the waker or the deadline only).
pub fn poll(
    fd: Option<RawFd>,
    want_write: bool,
    waker: &Waker,
    deadline: Option<Instant>,
) -> io::Result<Readiness> {
    // To the nanosecond (read coalescing waits a fraction of a millisecond): a wake-up never
    // comes before the deadline.
    let timeout = deadline.map(|d| {
        let left = d.saturating_duration_since(Instant::now());
        libc::timespec {
            tv_sec: libc::time_t::try_from(left.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::from(left.subsec_nanos() as i32),
        }
    });
    let mut fds = [
        libc::pollfd { fd: waker.fd(), events: libc::POLLIN, revents: 0 },
        libc::pollfd {
            fd: fd.unwrap_or(-1),
            events: libc::POLLIN | if want_write { libc::POLLOUT } else { 0 },
            revents: 0,
        },
    ];
    let timeout_ptr = timeout.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `fds` is a valid array of two pollfd and `timeout_ptr` null or a valid timespec
    // for the duration of the call; a negative fd is ignored by ppoll(2); a null sigmask leaves
    // the signal mask alone.
    let n = unsafe { libc::ppoll(fds.as_mut_ptr(), 2, timeout_ptr, std::ptr::null()) };
    if n < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(Readiness::default());
        }
        return Err(err);
    }
    let hup = libc::POLLHUP | libc::POLLERR;
    Ok(Readiness {
        woken: fds[0].revents != 0,
        readable: fds[1].revents & (libc::POLLIN | hup) != 0,
        writable: fds[1].revents & (libc::POLLOUT | hup) != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Many threads wake while the consumer polls and resets: the consumer must never sleep
    /// through a wake-up (the bug this guards against lost every wake after one race).
    #[test]
    fn no_wake_up_is_lost() {
        let waker = Arc::new(Waker::new().unwrap());
        let produced = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let producers: Vec<_> = (0..4)
            .map(|_| {
                let (waker, produced) = (waker.clone(), produced.clone());
                std::thread::spawn(move || {
                    for _ in 0..20_000 {
                        produced.fetch_add(1, Ordering::SeqCst);
                        waker.wake();
                    }
                })
            })
            .collect();
        let mut seen = 0;
        while seen < 80_000 {
            let deadline = Instant::now() + Duration::from_secs(5);
            let r = poll(None, false, &waker, Some(deadline)).unwrap();
            assert!(
                r.woken,
                "slept through a wake-up with {} produced, {seen} seen",
                produced.load(Ordering::SeqCst)
            );
            waker.reset();
            seen = produced.load(Ordering::SeqCst);
        }
        for p in producers {
            p.join().unwrap();
        }
    }
}
