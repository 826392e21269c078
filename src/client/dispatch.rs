//! Running the user's callbacks, one at a time, in arrival order: on the client's dispatch
//! thread, (manual dispatch) on the host's threads through a [`Dispatcher`], or (inline
//! dispatch) on the I/O thread.

use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::log::sio_log;
use super::shared::{Dispatch, Shared};
use crate::Error;

/// The dispatch thread.
pub(crate) fn run(shared: Arc<Shared>) {
    shared.dispatching(|| {
        // Freeing stops it before the next callback: the client's drop takes care of what is
        // left (acks are completed there).
        while let Some(item) = shared.next_dispatch() {
            // A panicking Rust handler must not take the thread (and every later callback) down.
            let _ = catch_unwind(AssertUnwindSafe(|| call(&shared, item)));
        }
    })
}

/// Inline dispatch: runs the queued callbacks on the calling (I/O) thread, marked as running
/// them, until the queue is empty or the client is being freed.
pub(crate) fn run_queued(shared: &Shared) {
    shared.dispatching(|| {
        while !shared.shutdown.load(Ordering::Acquire) {
            let Some(item) = shared.try_next_dispatch() else { break };
            let _ = catch_unwind(AssertUnwindSafe(|| call(shared, item)));
        }
    })
}

/// A handle on a client's callback queue: waits for the client to close and, in manual
/// dispatch mode, runs the callbacks on the calling thread. It holds no borrow of the
/// [`crate::Client`], so a callback it runs may drop the client; calls made after that fail
/// with [`Error::Closed`].
#[derive(Clone)]
pub struct Dispatcher {
    pub(crate) shared: Arc<Shared>,
}

impl Dispatcher {
    /// Blocks until the client is closed (see [`crate::Client::wait`]) or `timeout` passes;
    /// `Ok(true)` if closed. In manual dispatch mode it runs the callbacks that come meanwhile
    /// on the calling thread (the entry that reports the close is one of them).
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        let shared = &self.shared;
        if shared.on_dispatch_thread() {
            return Err(Error::InCallback("wait"));
        }
        let deadline = deadline(timeout);
        if !shared.is_manual() {
            return Ok(shared.wait_settled(deadline));
        }
        loop {
            if shared.is_settled() {
                return Ok(true);
            }
            if !shared.wait_dispatch(deadline, true) {
                if shared.shutdown.load(Ordering::Acquire) {
                    // A callback it ran dropped the client.
                    return Err(Error::Closed);
                }
                return Ok(shared.is_settled());
            }
            let Some(_runner) = lock_runner(shared, deadline) else { return Ok(shared.is_settled()) };
            while !shared.is_settled() {
                let Some(item) = shared.try_next_dispatch() else { break };
                run_here(shared, item);
            }
        }
    }

    /// Manual dispatch: runs the callbacks pending now, at most `max` of them (0: all that are
    /// queued when the call starts, not those that arrive while it runs); returns how many ran.
    /// Waits for a callback running on another thread to return first.
    pub fn dispatch(&self, max: usize) -> Result<usize, Error> {
        let shared = self.manual()?;
        let _runner = shared.runner.lock();
        let entries = if max == 0 { shared.pending() } else { usize::MAX };
        let max = if max == 0 { usize::MAX } else { max };
        let mut ran = 0;
        for _ in 0..entries {
            if ran == max || shared.shutdown.load(Ordering::Acquire) {
                break;
            }
            let Some(item) = shared.try_next_dispatch() else { break };
            ran += usize::from(run_here(shared, item));
        }
        Ok(ran)
    }

    /// Manual dispatch: waits up to `timeout` (`None`: no limit) for the next callback and runs
    /// it on the calling thread; `Ok(false)` if none came in time.
    pub fn dispatch_wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        let shared = self.manual()?;
        let deadline = deadline(timeout);
        loop {
            if !shared.wait_dispatch(deadline, false) {
                return Ok(false);
            }
            let Some(_runner) = lock_runner(shared, deadline) else { return Ok(false) };
            while let Some(item) = shared.try_next_dispatch() {
                if run_here(shared, item) {
                    return Ok(true);
                }
            }
        }
    }

    /// Manual dispatch: the descriptor that is readable while callbacks are pending (level-
    /// triggered). Owned by the client: closed when it is dropped.
    /// Unlike the other calls, it may be asked for from inside a callback.
    pub fn fd(&self) -> Result<RawFd, Error> {
        if !self.shared.is_manual() {
            return Err(not_manual());
        }
        self.shared.signal_fd().ok_or(Error::Closed)
    }

    /// The shared state, if this client dispatches manually and the call is not made from
    /// inside one of its callbacks.
    fn manual(&self) -> Result<&Arc<Shared>, Error> {
        let shared = &self.shared;
        if !shared.is_manual() {
            return Err(not_manual());
        }
        if shared.on_dispatch_thread() {
            return Err(Error::InCallback("dispatch"));
        }
        if shared.shutdown.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(shared)
    }
}

fn not_manual() -> Error {
    Error::InvalidArgument("the client runs its callbacks on its own threads (no manual dispatch)".into())
}

fn deadline(timeout: Option<Duration>) -> Option<Instant> {
    timeout.and_then(|t| Instant::now().checked_add(t))
}

fn lock_runner(shared: &Shared, deadline: Option<Instant>) -> Option<parking_lot::MutexGuard<'_, ()>> {
    match deadline {
        None => Some(shared.runner.lock()),
        Some(t) => shared.runner.try_lock_until(t),
    }
}

/// Runs one entry on the calling host thread (holding the runner lock), marked as running this
/// client's callbacks meanwhile; true if it was a callback (not an internal entry).
fn run_here(shared: &Shared, item: Dispatch) -> bool {
    let callback = !matches!(item, Dispatch::Settled(_));
    let _ = shared.dispatching(|| catch_unwind(AssertUnwindSafe(|| call(shared, item))));
    callback
}

fn call(shared: &Shared, item: Dispatch) {
    match item {
        Dispatch::Event(event) => {
            let (any, specific) = event.socket().handlers.lock().for_event(event.name());
            if any.is_none() && specific.is_none() {
                sio_log!(
                    shared,
                    Debug,
                    "no handler for event \"{}\" on {}",
                    event.name(),
                    event.socket().nsp
                );
            }
            if let Some(h) = any {
                h(&event);
            }
            if let Some(h) = specific {
                h(&event);
            }
        }
        Dispatch::Connect(socket, sid, recovered) => {
            *socket.sid.lock() = Some(sid.clone());
            socket.recovered.store(recovered, Ordering::Release);
            let h = socket.handlers.lock().connect.clone();
            if let Some(h) = h {
                h(&socket, &sid);
            }
        }
        Dispatch::Disconnect(socket, reason) => {
            *socket.sid.lock() = None;
            let h = socket.handlers.lock().disconnect.clone();
            if let Some(h) = h {
                h(&socket, reason);
            }
        }
        Dispatch::ConnectError(socket, message, data) => {
            let h = socket.handlers.lock().connect_error.clone();
            if let Some(h) = h {
                h(&socket, &message, &data);
            }
        }
        Dispatch::Auth(socket, mut request) => {
            let provider = socket.handlers.lock().auth.clone();
            match provider {
                Some(p) => p(&socket, request),
                // Removed since the I/O thread asked: the auth given to the socket, if any.
                None => {
                    let auth = socket.auth.lock().clone();
                    let _ = request.reply(auth.as_deref());
                }
            }
        }
        Dispatch::Ack(f, result) => f(result),
        Dispatch::Reconnect(event) => {
            let h = shared.reconnect_handler.lock().clone();
            if let Some(h) = h {
                h(&event);
            }
        }
        Dispatch::Settled(seq) => shared.settle(seq),
    }
}
