//! The descriptor a host watches in manual dispatch mode: readable exactly while callbacks
//! are pending (level-triggered), whatever loop polls it (epoll, select, libuv, GLib, Qt).

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// A socket pair holding one byte while raised: its read end is readable exactly then. A pipe
/// would do as well; a socket pair is what the I/O thread's waker already uses, and std makes
/// both ends close-on-exec.
pub(crate) struct Signal {
    tx: UnixStream,
    rx: UnixStream,
    raised: bool,
}

impl Signal {
    pub fn new() -> io::Result<Signal> {
        let (tx, rx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Signal { tx, rx, raised: false })
    }

    /// Makes [`Signal::fd`] readable (`true`) or not. Called under the lock of what it signals,
    /// so the byte is there exactly while `raised`.
    pub fn set(&mut self, raised: bool) {
        if raised == self.raised {
            return;
        }
        // One byte in an empty socket buffer, or the one byte that is there: neither can fail
        // short of the descriptors being closed behind libsio's back.
        let _ = if raised { (&self.tx).write(&[1]) } else { (&self.rx).read(&mut [0]) };
        self.raised = raised;
    }

    /// The read end, for the host to poll.
    pub fn fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd, no wait.
        unsafe { libc::poll(&mut p, 1, 0) == 1 && p.revents & libc::POLLIN != 0 }
    }

    #[test]
    fn readable_exactly_while_raised() {
        let mut s = Signal::new().unwrap();
        assert!(!readable(s.fd()));
        s.set(true);
        s.set(true);
        assert!(readable(s.fd()));
        assert!(readable(s.fd()), "level-triggered: still readable when polled again");
        s.set(false);
        assert!(!readable(s.fd()));
        s.set(false);
        s.set(true);
        assert!(readable(s.fd()));
    }
}
