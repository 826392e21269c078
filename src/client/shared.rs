//! State shared by the handles, the I/O thread and the dispatch thread of one client.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::auth::AuthRequest;
use super::io::Io;
use super::options::{DispatchMode, Endpoint, Options};
use super::outbox::Emit;
use super::signal::Signal;
use super::{Event, Socket};
use crate::transport::proxy::{self, ProxyServer};
use crate::transport::tls::client_config;
use crate::transport::Waker;
use crate::Error;

/// The outcome of an emit with ack: the reply, or why none came.
pub type AckResult = Result<Event, Error>;
/// Receives the outcome of an emit with ack, exactly once.
pub type AckFn = Box<dyn FnOnce(AckResult) + Send>;

/// Where the outcome of an ack goes.
pub(crate) enum AckTarget {
    /// To the dispatch thread, in order with the events.
    Dispatch(AckFn),
    /// Straight from the I/O thread (a blocking call's waiter: it only signals a condvar).
    Direct(AckFn),
}

/// A Socket.IO packet ready for the wire: its Engine.IO text packet (`4…`) and the binary
/// attachments that follow it, in order, with nothing in between.
#[derive(Clone)]
pub(crate) struct Outgoing {
    pub text: String,
    pub attachments: Vec<Vec<u8>>,
}

/// Work for the I/O thread, in the order the API calls were made.
pub(crate) enum Command {
    Register(Arc<Socket>),
    Connect {
        ns: usize,
        seq: u64,
    },
    Disconnect {
        ns: usize,
    },
    Emit {
        ns: usize,
        emit: Emit<AckTarget>,
    },
    /// Sent only if the namespace is connected and the transport writable now.
    Volatile {
        ns: usize,
        packet: Outgoing,
    },
    /// An answer to a server ack request, valid only on connection number `connection`.
    Ack {
        ns: usize,
        connection: u64,
        packet: Outgoing,
    },
    Close {
        seq: u64,
    },
    /// The answer to auth request `token` of a namespace: `None` if it was dropped unanswered
    /// (refused), else the auth for its CONNECT.
    Auth {
        ns: usize,
        token: u64,
        auth: Option<Option<String>>,
    },
}

/// What the reconnection loop reports (to the client's reconnect handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReconnectEvent {
    /// Attempt number `n` (from 1) starts.
    Attempt(u32),
    /// Attempt `n` succeeded: the namespaces are joined again.
    Reconnected(u32),
    /// Attempt `n` failed, with why.
    Error(u32, String),
    /// The attempts are used up: the client is closed.
    Failed(u32),
}

/// Called with each [`ReconnectEvent`].
pub type ReconnectHandler = Arc<dyn Fn(&ReconnectEvent) + Send + Sync>;

/// Work for the dispatch thread: one callback each.
pub(crate) enum Dispatch {
    Event(Event),
    /// Connected, with the socket id and whether the session was recovered.
    Connect(Arc<Socket>, String, bool),
    /// Ask the socket's auth provider for the auth of its CONNECT.
    Auth(Arc<Socket>, AuthRequest),
    Disconnect(Arc<Socket>, &'static str),
    ConnectError(Arc<Socket>, String, String),
    Ack(AckFn, AckResult),
    Reconnect(ReconnectEvent),
    /// The client became idle after handling every request numbered up to this one.
    Settled(u64),
}

#[derive(Default)]
struct DispatchState {
    items: VecDeque<Dispatch>,
    stop: bool,
    /// Manual dispatch: raised while `items` is not empty; dropped (closed) when stopped.
    signal: Option<Signal>,
}

impl DispatchState {
    fn pop(&mut self) -> Option<Dispatch> {
        let item = if self.stop { None } else { self.items.pop_front() };
        self.sync_signal();
        item
    }

    fn sync_signal(&mut self) {
        if let Some(s) = &mut self.signal {
            s.set(!self.items.is_empty());
        }
    }
}

/// Requests that change whether the client is open (connect, close) are numbered; the client
/// is closed when the dispatch thread has seen the I/O thread settle the latest of them.
#[derive(Default)]
struct Lifecycle {
    requested: u64,
    settled: u64,
}

pub(crate) struct Shared {
    pub endpoint: Endpoint,
    pub options: Options,
    /// Built from `options.tls` once, for an `https`/`wss` endpoint; every connection uses it.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// The same trust and client certificate for ureq (polling over https).
    pub http_tls: ureq::tls::TlsConfig,
    /// The HTTP proxy both transports tunnel through, resolved once per client.
    pub proxy: Option<ProxyServer>,
    /// The same proxy for ureq.
    pub http_proxy: Option<ureq::Proxy>,
    pub reconnect_handler: Mutex<Option<ReconnectHandler>>,
    pub waker: Arc<Waker>,
    commands: Mutex<Vec<Command>>,
    /// `sio_client_free` started: the I/O thread stops, no new callback starts.
    pub shutdown: AtomicBool,
    /// `sio_client_close` was called: the client never opens again.
    pub closing: AtomicBool,
    lifecycle: Mutex<Lifecycle>,
    lifecycle_changed: Condvar,
    dispatch: Mutex<DispatchState>,
    dispatch_ready: Condvar,
    /// The batch the dispatch thread took from `dispatch` with one lock and is running, oldest
    /// first; what it did not run when stopped stays here for the client's drop.
    running: Mutex<VecDeque<Dispatch>>,
    /// Manual dispatch: held while a host thread takes and runs a callback, so that callbacks
    /// run one at a time and in order whichever threads dispatch.
    pub runner: Mutex<()>,
    /// Inline dispatch: the I/O thread's state while that thread runs callbacks, so that a
    /// callback freeing the client can stop it from there (the thread cannot join itself).
    pub lent_io: Mutex<Option<Box<Io>>>,
    /// Callbacks handed to the dispatcher and not yet started (see [`Shared::pause_if_full`]).
    queued: AtomicUsize,
    /// The I/O thread stopped reading because `queued` reached `options.max_pending`; whoever
    /// brings it down to half wakes it.
    paused: AtomicBool,
}

/// A client whose callbacks run on this thread, in a chain through the stack frames that run
/// them: a callback of one client may dispatch another's (manual dispatch), so several nest.
struct Mark {
    shared: *const Shared,
    outer: *const Mark,
}

thread_local! {
    /// The innermost [`Mark`] of this thread. A plain `Cell`: unlike `thread::current()` it
    /// allocates nothing on the host's threads.
    static DISPATCHING: Cell<*const Mark> = const { Cell::new(std::ptr::null()) };
}

/// Takes its [`Mark`] off the chain when the frame that put it there ends (even by a panic).
struct Unmark(*const Mark);

impl Drop for Unmark {
    fn drop(&mut self) {
        DISPATCHING.with(|d| d.set(self.0));
    }
}

impl Shared {
    pub fn new(endpoint: Endpoint, options: Options) -> Result<Shared, Error> {
        let tls = if endpoint.is_secure() { Some(client_config(&options.tls)?) } else { None };
        let http_tls = if endpoint.is_secure() {
            crate::transport::polling::tls_config(&options.tls)?
        } else {
            ureq::tls::TlsConfig::default()
        };
        let env = |name: &str| std::env::var(name).ok();
        let proxy = proxy::resolve(&options.proxy, endpoint.is_secure(), endpoint.host(), env)?;
        let http_proxy = match &proxy {
            Some(p) => Some(
                ureq::Proxy::new(&p.url).map_err(|e| Error::InvalidUrl(format!("proxy {}: {e}", p.url)))?,
            ),
            None => None,
        };
        let signal = match options.dispatch {
            DispatchMode::Thread | DispatchMode::Inline => None,
            DispatchMode::Manual => Some(Signal::new().map_err(|e| Error::Io(e.to_string()))?),
        };
        Ok(Shared {
            endpoint,
            options,
            tls,
            http_tls,
            proxy,
            http_proxy,
            reconnect_handler: Mutex::new(None),
            waker: Arc::new(Waker::new().map_err(|e| Error::Io(e.to_string()))?),
            commands: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            lifecycle: Mutex::new(Lifecycle::default()),
            lifecycle_changed: Condvar::new(),
            dispatch: Mutex::new(DispatchState { signal, ..DispatchState::default() }),
            dispatch_ready: Condvar::new(),
            running: Mutex::new(VecDeque::new()),
            runner: Mutex::new(()),
            lent_io: Mutex::new(None),
            queued: AtomicUsize::new(0),
            paused: AtomicBool::new(false),
        })
    }

    /// Queues a command for the I/O thread; wakes it only if the queue was empty and the caller
    /// is not that thread itself (an inline callback: the thread takes it after the callbacks).
    pub fn send(&self, cmd: Command) -> Result<(), Error> {
        if self.shutdown.load(Ordering::Acquire)
            || (self.closing.load(Ordering::Acquire) && !matches!(cmd, Command::Close { .. }))
        {
            return Err(Error::Closed);
        }
        let was_empty = {
            let mut q = self.commands.lock();
            q.push(cmd);
            q.len() == 1
        };
        if was_empty && !(self.is_inline() && self.on_dispatch_thread()) {
            self.waker.wake();
        }
        Ok(())
    }

    /// Moves every queued command into `into` (which the I/O thread reuses).
    pub fn take_commands(&self, into: &mut Vec<Command>) {
        std::mem::swap(&mut *self.commands.lock(), into);
    }

    /// Numbers a connect or close request (see [`Lifecycle`]).
    pub fn next_request(&self) -> u64 {
        let mut l = self.lifecycle.lock();
        l.requested += 1;
        l.requested
    }

    pub fn settle(&self, seq: u64) {
        {
            let mut l = self.lifecycle.lock();
            if seq <= l.settled {
                return;
            }
            l.settled = seq;
            self.lifecycle_changed.notify_all();
        }
        // Manual dispatch: a `wait` on another host thread may be waiting in `wait_dispatch`.
        let _d = self.dispatch.lock();
        self.dispatch_ready.notify_all();
    }

    pub fn is_settled(&self) -> bool {
        let l = self.lifecycle.lock();
        l.settled >= l.requested
    }

    /// Blocks until every connect/close request has settled, or `deadline`; true if settled.
    pub fn wait_settled(&self, deadline: Option<Instant>) -> bool {
        let mut l = self.lifecycle.lock();
        while l.settled < l.requested {
            match deadline {
                None => self.lifecycle_changed.wait(&mut l),
                Some(d) => {
                    if self.lifecycle_changed.wait_until(&mut l, d).timed_out() {
                        return l.settled >= l.requested;
                    }
                }
            }
        }
        true
    }

    /// Runs `f` with the calling thread marked as running this client's callbacks (the
    /// dispatch thread, a host thread in manual dispatch, or the I/O thread in inline dispatch).
    pub fn dispatching<R>(&self, f: impl FnOnce() -> R) -> R {
        let outer = DISPATCHING.with(Cell::get);
        let mark = Mark { shared: self, outer };
        DISPATCHING.with(|d| d.set(&mark));
        let _unmark = Unmark(outer);
        f()
    }

    /// Whether the calling thread runs one of this client's callbacks (or is its dispatch thread).
    pub fn on_dispatch_thread(&self) -> bool {
        let mut m = DISPATCHING.with(Cell::get);
        // SAFETY: every mark in the chain lives in a frame of this thread that has not returned.
        while let Some(mark) = unsafe { m.as_ref() } {
            if std::ptr::eq(mark.shared, self) {
                return true;
            }
            m = mark.outer;
        }
        false
    }

    /// Hands a batch of callbacks to the dispatch thread. Wakes the waiters only when the queue
    /// was empty: they wait only for an empty queue, and were woken when it last filled.
    pub fn dispatch(&self, batch: &mut Vec<Dispatch>) {
        if batch.is_empty() {
            return;
        }
        let mut d = self.dispatch.lock();
        if d.stop {
            batch.clear();
            return;
        }
        let was_empty = d.items.is_empty();
        self.queued.fetch_add(batch.len(), Ordering::AcqRel);
        d.items.extend(batch.drain(..));
        d.sync_signal();
        if was_empty {
            // Manual dispatch may have several host threads waiting.
            self.dispatch_ready.notify_all();
        }
    }

    /// The next callback for the dispatch thread, waiting for one; `None` once freeing
    /// (`shutdown`) or stopped. Takes the whole queue at once into `running` and hands it out
    /// from there, so the queue's lock is taken once per batch, not per callback.
    pub fn next_dispatch(&self) -> Option<Dispatch> {
        if self.shutdown.load(Ordering::Acquire) {
            return None;
        }
        if let Some(item) = self.running.lock().pop_front() {
            self.started();
            return Some(item);
        }
        let mut d = self.dispatch.lock();
        loop {
            if d.stop {
                return None;
            }
            if !d.items.is_empty() {
                let mut running = self.running.lock();
                std::mem::swap(&mut *running, &mut d.items);
                self.started();
                return running.pop_front();
            }
            self.dispatch_ready.wait(&mut d);
        }
    }

    /// The next callback if one is queued (manual dispatch); `None` once stopped.
    pub fn try_next_dispatch(&self) -> Option<Dispatch> {
        let item = self.dispatch.lock().pop();
        if item.is_some() {
            self.started();
        }
        item
    }

    /// A queued callback is about to run: when that brings the backlog down to half the bound,
    /// the I/O thread, if it stopped reading for it, is woken to read again.
    fn started(&self) {
        // SeqCst here and in `pause_if_full`: each side writes one flag and then reads the
        // other's, so that at least one of them sees the other's write.
        let left = self.queued.fetch_sub(1, Ordering::SeqCst) - 1;
        if left <= self.options.max_pending / 2
            && self.paused.load(Ordering::SeqCst)
            && self.paused.swap(false, Ordering::SeqCst)
        {
            self.waker.wake();
        }
    }

    /// Whether `more` callbacks on top of those queued reach the bound on pending callbacks
    /// (`Options::max_pending`; never with 0).
    pub fn backlog_full(&self, more: usize) -> bool {
        let max = self.options.max_pending;
        max != 0 && self.queued.load(Ordering::Acquire) + more >= max
    }

    /// When the backlog is full, marks the I/O thread as no longer reading, so that the next
    /// [`Shared::started`] that brings it down to half wakes it; true then.
    pub fn pause_if_full(&self) -> bool {
        if !self.backlog_full(0) {
            return false;
        }
        self.paused.store(true, Ordering::SeqCst);
        // The callbacks may have run down meanwhile, before they could see the flag.
        if self.queued.load(Ordering::SeqCst) <= self.options.max_pending / 2 {
            self.paused.store(false, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// How many entries are queued.
    pub fn pending(&self) -> usize {
        self.dispatch.lock().items.len()
    }

    /// Waits until an entry is queued (true), or until `deadline` passes, the queue stops or,
    /// with `or_settled`, the client is settled (false).
    pub fn wait_dispatch(&self, deadline: Option<Instant>, or_settled: bool) -> bool {
        let mut d = self.dispatch.lock();
        loop {
            if d.stop {
                return false;
            }
            if !d.items.is_empty() {
                return true;
            }
            if or_settled && self.is_settled() {
                return false;
            }
            match deadline {
                None => self.dispatch_ready.wait(&mut d),
                Some(t) => {
                    if self.dispatch_ready.wait_until(&mut d, t).timed_out() {
                        return !d.stop && !d.items.is_empty();
                    }
                }
            }
        }
    }

    /// The descriptor that is readable while callbacks are pending (manual dispatch, until
    /// stopped).
    pub fn signal_fd(&self) -> Option<std::os::fd::RawFd> {
        self.dispatch.lock().signal.as_ref().map(Signal::fd)
    }

    pub fn is_manual(&self) -> bool {
        self.options.dispatch == DispatchMode::Manual
    }

    pub fn is_inline(&self) -> bool {
        self.options.dispatch == DispatchMode::Inline
    }

    /// Stops the dispatch thread after its current callback; closes the manual dispatch signal.
    pub fn stop_dispatch(&self) {
        let mut d = self.dispatch.lock();
        d.stop = true;
        d.signal = None;
        self.dispatch_ready.notify_all();
    }

    /// What the dispatch thread did not run (after it stopped), oldest first.
    pub fn dispatch_leftovers(&self) -> VecDeque<Dispatch> {
        let mut leftovers = std::mem::take(&mut *self.running.lock());
        leftovers.append(&mut self.dispatch.lock().items);
        leftovers
    }
}
