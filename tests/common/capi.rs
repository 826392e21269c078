//! Drives libsio through its C ABI from Rust tests: C strings in, and a [`Recorder`] whose
//! `extern "C"` callbacks write down everything the library reports.

use std::ffi::{c_char, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use sio::ffi::*;

pub fn cs(s: &str) -> CString {
    CString::new(s).unwrap()
}

/// Reads a C string the library returned.
pub fn text(p: *const c_char) -> String {
    assert!(!p.is_null(), "NULL string from libsio");
    // SAFETY: libsio returns NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
}

pub fn last_error() -> String {
    text(sio_last_error())
}

pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("bad JSON {s:?}: {e}"))
}

/// What the library reported, as the test sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Rec {
    Connect {
        ns: String,
        sid: String,
        /// `sio_socket_recovered` in the connect handler.
        recovered: bool,
    },
    Disconnect {
        ns: String,
        reason: String,
    },
    ConnectError {
        ns: String,
        message: String,
        data: Value,
    },
    Event {
        ns: String,
        name: String,
        args: Value,
        ack: bool,
        buffers: Vec<Vec<u8>>,
    },
    Ack {
        tag: String,
        status: sio_result,
        args: Option<Value>,
    },
    Reconnect {
        event: sio_reconnect_event,
        attempt: u32,
        error: Option<String>,
    },
    /// A callback failed an assertion (a panic must not unwind into libsio: it would abort).
    Failed(String),
}

/// Runs a callback body; a panic becomes a `Rec::Failed` on `rec` instead of an abort.
fn guarded(rec: &Recorder, body: impl FnOnce()) {
    if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        let msg =
            e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
        rec.push(Rec::Failed(msg.unwrap_or_else(|| "panic".into())));
    }
}

/// How the recorder answers the server's ack requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AckMode {
    /// Inside the callback, with the event's own arguments.
    Echo,
    /// Keeps the `sio_ack` for the test to answer later (see [`Recorder::take_acks`]).
    Keep,
    /// Never answers.
    Ignore,
}

pub struct Recorder {
    recs: Mutex<Vec<Rec>>,
    changed: Condvar,
    mode: Mutex<AckMode>,
    kept: Mutex<Vec<SendAck>>,
    /// How many user data finalizers ran.
    pub finalized: AtomicUsize,
}

/// A `sio_ack` moved to another thread.
pub struct SendAck(pub *mut sio_ack);
// SAFETY: sio_ack may be used from any thread (header: thread safety).
unsafe impl Send for SendAck {}

impl Recorder {
    pub fn new(mode: AckMode) -> Arc<Recorder> {
        Arc::new(Recorder {
            recs: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            mode: Mutex::new(mode),
            kept: Mutex::new(Vec::new()),
            finalized: AtomicUsize::new(0),
        })
    }

    fn push(&self, r: Rec) {
        self.recs.lock().unwrap().push(r);
        self.changed.notify_all();
    }

    pub fn records(&self) -> Vec<Rec> {
        self.recs.lock().unwrap().clone()
    }

    /// Waits for a record matching `pred`; panics with every record seen if none comes.
    pub fn expect(&self, timeout: Duration, what: &str, pred: impl Fn(&Rec) -> bool) -> Rec {
        self.expect_n(timeout, what, 1, pred)
    }

    /// Waits for the `n`-th record matching `pred` and returns it.
    pub fn expect_n(&self, timeout: Duration, what: &str, n: usize, pred: impl Fn(&Rec) -> bool) -> Rec {
        let deadline = Instant::now() + timeout;
        let mut recs = self.recs.lock().unwrap();
        loop {
            if let Some(r) = recs.iter().filter(|r| pred(r)).nth(n - 1) {
                return r.clone();
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("timed out waiting for {what}; records: {:#?}", *recs);
            }
            recs = self.changed.wait_timeout(recs, deadline - now).unwrap().0;
        }
    }

    pub fn count(&self, pred: impl Fn(&Rec) -> bool) -> usize {
        self.recs.lock().unwrap().iter().filter(|r| pred(r)).count()
    }

    pub fn take_acks(&self) -> Vec<SendAck> {
        std::mem::take(&mut *self.kept.lock().unwrap())
    }

    /// User data for one registration: a new strong reference, released by `free_userdata`.
    fn userdata(self: &Arc<Self>) -> *mut c_void {
        Arc::into_raw(self.clone()) as *mut c_void
    }

    /// Registers every handler on `socket` (events by catch-all, plus `any`/`unhandled` markers).
    pub fn attach(self: &Arc<Self>, socket: *mut sio_socket) {
        unsafe {
            assert_eq!(
                sio_on_unhandled(socket, Some(on_event), self.userdata(), Some(release)),
                sio_result::SIO_OK
            );
            assert_eq!(
                sio_on_connect(socket, Some(on_connect), self.userdata(), Some(release)),
                sio_result::SIO_OK
            );
            assert_eq!(
                sio_on_disconnect(socket, Some(on_disconnect), self.userdata(), Some(release)),
                sio_result::SIO_OK
            );
            assert_eq!(
                sio_on_connect_error(socket, Some(on_connect_error), self.userdata(), Some(release)),
                sio_result::SIO_OK
            );
        }
    }

    /// Records the client's reconnection events.
    pub fn attach_client(self: &Arc<Self>, client: &Client) {
        let r = unsafe { sio_on_reconnect(client.ptr, Some(on_reconnect), self.userdata(), Some(release)) };
        assert_eq!(r, sio_result::SIO_OK);
    }

    /// Registers a named handler for `event` that records like the unhandled one.
    pub fn attach_event(self: &Arc<Self>, socket: *mut sio_socket, event: &str) {
        unsafe {
            assert_eq!(
                sio_on(socket, cs(event).as_ptr(), Some(on_event), self.userdata(), Some(release)),
                sio_result::SIO_OK
            );
        }
    }

    /// Emits with ack; the reply is recorded as `Rec::Ack { tag, .. }`.
    pub fn emit_with_ack(
        self: &Arc<Self>,
        socket: *mut sio_socket,
        event: &str,
        args: &str,
        timeout_ms: i64,
        tag: &str,
    ) -> sio_result {
        let ctx = Box::into_raw(Box::new((self.clone(), tag.to_owned()))) as *mut c_void;
        let r = unsafe {
            sio_emit_with_ack(
                socket,
                cs(event).as_ptr(),
                cs(args).as_ptr(),
                std::ptr::null(),
                0,
                timeout_ms,
                Some(on_ack),
                ctx,
            )
        };
        if r != sio_result::SIO_OK {
            // Never called back: reclaim the context.
            drop(unsafe { Box::from_raw(ctx as *mut (Arc<Recorder>, String)) });
        }
        r
    }
}

/// # Safety
/// `ud` is a pointer made by [`Recorder::userdata`], still holding its reference.
unsafe fn recorder<'a>(ud: *mut c_void) -> &'a Recorder {
    unsafe { &*(ud as *const Recorder) }
}

fn ns_of(socket: *mut sio_socket) -> String {
    text(unsafe { sio_socket_namespace(socket) })
}

pub unsafe extern "C" fn release(ud: *mut c_void) {
    let r = unsafe { Arc::from_raw(ud as *const Recorder) };
    r.finalized.fetch_add(1, Ordering::SeqCst);
}

pub unsafe extern "C" fn on_event(ud: *mut c_void, ev: *const sio_event) {
    let r = unsafe { recorder(ud) };
    guarded(r, || unsafe { record_event(r, ev) });
}

unsafe fn record_event(r: &Recorder, ev: *const sio_event) {
    let name = text(unsafe { sio_event_name(ev) });
    let args_text = text(unsafe { sio_event_args(ev) });
    let args = json(&args_text);
    let n = unsafe { sio_event_buffer_count(ev) };
    let buffers = (0..n)
        .map(|i| {
            let mut len = 0usize;
            let p = unsafe { sio_event_buffer(ev, i, &mut len) };
            unsafe { std::slice::from_raw_parts(p, len) }.to_vec()
        })
        .collect();
    let ack = unsafe { sio_event_take_ack(ev) };
    let wants = !ack.is_null();
    if wants {
        match *r.mode.lock().unwrap() {
            AckMode::Echo => assert_eq!(
                unsafe { sio_ack_send(ack, cs(&args_text).as_ptr(), std::ptr::null(), 0) },
                sio_result::SIO_OK
            ),
            AckMode::Keep => r.kept.lock().unwrap().push(SendAck(ack)),
            AckMode::Ignore => unsafe { sio_ack_free(ack) },
        }
    }
    let ns = ns_of(unsafe { sio_event_socket(ev) });
    r.push(Rec::Event { ns, name, args, ack: wants, buffers });
}

unsafe extern "C" fn on_connect(ud: *mut c_void, socket: *mut sio_socket, sid: *const c_char) {
    let r = unsafe { recorder(ud) };
    guarded(r, || {
        let recovered = unsafe { sio_socket_recovered(socket) };
        r.push(Rec::Connect { ns: ns_of(socket), sid: text(sid), recovered })
    });
}

unsafe extern "C" fn on_disconnect(ud: *mut c_void, socket: *mut sio_socket, reason: *const c_char) {
    let r = unsafe { recorder(ud) };
    guarded(r, || r.push(Rec::Disconnect { ns: ns_of(socket), reason: text(reason) }));
}

unsafe extern "C" fn on_connect_error(
    ud: *mut c_void,
    socket: *mut sio_socket,
    message: *const c_char,
    data: *const c_char,
) {
    let r = unsafe { recorder(ud) };
    guarded(r, || {
        r.push(Rec::ConnectError { ns: ns_of(socket), message: text(message), data: json(&text(data)) })
    });
}

unsafe extern "C" fn on_reconnect(
    ud: *mut c_void,
    event: sio_reconnect_event,
    attempt: u32,
    error: *const c_char,
) {
    let r = unsafe { recorder(ud) };
    guarded(r, || r.push(Rec::Reconnect { event, attempt, error: (!error.is_null()).then(|| text(error)) }));
}

unsafe extern "C" fn on_ack(ud: *mut c_void, status: sio_result, reply: *const sio_event) {
    let ctx = unsafe { Box::from_raw(ud as *mut (Arc<Recorder>, String)) };
    guarded(&ctx.0, || {
        let args = (!reply.is_null()).then(|| json(&text(unsafe { sio_event_args(reply) })));
        ctx.0.push(Rec::Ack { tag: ctx.1.clone(), status, args });
    });
}

/// A client made through the C ABI; freed on drop.
pub struct Client {
    pub ptr: *mut sio_client,
}

// SAFETY: sio_client may be used from any thread.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    pub fn connect(url: &str) -> Client {
        Client::connect_with(url, ptr::null())
    }

    pub fn connect_with(url: &str, opts: *const sio_options) -> Client {
        let mut ptr = ptr::null_mut();
        let r = unsafe { sio_connect(cs(url).as_ptr(), opts, &mut ptr) };
        assert_eq!(r, sio_result::SIO_OK, "sio_connect: {}", last_error());
        Client { ptr }
    }

    pub fn of(&self, nsp: Option<&str>, auth: Option<&str>) -> *mut sio_socket {
        let nsp = nsp.map(cs);
        let auth = auth.map(cs);
        let mut s = ptr::null_mut();
        let r = unsafe {
            sio_of(
                self.ptr,
                nsp.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                auth.as_ref().map_or(ptr::null(), |c| c.as_ptr()),
                &mut s,
            )
        };
        assert_eq!(r, sio_result::SIO_OK, "sio_of: {}", last_error());
        s
    }

    /// `sio_of` + recorder + `sio_socket_connect`.
    pub fn join(&self, rec: &Arc<Recorder>, nsp: &str, auth: Option<&str>) -> *mut sio_socket {
        let s = self.of(Some(nsp), auth);
        rec.attach(s);
        assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK, "{}", last_error());
        s
    }

    pub fn wait(&self, timeout_ms: i64) -> sio_result {
        unsafe { sio_wait(self.ptr, timeout_ms) }
    }

    /// Frees now (instead of on drop).
    pub fn free(mut self) {
        unsafe { sio_client_free(self.ptr) };
        self.ptr = ptr::null_mut();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        unsafe { sio_client_free(self.ptr) };
    }
}

/// A client whose reconnection waits 50–200 ms instead of 1–5 s, configured further by
/// `configure` before it is made.
pub fn reconnecting_client(url: &str, configure: impl FnOnce(*mut sio_options)) -> Client {
    configured_client(url, |opts| {
        unsafe { assert_eq!(sio_options_set_reconnection_delay(opts, 50, 200), sio_result::SIO_OK) };
        configure(opts);
    })
}

/// A client made with the options `configure` sets.
pub fn configured_client(url: &str, configure: impl FnOnce(*mut sio_options)) -> Client {
    let opts = sio_options_new();
    configure(opts);
    let c = Client::connect_with(url, opts);
    unsafe { sio_options_free(opts) };
    c
}

/// Matches the connect record of namespace `ns`.
pub fn connects(ns: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Connect { ns: n, .. } if n == ns)
}

pub fn emit(socket: *mut sio_socket, event: &str, args: &str) -> sio_result {
    unsafe { sio_emit(socket, cs(event).as_ptr(), cs(args).as_ptr(), std::ptr::null(), 0) }
}

pub const T: Duration = Duration::from_secs(10);

/// How an [`Auth`] callback answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AuthMode {
    /// Inside the callback.
    Now,
    /// From another thread, after this delay.
    Later(Duration),
    /// Not at all: the test takes the requests ([`Auth::take`]).
    Keep,
}

/// A `sio_auth_request` moved to another thread.
pub struct SendAuth(pub *mut sio_auth_request);
// SAFETY: sio_auth_request may be answered from any thread (header).
unsafe impl Send for SendAuth {}

/// An auth callback that answers request `n` (from 1) with `{"token":"secret","gen":n}`.
pub struct Auth {
    mode: AuthMode,
    pub asked: AtomicUsize,
    kept: Mutex<Vec<SendAuth>>,
    /// How many user data finalizers ran.
    pub finalized: AtomicUsize,
}

impl Auth {
    /// Sets a new callback on `socket`.
    pub fn attach(socket: *mut sio_socket, mode: AuthMode) -> Arc<Auth> {
        let auth = Arc::new(Auth {
            mode,
            asked: AtomicUsize::new(0),
            kept: Mutex::new(Vec::new()),
            finalized: AtomicUsize::new(0),
        });
        let ud = Arc::into_raw(auth.clone()) as *mut c_void;
        let r = unsafe { sio_socket_set_auth_callback(socket, Some(on_auth), ud, Some(release_auth)) };
        assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
        auth
    }

    pub fn take(&self) -> Vec<SendAuth> {
        std::mem::take(&mut *self.kept.lock().unwrap())
    }

    /// Waits until the callback was called `n` times.
    pub fn expect_asked(&self, timeout: Duration, n: usize) {
        let deadline = Instant::now() + timeout;
        while self.asked.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "the auth callback was called {} times, not {n}",
                self.asked.load(Ordering::SeqCst)
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

unsafe extern "C" fn release_auth(ud: *mut c_void) {
    let a = unsafe { Arc::from_raw(ud as *const Auth) };
    a.finalized.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn on_auth(ud: *mut c_void, _socket: *mut sio_socket, request: *mut sio_auth_request) {
    // SAFETY: `ud` is the `Auth` of `Auth::attach`, alive until `release_auth`.
    let a = unsafe { &*(ud as *const Auth) };
    let n = a.asked.fetch_add(1, Ordering::SeqCst) + 1;
    let reply = move |request: *mut sio_auth_request| {
        let json = cs(&format!(r#"{{"token":"secret","gen":{n}}}"#));
        assert_eq!(unsafe { sio_auth_reply(request, json.as_ptr()) }, sio_result::SIO_OK);
    };
    match a.mode {
        AuthMode::Now => reply(request),
        AuthMode::Later(delay) => {
            let request = SendAuth(request);
            std::thread::spawn(move || {
                let request = request;
                std::thread::sleep(delay);
                reply(request.0);
            });
        }
        AuthMode::Keep => a.kept.lock().unwrap().push(SendAuth(request)),
    }
}
