//! State shared by the handles, the I/O thread and the dispatch thread of one client.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::auth::AuthRequest;
use super::options::{Endpoint, Options};
use super::outbox::Emit;
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
}

thread_local! {
    /// The client whose dispatch thread this is. A plain `Cell`: unlike `thread::current()` it
    /// allocates nothing on the host's threads.
    static DISPATCHING: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
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
            dispatch: Mutex::new(DispatchState::default()),
            dispatch_ready: Condvar::new(),
        })
    }

    /// Queues a command for the I/O thread; wakes it only if the queue was empty.
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
        if was_empty {
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
        let mut l = self.lifecycle.lock();
        if seq > l.settled {
            l.settled = seq;
            self.lifecycle_changed.notify_all();
        }
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

    /// Marks the calling thread as this client's dispatch thread.
    pub fn become_dispatch_thread(&self) {
        DISPATCHING.with(|d| d.set(self as *const Shared));
    }

    pub fn on_dispatch_thread(&self) -> bool {
        DISPATCHING.with(|d| std::ptr::eq(d.get(), self))
    }

    /// Hands a batch of callbacks to the dispatch thread with one wake-up.
    pub fn dispatch(&self, batch: &mut Vec<Dispatch>) {
        if batch.is_empty() {
            return;
        }
        let mut d = self.dispatch.lock();
        if d.stop {
            batch.clear();
            return;
        }
        d.items.extend(batch.drain(..));
        self.dispatch_ready.notify_one();
    }

    /// The next callback for the dispatch thread, waiting for one; `None` once stopped. Items
    /// are taken one at a time so that whatever is left stays here for the client's drop.
    pub fn next_dispatch(&self) -> Option<Dispatch> {
        let mut d = self.dispatch.lock();
        loop {
            if d.stop {
                return None;
            }
            if let Some(item) = d.items.pop_front() {
                return Some(item);
            }
            self.dispatch_ready.wait(&mut d);
        }
    }

    /// Puts back an item the dispatch thread took but will not run.
    pub fn requeue(&self, item: Dispatch) {
        self.dispatch.lock().items.push_front(item);
    }

    /// Stops the dispatch thread after its current callback.
    pub fn stop_dispatch(&self) {
        self.dispatch.lock().stop = true;
        self.dispatch_ready.notify_all();
    }

    /// What the dispatch thread did not run (after it stopped).
    pub fn dispatch_leftovers(&self) -> VecDeque<Dispatch> {
        std::mem::take(&mut self.dispatch.lock().items)
    }
}
