//! The runtime: a [`Client`] owns one Engine.IO session (over WebSocket) and the namespace
//! [`Socket`]s multiplexed on it; an I/O thread does the networking and a dispatch thread runs
//! the callbacks (`design.md` §2), unless the host or the I/O thread runs them ([`DispatchMode`]).

mod auth;
mod backoff;
mod coalesce;
mod dispatch;
mod event;
mod handlers;
mod io;
pub mod log;
mod namespace;
pub mod options;
mod outbox;
mod shared;
mod signal;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

pub use auth::{AuthProvider, AuthRequest};
pub use dispatch::Dispatcher;
pub use event::{Event, Responder};
pub use handlers::{ConnectErrorHandler, ConnectHandler, DisconnectHandler, EventHandler};
pub use options::Options;
pub use shared::{AckFn, AckResult, ReconnectEvent, ReconnectHandler};

use handlers::Handlers;
use options::{normalize_namespace, DispatchMode, Endpoint};
use outbox::{Emit, Gauge};
use shared::{AckTarget, Command, Outgoing, Shared};

use crate::{json, socketio, Error};

/// A Socket.IO client: one connection to one server, shared by any number of namespaces.
///
/// Nothing goes on the wire until a namespace [`Socket::connect`]s. Dropping the client stops
/// its threads; no callback starts after the drop returns.
pub struct Client {
    shared: Arc<Shared>,
    sockets: Mutex<Vec<Arc<Socket>>>,
    io: Option<JoinHandle<()>>,
    dispatch: Option<JoinHandle<()>>,
}

/// One namespace of a [`Client`]: emits, acks and handlers.
pub struct Socket {
    pub(crate) shared: Arc<Shared>,
    pub(crate) index: usize,
    pub(crate) nsp: String,
    /// `nsp` for C.
    pub(crate) nsp_c: std::ffi::CString,
    pub(crate) handlers: Mutex<Handlers>,
    pub(crate) auth: Mutex<Option<String>>,
    pub(crate) sid: Mutex<Option<String>>,
    /// Whether the last connect recovered the session (set on the dispatch thread).
    pub(crate) recovered: AtomicBool,
    next_ack_id: AtomicU64,
    /// Whether the namespace is connected and how many emits it holds, kept by the I/O thread.
    pub(crate) gauge: Arc<Gauge>,
    /// This socket's default ack timeout in ms: negative, the client's; 0, none.
    ack_timeout_ms: AtomicI64,
}

impl Client {
    /// Creates a client for `url` (`http://` or `ws://`; its path names the default namespace)
    /// and starts its threads (a dispatch thread only with [`DispatchMode::Thread`]). Does not
    /// connect yet.
    pub fn new(url: &str, options: Options) -> Result<Client, Error> {
        let endpoint = Endpoint::resolve(url, &options)?;
        let shared = Arc::new(Shared::new(endpoint, options)?);
        let spawn_err = |e: std::io::Error| Error::Io(format!("cannot start a thread: {e}"));
        let io_shared = shared.clone();
        let io = std::thread::Builder::new()
            .name("sio-io".into())
            .spawn(move || io::Io::new(io_shared).run())
            .map_err(spawn_err)?;
        let mut client =
            Client { shared: shared.clone(), sockets: Mutex::new(Vec::new()), io: Some(io), dispatch: None };
        if shared.options.dispatch != DispatchMode::Thread {
            return Ok(client);
        }
        let dispatch = std::thread::Builder::new()
            .name("sio-dispatch".into())
            .spawn(move || dispatch::run(shared))
            .map_err(spawn_err)?;
        client.dispatch = Some(dispatch);
        Ok(client)
    }

    /// The socket for namespace `nsp` (`None`: the URL's namespace), created on first use.
    /// `auth` (a JSON object), if given, replaces the auth sent with the next CONNECT.
    pub fn socket(&self, nsp: Option<&str>, auth: Option<&str>) -> Result<Arc<Socket>, Error> {
        if let Some(a) = auth {
            json::check_object(a)?;
        }
        let nsp = match nsp {
            Some(n) => normalize_namespace(n)?,
            None => self.shared.endpoint.namespace.clone(),
        };
        let mut sockets = self.sockets.lock();
        if let Some(s) = sockets.iter().find(|s| s.nsp == nsp) {
            if let Some(a) = auth {
                *s.auth.lock() = Some(a.to_owned());
            }
            return Ok(s.clone());
        }
        let socket = Arc::new(Socket {
            shared: self.shared.clone(),
            index: sockets.len(),
            nsp_c: std::ffi::CString::new(nsp.clone())
                .map_err(|_| Error::InvalidArgument("namespace contains NUL".into()))?,
            nsp,
            handlers: Mutex::new(Handlers::default()),
            auth: Mutex::new(auth.map(str::to_owned)),
            sid: Mutex::new(None),
            recovered: AtomicBool::new(false),
            next_ack_id: AtomicU64::new(0),
            gauge: Arc::default(),
            ack_timeout_ms: AtomicI64::new(-1),
        });
        self.shared.send(Command::Register(socket.clone()))?;
        sockets.push(socket.clone());
        Ok(socket)
    }

    /// Leaves every namespace and closes the connection, for good. Returns at once; [`Client::wait`]
    /// returns once it is done.
    pub fn close(&self) -> Result<(), Error> {
        if self.shared.closing.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let seq = self.shared.next_request();
        self.shared.send(Command::Close { seq })
    }

    /// Sets (or with `None` removes) the handler told about reconnection attempts.
    pub fn on_reconnect(&self, handler: Option<ReconnectHandler>) {
        let old = std::mem::replace(&mut *self.shared.reconnect_handler.lock(), handler);
        drop(old);
    }

    /// Blocks until the client is closed (no namespace joined or joining, and every callback
    /// about it has run) or `timeout` passes; `Ok(true)` if closed. In manual dispatch mode the
    /// callbacks that come meanwhile run on the calling thread.
    pub fn wait(&self, timeout: Option<Duration>) -> Result<bool, Error> {
        self.dispatcher().wait(timeout)
    }

    /// The handle that runs this client's callbacks in manual dispatch mode, and waits for it.
    pub fn dispatcher(&self) -> Dispatcher {
        Dispatcher { shared: self.shared.clone() }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        self.shared.waker.wake();
        if let Some(io) = self.io.take() {
            if self.shared.is_inline() && self.shared.on_dispatch_thread() {
                // Inline dispatch, freed from a callback: this thread is the I/O thread, which lent
                // its state for the callbacks; stop it here. The thread ends as the callback returns.
                // (Not `thread::current()`: it allocates a handle that the main thread keeps.)
                if let Some(state) = self.shared.lent_io.lock().take() {
                    state.stop();
                }
            } else {
                let _ = io.join();
            }
        }
        // Manual dispatch: a callback running on another host thread finishes first (as the
        // dispatch thread is joined below), unless this drop comes from inside a callback.
        let runner = (!self.shared.on_dispatch_thread()).then(|| self.shared.runner.lock());
        self.shared.stop_dispatch();
        drop(runner);
        if let Some(d) = self.dispatch.take() {
            if !self.shared.on_dispatch_thread() {
                let _ = d.join();
            }
        }
        // Ack callbacks are called exactly once: those the dispatch thread did not reach run here.
        for item in self.shared.dispatch_leftovers() {
            if let shared::Dispatch::Ack(f, result) = item {
                f(result);
            }
        }
        // So are those of emits that a callback queued after the I/O thread took its last commands
        // (it passed the shutdown check in `Shared::send` just before the flag was set).
        let mut late = Vec::new();
        self.shared.take_commands(&mut late);
        for cmd in late {
            if let Command::Emit {
                emit: Emit { reply: Some(AckTarget::Dispatch(f) | AckTarget::Direct(f)), .. },
                ..
            } = cmd
            {
                f(Err(Error::Closed));
            }
        }
        // Finalize every handler's user data now, not whenever the last reference goes.
        for s in self.sockets.lock().drain(..) {
            std::mem::take(&mut *s.handlers.lock());
        }
        drop(self.shared.reconnect_handler.lock().take());
    }
}

impl Socket {
    /// The namespace, e.g. `/` or `/chat`.
    pub fn namespace(&self) -> &str {
        &self.nsp
    }

    /// The id the server gave this socket, while connected.
    pub fn id(&self) -> Option<String> {
        self.sid.lock().clone()
    }

    /// Whether the server recovered the session at the last connect (connection state
    /// recovery: same id, the events missed meanwhile delivered before the connect handler).
    /// False until the first connect; in the connect handler it is that connect's.
    pub fn recovered(&self) -> bool {
        self.recovered.load(Ordering::Acquire)
    }

    /// Sets (or with `None` removes) the provider asked for the auth of every CONNECT of this
    /// namespace, first and after each reconnection; it replaces the auth object given with
    /// [`Client::socket`] or [`Socket::set_auth`].
    pub fn on_auth(&self, provider: Option<AuthProvider>) {
        let old = std::mem::replace(&mut self.handlers.lock().auth, provider);
        drop(old);
    }

    /// Replaces the auth object (JSON) sent with the next CONNECT; `None` sends none.
    pub fn set_auth(&self, auth: Option<&str>) -> Result<(), Error> {
        if let Some(a) = auth {
            json::check_object(a)?;
        }
        *self.auth.lock() = auth.map(str::to_owned);
        Ok(())
    }

    /// Joins the namespace (opening the connection if needed). Returns at once: the connect or
    /// connect_error handler tells the outcome. Does nothing if already joined or joining.
    pub fn connect(&self) -> Result<(), Error> {
        if self.shared.closing.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        let seq = self.shared.next_request();
        self.shared.send(Command::Connect { ns: self.index, seq })
    }

    /// Leaves the namespace; the disconnect handler gets `io client disconnect` if it was connected.
    pub fn disconnect(&self) -> Result<(), Error> {
        self.shared.send(Command::Disconnect { ns: self.index })
    }

    /// Emits `event` with `args` (a JSON array) and binary `buffers`, which `args` references
    /// with placeholders `{"_placeholder":true,"num":N}` (every buffer exactly by its index).
    /// Held until the namespace is connected; fails with [`Error::BufferFull`] when it holds
    /// [`Options::max_buffered`] emits already.
    pub fn emit(&self, event: &str, args: &str, buffers: Vec<Vec<u8>>) -> Result<(), Error> {
        // The retry FIFO needs an ack id on every packet.
        let id = (self.shared.options.retries > 0).then(|| self.next_ack_id.fetch_add(1, Ordering::Relaxed));
        let packet = self.event_packet(event, args, buffers, id)?;
        self.queue_emit(Emit { packet, id, reply: None, timeout: self.default_ack_timeout(), counted: false })
    }

    /// Emits only if the namespace is connected and the transport can take it at once;
    /// otherwise the emit is dropped (for values that the next one supersedes). Fails with
    /// [`Error::Disconnected`] when the namespace is not connected at call time; a drop after
    /// that (not writable, or disconnected meanwhile) is silent.
    pub fn emit_volatile(&self, event: &str, args: &str, buffers: Vec<Vec<u8>>) -> Result<(), Error> {
        let packet = self.event_packet(event, args, buffers, None)?;
        if !self.gauge.connected() {
            return Err(Error::Disconnected);
        }
        self.shared.send(Command::Volatile { ns: self.index, packet })
    }

    /// Sets this socket's default ack timeout, for emits with ack given none of their own (and,
    /// with retries, for each try): `None` goes back to the client's
    /// ([`Options::ack_timeout`]), `Some(None)` means no limit.
    pub fn set_ack_timeout(&self, timeout: Option<Option<Duration>>) {
        let ms = match timeout {
            None => -1,
            Some(None) => 0,
            Some(Some(t)) => i64::try_from(t.as_millis()).unwrap_or(i64::MAX).max(1),
        };
        self.ack_timeout_ms.store(ms, Ordering::Relaxed);
    }

    fn default_ack_timeout(&self) -> Option<Duration> {
        match self.ack_timeout_ms.load(Ordering::Relaxed) {
            ms if ms < 0 => self.shared.options.ack_timeout,
            0 => None,
            ms => Some(Duration::from_millis(ms.unsigned_abs())),
        }
    }

    /// Counts `emit` in the gauge if it is going to be held (refusing it when full) and queues it.
    fn queue_emit(&self, mut emit: Emit<AckTarget>) -> Result<(), Error> {
        let options = &self.shared.options;
        emit.counted = self.gauge.admit(options.max_buffered, options.retries > 0)?;
        let counted = emit.counted;
        let sent = self.shared.send(Command::Emit { ns: self.index, emit });
        if sent.is_err() && counted {
            self.gauge.uncount();
        }
        sent
    }

    /// Emits with an acknowledgement: `reply` runs on the dispatch thread, once, with the ack's
    /// arguments or the reason none came (timeout, disconnect).
    pub fn emit_with_ack(
        &self,
        event: &str,
        args: &str,
        buffers: Vec<Vec<u8>>,
        timeout: Option<Duration>,
        reply: AckFn,
    ) -> Result<(), Error> {
        self.emit_acked(event, args, buffers, timeout, AckTarget::Dispatch(reply))
    }

    /// Emits with an acknowledgement and blocks until it comes or `timeout` passes. Fails with
    /// [`Error::InCallback`] on the dispatch thread.
    pub fn call(
        &self,
        event: &str,
        args: &str,
        buffers: Vec<Vec<u8>>,
        timeout: Option<Duration>,
    ) -> Result<Event, Error> {
        if self.shared.on_dispatch_thread() {
            return Err(Error::InCallback("a blocking call"));
        }
        let slot = Arc::new((Mutex::new(None::<AckResult>), Condvar::new()));
        let filler = slot.clone();
        let done: AckFn = Box::new(move |r| {
            *filler.0.lock() = Some(r);
            filler.1.notify_one();
        });
        self.emit_acked(event, args, buffers, timeout, AckTarget::Direct(done))?;
        let mut result = slot.0.lock();
        while result.is_none() {
            slot.1.wait(&mut result);
        }
        result.take().unwrap_or(Err(Error::Closed))
    }

    fn emit_acked(
        &self,
        event: &str,
        args: &str,
        buffers: Vec<Vec<u8>>,
        timeout: Option<Duration>,
        target: AckTarget,
    ) -> Result<(), Error> {
        let id = self.next_ack_id.fetch_add(1, Ordering::Relaxed);
        let packet = self.event_packet(event, args, buffers, Some(id))?;
        // Without a timeout of its own, the socket's default applies (or the client's).
        let timeout = timeout.or_else(|| self.default_ack_timeout());
        self.queue_emit(Emit { packet, id: Some(id), reply: Some(target), timeout, counted: false })
    }

    /// Encodes `42[<nsp>,][<id>]["event",...args]` (or `45<n>-…` with buffers) on the caller's
    /// thread.
    fn event_packet(
        &self,
        event: &str,
        args: &str,
        buffers: Vec<Vec<u8>>,
        id: Option<u64>,
    ) -> Result<Outgoing, Error> {
        if socketio::is_reserved_event(event) {
            return Err(Error::ReservedEvent(event.to_owned()));
        }
        json::check_array(args)?;
        json::check_placeholders(args, buffers.len())?;
        // Sized exactly: the WebSocket transport then hands this buffer to tungstenite as is,
        // without allocating a shared header for the unused capacity.
        let len = 1 + socketio::packet::event_len(&self.nsp, id, buffers.len(), event, args);
        let mut text = String::with_capacity(len);
        text.push('4');
        socketio::packet::encode_event(&self.nsp, id, buffers.len(), event, args, &mut text);
        debug_assert_eq!(text.len(), len);
        Ok(Outgoing { text, attachments: buffers })
    }

    /// Sets (or with `None` removes) the handler for events named `event`.
    pub fn on(&self, event: &str, handler: Option<EventHandler>) {
        let mut h = self.handlers.lock();
        let old = match handler {
            Some(f) => h.events.insert(event, f),
            None => h.events.remove(event),
        };
        drop(h);
        drop(old);
    }

    /// Sets the catch-all handler, called for every event before its named handler.
    pub fn on_any(&self, handler: Option<EventHandler>) {
        let old = std::mem::replace(&mut self.handlers.lock().any, handler);
        drop(old);
    }

    /// Sets the handler for events that have no named handler.
    pub fn on_unhandled(&self, handler: Option<EventHandler>) {
        let old = std::mem::replace(&mut self.handlers.lock().unhandled, handler);
        drop(old);
    }

    pub fn on_connect(&self, handler: Option<ConnectHandler>) {
        let old = std::mem::replace(&mut self.handlers.lock().connect, handler);
        drop(old);
    }

    pub fn on_disconnect(&self, handler: Option<DisconnectHandler>) {
        let old = std::mem::replace(&mut self.handlers.lock().disconnect, handler);
        drop(old);
    }

    pub fn on_connect_error(&self, handler: Option<ConnectErrorHandler>) {
        let old = std::mem::replace(&mut self.handlers.lock().connect_error, handler);
        drop(old);
    }
}
