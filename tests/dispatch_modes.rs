//! Manual dispatch through the C ABI: every callback on the host's thread, the descriptor an
//! event loop watches, the pull form, calls and frees from inside callbacks, several host
//! threads dispatching at once. Inline dispatch: every callback on the client's I/O thread,
//! with the same guarantees.

mod common;

use std::ffi::{c_char, c_int, c_void};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use common::capi::*;
use common::TestServer;
use sio::ffi::*;
use sio_result::*;

/// What the callbacks of these tests write down, and how some of them act.
#[derive(Default)]
struct Host {
    client: AtomicPtr<sio_client>,
    /// Every callback: what it was, and on which thread it ran.
    calls: Mutex<Vec<(String, ThreadId)>>,
    /// Results of API calls made from inside callbacks.
    codes: Mutex<Vec<(&'static str, sio_result)>>,
    /// A callback is running (to catch two at once).
    busy: AtomicBool,
    overlaps: AtomicUsize,
    freed: AtomicBool,
    after_free: AtomicUsize,
    finalized: AtomicUsize,
    /// Event callbacks take a while (to be caught running by a free from another thread).
    slow: AtomicBool,
    /// A slow event callback is running.
    sleeping: AtomicBool,
}

impl Host {
    fn record(&self, what: String) {
        if self.busy.swap(true, Ordering::SeqCst) {
            self.overlaps.fetch_add(1, Ordering::SeqCst);
        }
        if self.freed.load(Ordering::SeqCst) {
            self.after_free.fetch_add(1, Ordering::SeqCst);
        }
        self.calls.lock().unwrap().push((what, std::thread::current().id()));
        // Long enough for another dispatching thread to try to start a callback meanwhile.
        std::thread::yield_now();
        self.busy.store(false, Ordering::SeqCst);
    }

    fn names(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|(w, _)| w.clone()).collect()
    }

    fn has(&self, what: &str) -> bool {
        self.calls.lock().unwrap().iter().any(|(w, _)| w == what)
    }

    fn has_prefix(&self, prefix: &str) -> bool {
        self.count(prefix) > 0
    }

    fn count(&self, prefix: &str) -> usize {
        self.calls.lock().unwrap().iter().filter(|(w, _)| w.starts_with(prefix)).count()
    }

    fn code(&self, what: &'static str, r: sio_result) {
        self.codes.lock().unwrap().push((what, r));
    }

    fn ud(self: &Arc<Self>) -> *mut c_void {
        Arc::as_ptr(self) as *mut c_void
    }

    /// Registers every handler on `socket` (user data finalized into `finalized`).
    fn attach(self: &Arc<Self>, socket: *mut sio_socket) {
        let ud = || Arc::into_raw(self.clone()) as *mut c_void;
        unsafe {
            assert_eq!(sio_on_unhandled(socket, Some(on_event), ud(), Some(release)), SIO_OK);
            assert_eq!(sio_on_connect(socket, Some(on_connect), ud(), Some(release)), SIO_OK);
            assert_eq!(sio_on_disconnect(socket, Some(on_disconnect), ud(), Some(release)), SIO_OK);
            assert_eq!(sio_on_connect_error(socket, Some(on_connect_error), ud(), Some(release)), SIO_OK);
        }
    }
}

unsafe fn host<'a>(ud: *mut c_void) -> &'a Host {
    unsafe { &*(ud as *const Host) }
}

unsafe extern "C" fn release(ud: *mut c_void) {
    let h = unsafe { Arc::from_raw(ud as *const Host) };
    h.finalized.fetch_add(1, Ordering::SeqCst);
}

fn ns(socket: *mut sio_socket) -> String {
    text(unsafe { sio_socket_namespace(socket) })
}

unsafe extern "C" fn on_event(ud: *mut c_void, ev: *const sio_event) {
    let h = unsafe { host(ud) };
    let name = text(unsafe { sio_event_name(ev) });
    let s = unsafe { sio_event_socket(ev) };
    h.record(format!("event:{name}:{}", text(unsafe { sio_event_args(ev) })));
    let c = h.client.load(Ordering::SeqCst);
    match name.as_str() {
        "question" => unsafe {
            // Calls that would block or recurse refuse; the others work.
            h.code("sio_dispatch", sio_dispatch(c, 0, null_mut()));
            h.code("sio_dispatch_wait", sio_dispatch_wait(c, 10));
            h.code("sio_wait", sio_wait(c, 10));
            let mut reply = null_mut();
            h.code("sio_call", sio_call(s, cs("ack").as_ptr(), null(), null(), 0, 1000, &mut reply));
            h.code("sio_client_fd", if sio_client_fd(c) >= 0 { SIO_OK } else { SIO_ERR_INVALID });
            h.code("sio_emit", sio_emit(s, cs("from_callback").as_ptr(), cs("[1]").as_ptr(), null(), 0));
            h.code("sio_ack_send", sio_ack_send(sio_event_take_ack(ev), cs(r#"["a"]"#).as_ptr(), null(), 0));
            h.code("sio_socket_disconnect", sio_socket_disconnect(s));
        },
        "stop" => {
            let c = h.client.swap(null_mut(), Ordering::SeqCst);
            unsafe { sio_client_free(c) };
            h.freed.store(true, Ordering::SeqCst);
        }
        "tick" if h.slow.load(Ordering::SeqCst) => {
            h.sleeping.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(2));
            h.sleeping.store(false, Ordering::SeqCst);
        }
        "emit_n_done" => {
            h.code("sio_client_close", unsafe { sio_client_close(c) });
        }
        _ => {}
    }
}

unsafe extern "C" fn on_connect(ud: *mut c_void, socket: *mut sio_socket, _sid: *const c_char) {
    let h = unsafe { host(ud) };
    h.record(format!("connect:{}", ns(socket)));
}

unsafe extern "C" fn on_disconnect(ud: *mut c_void, socket: *mut sio_socket, reason: *const c_char) {
    let h = unsafe { host(ud) };
    h.record(format!("disconnect:{}:{}", ns(socket), text(reason)));
}

unsafe extern "C" fn on_connect_error(
    ud: *mut c_void,
    socket: *mut sio_socket,
    message: *const c_char,
    _data: *const c_char,
) {
    let h = unsafe { host(ud) };
    h.record(format!("connect_error:{}:{}", ns(socket), text(message)));
}

unsafe extern "C" fn on_reconnect(
    ud: *mut c_void,
    event: sio_reconnect_event,
    attempt: u32,
    _e: *const c_char,
) {
    let h = unsafe { host(ud) };
    h.record(format!("reconnect:{event:?}:{attempt}"));
}

unsafe extern "C" fn on_ack(ud: *mut c_void, status: sio_result, reply: *const sio_event) {
    let h = unsafe { host(ud) };
    let args = if reply.is_null() { "-".to_owned() } else { text(unsafe { sio_event_args(reply) }) };
    h.record(format!("ack:{status:?}:{args}"));
    if status == SIO_OK {
        // The server drops the transport: disconnect, then reconnection, all dispatched here too.
        h.code("sio_emit", emit(unsafe { sio_event_socket(reply) }, "close", "[]"));
    }
}

fn manual_client(url: &str) -> Client {
    client_with(url, sio_dispatch_mode::SIO_DISPATCH_MANUAL)
}

fn client_with(url: &str, mode: sio_dispatch_mode) -> Client {
    configured_client(url, |opts| unsafe {
        assert_eq!(sio_options_set_dispatch(opts, mode as c_int), SIO_OK);
        assert_eq!(sio_options_set_reconnection_delay(opts, 50, 100), SIO_OK);
    })
}

/// A client (dispatch `mode`, joined to `/` with `h`'s handlers) that its `stop` handler frees,
/// with an emit whose ack never comes (the free completes it, once); the server has been asked
/// for `stop` and then twenty ticks.
fn freed_by_its_stop_handler(server: &TestServer, mode: sio_dispatch_mode, h: &Arc<Host>) -> *mut sio_client {
    let c = client_with(&server.url(), mode);
    let s = join(&c, h);
    let ptr = c.ptr;
    std::mem::forget(c); // freed by the `stop` handler
    h.client.store(ptr, Ordering::SeqCst);
    let r = unsafe {
        sio_emit_with_ack(s, cs("unanswered").as_ptr(), null(), null(), 0, -1, Some(count_ack), h.ud())
    };
    assert_eq!(r, SIO_OK);
    emit(s, "broadcast", r#"["stop"]"#);
    emit(s, "emit_n", r#"[20, "tick"]"#);
    ptr
}

/// `h` records `c`'s reconnections and the callbacks of `/` (given to `configure` before it
/// connects) and of `/admin` (refused: no auth), both joined; then `/` emits `echo` `[1]` with
/// an ack to `h`. Returns `/`.
fn join_root_and_admin_then_echo(
    c: &Client,
    h: &Arc<Host>,
    configure: impl FnOnce(*mut sio_socket),
) -> *mut sio_socket {
    h.client.store(c.ptr, Ordering::SeqCst);
    unsafe { sio_on_reconnect(c.ptr, Some(on_reconnect), h.ud(), None) };
    let s = c.of(None, None);
    h.attach(s);
    configure(s);
    let admin = c.of(Some("/admin"), None);
    h.attach(admin);
    unsafe {
        sio_socket_connect(s);
        sio_socket_connect(admin);
        let r = sio_emit_with_ack(
            s,
            cs("echo").as_ptr(),
            cs("[1]").as_ptr(),
            null(),
            0,
            -1,
            Some(on_ack),
            h.ud(),
        );
        assert_eq!(r, SIO_OK);
    }
    s
}

/// `sio_of(c, "/")` with `h`'s handlers, connected.
fn join(c: &Client, h: &Arc<Host>) -> *mut sio_socket {
    let s = c.of(None, None);
    h.attach(s);
    assert_eq!(unsafe { sio_socket_connect(s) }, SIO_OK);
    s
}

/// Whether `fd` becomes readable within `timeout_ms`.
fn readable(fd: c_int, timeout_ms: c_int) -> bool {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    assert!(n >= 0, "poll: {}", std::io::Error::last_os_error());
    n == 1 && p.revents & libc::POLLIN != 0
}

/// Runs callbacks with `sio_dispatch_wait` on this thread until `done`, failing after `T`.
fn pull_until(c: &Client, h: &Host, what: &str, done: impl Fn(&Host) -> bool) {
    let deadline = Instant::now() + T;
    while !done(h) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}; calls: {:#?}", h.names());
        let r = unsafe { sio_dispatch_wait(c.ptr, 100) };
        assert!(r == SIO_OK || r == SIO_ERR_TIMEOUT, "sio_dispatch_wait: {r:?} {}", last_error());
    }
}

#[test]
fn every_callback_runs_on_the_host_thread() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = manual_client(&server.url());
    join_root_and_admin_then_echo(&c, &h, |_| {});
    // Nothing runs until this thread dispatches: the I/O thread only queues.
    server.expect(T, |r| r["type"] == "event" && r["event"] == "echo");
    assert!(h.names().is_empty(), "callbacks ran without a dispatch: {:?}", h.names());

    // The ack asks the server to drop the transport; the second connect ends the session.
    pull_until(&c, &h, "the reconnection", |h| h.count("connect:/") == 2);
    assert_eq!(unsafe { sio_client_close(c.ptr) }, SIO_OK);
    assert_eq!(c.wait(10_000), SIO_OK, "{}", last_error());

    let names = h.names();
    for expected in [
        "connect:/",
        "connect_error:/admin:not authorized",
        "event:welcome",
        "event:echo:[1]",
        "ack:SIO_OK:[1]",
        "disconnect:/:transport close",
        "reconnect:SIO_RECONNECT_ATTEMPT:1",
        "reconnect:SIO_RECONNECT_SUCCESS:1",
        "disconnect:/:io client disconnect",
    ] {
        assert!(names.iter().any(|n| n.starts_with(expected)), "no {expected} in {names:#?}");
    }
    let me = std::thread::current().id();
    assert!(h.calls.lock().unwrap().iter().all(|(_, t)| *t == me), "a callback ran on another thread");
    assert_eq!(h.overlaps.load(Ordering::SeqCst), 0);
}

#[test]
fn the_fd_is_readable_exactly_while_callbacks_are_pending() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = manual_client(&server.url());
    let fd = unsafe { sio_client_fd(c.ptr) };
    assert!(fd >= 0, "{}", last_error());
    assert_eq!(unsafe { sio_client_fd(c.ptr) }, fd, "the same descriptor every time");
    assert!(!readable(fd, 0));
    let mut ran = 99;
    assert_eq!(unsafe { sio_dispatch(c.ptr, 0, &mut ran) }, SIO_OK);
    assert_eq!(ran, 0);

    let s = c.of(None, None);
    h.attach(s);
    unsafe { sio_socket_connect(s) };
    assert!(readable(fd, 10_000), "connect never became pending");
    assert!(readable(fd, 0), "level-triggered: still readable until dispatched");
    assert!(h.names().is_empty());
    // Connect, then the server's welcome; the server then says nothing until asked.
    let deadline = Instant::now() + T;
    while !h.has_prefix("event:welcome") {
        assert!(Instant::now() < deadline && readable(fd, 10_000), "calls: {:?}", h.names());
        assert_eq!(unsafe { sio_dispatch(c.ptr, 0, &mut ran) }, SIO_OK);
        assert!(ran >= 1, "readable, but nothing was pending");
    }
    assert!(!readable(fd, 0), "still readable after draining");
    assert_eq!(unsafe { sio_dispatch(c.ptr, 0, &mut ran) }, SIO_OK);
    assert_eq!(ran, 0);

    // Four events: `max` 1 runs exactly one whenever the descriptor says some are pending.
    emit(s, "emit_n", r#"[3, "tick"]"#);
    let mut total = 0;
    while total < 4 {
        assert!(readable(fd, 10_000), "events never came: {:?}", h.names());
        assert_eq!(unsafe { sio_dispatch(c.ptr, 1, &mut ran) }, SIO_OK);
        assert_eq!(ran, 1);
        total += ran;
    }
    assert!(!readable(fd, 0));
    assert_eq!(h.count("event:tick"), 3);
    assert!(h.has_prefix("event:emit_n_done"));

    // A NULL `ran` is allowed; closing is dispatched by sio_wait on this thread.
    assert_eq!(unsafe { sio_client_close(c.ptr) }, SIO_OK);
    assert!(readable(fd, 10_000));
    assert_eq!(c.wait(10_000), SIO_OK);
    assert!(h.has("disconnect:/:io client disconnect"));
    assert_eq!(unsafe { sio_dispatch(c.ptr, 0, null_mut()) }, SIO_OK);
    assert!(!readable(fd, 0));
}

#[test]
fn dispatch_wait_times_out_or_runs_the_next_callback() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = manual_client(&server.url());
    let started = Instant::now();
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, 200) }, SIO_ERR_TIMEOUT);
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    assert!(last_error().contains("no callback"), "{}", last_error());
    let started = Instant::now();
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, 0) }, SIO_ERR_TIMEOUT);
    assert!(started.elapsed() < Duration::from_secs(1));

    let s = c.of(None, None);
    h.attach(s);
    unsafe { sio_socket_connect(s) };
    // One callback per call: connect first, then the welcome.
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, 10_000) }, SIO_OK, "{}", last_error());
    assert_eq!(h.names(), vec!["connect:/".to_owned()]);
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, -1) }, SIO_OK);
    assert_eq!(h.names().len(), 2);
    assert!(h.names()[1].starts_with("event:welcome"), "{:?}", h.names());
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, 100) }, SIO_ERR_TIMEOUT);
}

#[test]
fn callbacks_dispatched_by_the_host_may_call_the_api_but_not_block() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = manual_client(&server.url());
    h.client.store(c.ptr, Ordering::SeqCst);
    let s = join(&c, &h);
    // The server asks a question with an ack; the handler answers and leaves. sio_wait alone
    // runs the whole session on this thread.
    emit(s, "ask", r#"["q"]"#);
    assert_eq!(c.wait(10_000), SIO_OK, "{}", last_error());
    assert_eq!(
        *h.codes.lock().unwrap(),
        vec![
            ("sio_dispatch", SIO_ERR_IN_CALLBACK),
            ("sio_dispatch_wait", SIO_ERR_IN_CALLBACK),
            ("sio_wait", SIO_ERR_IN_CALLBACK),
            ("sio_call", SIO_ERR_IN_CALLBACK),
            ("sio_client_fd", SIO_OK),
            ("sio_emit", SIO_OK),
            ("sio_ack_send", SIO_OK),
            ("sio_socket_disconnect", SIO_OK),
        ]
    );
    server.expect(T, |r| r["type"] == "ask_reply" && r["args"] == serde_json::json!(["a"]));
    server.expect(T, |r| r["type"] == "event" && r["event"] == "from_callback");
    assert!(h.has("disconnect:/:io client disconnect"), "{:?}", h.names());
    let me = std::thread::current().id();
    assert!(h.calls.lock().unwrap().iter().all(|(_, t)| *t == me));
}

unsafe extern "C" fn count_ack(ud: *mut c_void, status: sio_result, reply: *const sio_event) {
    let h = unsafe { host(ud) };
    h.code(if reply.is_null() { "ack" } else { "ack with a reply" }, status);
}

#[test]
fn freeing_the_client_from_a_callback_the_host_dispatches() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let ptr = freed_by_its_stop_handler(&server, sio_dispatch_mode::SIO_DISPATCH_MANUAL, &h);
    // All queued before the host dispatches anything.
    server.expect(T, |r| r["type"] == "event" && r["event"] == "emit_n");
    let fd = unsafe { sio_client_fd(ptr) };
    let deadline = Instant::now() + T;
    while !h.freed.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline && readable(fd, 10_000), "stop never came: {:?}", h.names());
        let mut ran = 0;
        assert_eq!(unsafe { sio_dispatch(ptr, 0, &mut ran) }, SIO_OK);
    }
    assert_eq!(h.after_free.load(Ordering::SeqCst), 0, "callbacks ran after the free: {:?}", h.names());
    assert_eq!(*h.codes.lock().unwrap(), vec![("ack", SIO_ERR_CLOSED)]);
    assert_eq!(h.finalized.load(Ordering::SeqCst), 4, "every handler's user data, once");
    server.expect(T, |r| r["type"] == "disconnect");
}

#[test]
fn host_threads_dispatching_at_once_run_callbacks_one_at_a_time_in_order() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = Arc::new(manual_client(&server.url()));
    h.client.store(c.ptr, Ordering::SeqCst);
    let s = join(&c, &h);
    // The last event closes the client from its callback; a third thread waits for that.
    emit(s, "emit_n", r#"[300, "tick"]"#);
    let done = Arc::new(AtomicBool::new(false));
    let dispatchers: Vec<_> = (0..2)
        .map(|i| {
            let (c, done) = (c.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    let r = if i == 0 {
                        unsafe { sio_dispatch_wait(c.ptr, 20) }
                    } else {
                        unsafe { sio_dispatch(c.ptr, 3, null_mut()) }
                    };
                    assert!(r == SIO_OK || r == SIO_ERR_TIMEOUT, "{r:?}");
                }
            })
        })
        .collect();
    let waiter = {
        let c = c.clone();
        std::thread::spawn(move || c.wait(30_000))
    };
    assert_eq!(waiter.join().unwrap(), SIO_OK);
    done.store(true, Ordering::SeqCst);
    for d in dispatchers {
        d.join().unwrap();
    }
    assert_eq!(h.overlaps.load(Ordering::SeqCst), 0, "two callbacks ran at once");
    let ticks: Vec<String> = h.names().into_iter().filter(|n| n.starts_with("event:tick")).collect();
    let expected: Vec<String> = (0..300).map(|i| format!("event:tick:[{{\"i\":{i}}}]")).collect();
    assert_eq!(ticks, expected, "events out of order or missing");
    assert!(h.has("disconnect:/:io client disconnect"));
}

#[test]
fn dispatch_calls_refuse_a_client_with_a_dispatch_thread() {
    let c = Client::connect("http://127.0.0.1:1");
    assert_eq!(unsafe { sio_client_fd(c.ptr) }, -1);
    assert!(last_error().contains("no manual dispatch"), "{}", last_error());
    assert_eq!(unsafe { sio_dispatch(c.ptr, 0, null_mut()) }, SIO_ERR_INVALID);
    assert_eq!(unsafe { sio_dispatch_wait(c.ptr, 10) }, SIO_ERR_INVALID);
    assert_eq!(unsafe { sio_client_fd(null()) }, -1);
    assert_eq!(unsafe { sio_dispatch(null(), 0, null_mut()) }, SIO_ERR_NULL);
    assert_eq!(unsafe { sio_dispatch_wait(null(), 10) }, SIO_ERR_NULL);
    let opts = sio_options_new();
    assert_eq!(unsafe { sio_options_set_dispatch(opts, 3) }, SIO_ERR_INVALID);
    assert_eq!(unsafe { sio_options_set_dispatch(opts, -1) }, SIO_ERR_INVALID);
    assert_eq!(unsafe { sio_options_set_dispatch(null_mut(), 1) }, SIO_ERR_NULL);
    unsafe { sio_options_free(opts) };
}

/// Two manually dispatched clients, one dispatched from inside the other's callback.
#[derive(Default)]
struct Pair {
    a: AtomicPtr<sio_client>,
    b: AtomicPtr<sio_client>,
    b_ran: AtomicBool,
    codes: Mutex<Vec<(&'static str, sio_result)>>,
}

/// A's welcome: runs B's callbacks from inside this one, until B's welcome ran.
unsafe extern "C" fn a_welcome(ud: *mut c_void, _ev: *const sio_event) {
    let p = unsafe { &*(ud as *const Pair) };
    let deadline = Instant::now() + T;
    while !p.b_ran.load(Ordering::SeqCst) && Instant::now() < deadline {
        unsafe { sio_dispatch_wait(p.b.load(Ordering::SeqCst), 100) };
    }
}

/// B's welcome, nested in A's: the calls that would wait for A (whose callback is running
/// further up this thread's stack) refuse instead of deadlocking.
unsafe extern "C" fn b_welcome(ud: *mut c_void, _ev: *const sio_event) {
    let p = unsafe { &*(ud as *const Pair) };
    let (a, b) = (p.a.load(Ordering::SeqCst), p.b.load(Ordering::SeqCst));
    let mut codes = p.codes.lock().unwrap();
    codes.push(("sio_wait(a)", unsafe { sio_wait(a, 2000) }));
    codes.push(("sio_dispatch_wait(a)", unsafe { sio_dispatch_wait(a, 2000) }));
    codes.push(("sio_dispatch_wait(b)", unsafe { sio_dispatch_wait(b, 0) }));
    p.b_ran.store(true, Ordering::SeqCst);
}

#[test]
fn nested_dispatch_of_two_clients_refuses_calls_that_would_deadlock() {
    let server = TestServer::start(&[]);
    let p = Arc::new(Pair::default());
    let ud = Arc::as_ptr(&p) as *mut c_void;
    let (a, b) = (manual_client(&server.url()), manual_client(&server.url()));
    p.a.store(a.ptr, Ordering::SeqCst);
    p.b.store(b.ptr, Ordering::SeqCst);
    let handlers: [(&Client, unsafe extern "C" fn(*mut c_void, *const sio_event)); 2] =
        [(&a, a_welcome), (&b, b_welcome)];
    for (c, handler) in handlers {
        let s = c.of(None, None);
        unsafe {
            sio_on(s, cs("welcome").as_ptr(), Some(handler), ud, None);
            sio_socket_connect(s);
        }
    }
    let deadline = Instant::now() + T;
    while !p.b_ran.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "B's welcome never ran");
        unsafe { sio_dispatch_wait(a.ptr, 100) };
    }
    assert_eq!(
        *p.codes.lock().unwrap(),
        vec![
            ("sio_wait(a)", SIO_ERR_IN_CALLBACK),
            ("sio_dispatch_wait(a)", SIO_ERR_IN_CALLBACK),
            ("sio_dispatch_wait(b)", SIO_ERR_IN_CALLBACK),
        ]
    );
}

unsafe extern "C" fn any_ack(ud: *mut c_void, status: sio_result, _reply: *const sio_event) {
    let h = unsafe { host(ud) };
    h.code("ack", status);
}

#[test]
fn freeing_with_callbacks_pending_runs_none_but_completes_acks_once() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = manual_client(&server.url());
    let s = join(&c, &h);
    unsafe {
        // Answered by the server (the reply waits in the queue) and never answered.
        let r = sio_emit_with_ack(
            s,
            cs("echo").as_ptr(),
            cs("[1]").as_ptr(),
            null(),
            0,
            -1,
            Some(any_ack),
            h.ud(),
        );
        assert_eq!(r, SIO_OK);
        let r = sio_emit_with_ack(s, cs("unanswered").as_ptr(), null(), null(), 0, -1, Some(any_ack), h.ud());
        assert_eq!(r, SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["event"] == "unanswered");
    let fd = unsafe { sio_client_fd(c.ptr) };
    assert!(readable(fd, 10_000));
    c.free();
    // Nothing was dispatched: no connect, no event ran; each ack callback ran once, in the free
    // (the echo's with its reply if it had arrived, else closed).
    assert!(h.names().is_empty(), "{:?}", h.names());
    let mut codes = h.codes.lock().unwrap().clone();
    codes.sort_by_key(|(_, r)| *r as i32);
    assert!(
        codes == vec![("ack", SIO_ERR_CLOSED), ("ack", SIO_ERR_CLOSED)]
            || codes == vec![("ack", SIO_OK), ("ack", SIO_ERR_CLOSED)],
        "{codes:?}"
    );
    assert_eq!(h.finalized.load(Ordering::SeqCst), 4);
}

fn inline_client(url: &str) -> Client {
    client_with(url, sio_dispatch_mode::SIO_DISPATCH_INLINE)
}

/// The one thread every callback ran on: not `caller`'s, and the client's I/O thread.
fn only_thread(h: &Host, caller: ThreadId) -> ThreadId {
    let calls = h.calls.lock().unwrap();
    let first = calls.first().expect("no callback ran").1;
    assert_ne!(first, caller, "a callback ran on the caller's thread");
    assert!(calls.iter().all(|(_, t)| *t == first), "callbacks ran on several threads");
    first
}

unsafe extern "C" fn note_thread(ud: *mut c_void, _ev: *const sio_event) {
    let names = unsafe { &*(ud as *const Mutex<Vec<String>>) };
    names.lock().unwrap().push(std::thread::current().name().unwrap_or("?").to_owned());
}

#[test]
fn inline_callbacks_run_one_at_a_time_on_the_io_thread() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = inline_client(&server.url());
    let thread_names = Arc::new(Mutex::new(Vec::<String>::new()));
    let names_ud = Arc::as_ptr(&thread_names) as *mut c_void;
    // The ack callback asks the server to drop the transport: a reconnection follows.
    let s = join_root_and_admin_then_echo(&c, &h, |s| unsafe {
        sio_on(s, cs("welcome").as_ptr(), Some(note_thread), names_ud, None);
    });
    let deadline = Instant::now() + T;
    while h.count("connect:/") < 2 {
        assert!(Instant::now() < deadline, "no reconnection: {:#?}", h.names());
        std::thread::sleep(Duration::from_millis(10));
    }
    // The server's question: the handler calls the API from the I/O thread.
    emit(s, "ask", r#"["q"]"#);
    server.expect(T, |r| r["type"] == "ask_reply" && r["args"] == serde_json::json!(["a"]));
    server.expect(T, |r| r["type"] == "event" && r["event"] == "from_callback");
    assert_eq!(c.wait(10_000), SIO_OK, "{}", last_error());

    let names = h.names();
    for expected in [
        "connect:/",
        "connect_error:/admin:not authorized",
        "event:echo:[1]",
        "ack:SIO_OK:[1]",
        "disconnect:/:transport close",
        "reconnect:SIO_RECONNECT_ATTEMPT:1",
        "reconnect:SIO_RECONNECT_SUCCESS:1",
        "event:question",
        "disconnect:/:io client disconnect",
    ] {
        assert!(names.iter().any(|n| n.starts_with(expected)), "no {expected} in {names:#?}");
    }
    only_thread(&h, std::thread::current().id());
    let thread_names = thread_names.lock().unwrap().clone();
    assert_eq!(thread_names, vec!["sio-io".to_owned(); 2], "the welcome handler ran off the I/O thread");
    assert_eq!(h.overlaps.load(Ordering::SeqCst), 0);
    // As on a dispatch thread: what would block refuses, the rest works.
    assert_eq!(
        *h.codes.lock().unwrap(),
        vec![
            ("sio_emit", SIO_OK), // the ack callback's
            ("sio_dispatch", SIO_ERR_INVALID),
            ("sio_dispatch_wait", SIO_ERR_INVALID),
            ("sio_wait", SIO_ERR_IN_CALLBACK),
            ("sio_call", SIO_ERR_IN_CALLBACK),
            ("sio_client_fd", SIO_ERR_INVALID),
            ("sio_emit", SIO_OK),
            ("sio_ack_send", SIO_OK),
            ("sio_socket_disconnect", SIO_OK),
        ]
    );
}

/// Emits `ping` with an ack whose callback emits the next one, `n` round trips in all.
struct PingPong {
    socket: AtomicPtr<sio_socket>,
    left: AtomicUsize,
    threads: Mutex<Vec<ThreadId>>,
    /// Replies that were not `[7]` with SIO_OK.
    wrong: AtomicUsize,
    done: (Mutex<bool>, std::sync::Condvar),
}

unsafe extern "C" fn pong(ud: *mut c_void, status: sio_result, reply: *const sio_event) {
    let p = unsafe { &*(ud as *const PingPong) };
    p.threads.lock().unwrap().push(std::thread::current().id());
    if status != SIO_OK || text(unsafe { sio_event_args(reply) }) != "[7]" {
        p.wrong.fetch_add(1, Ordering::SeqCst);
    }
    if p.left.fetch_sub(1, Ordering::SeqCst) > 1 {
        unsafe { ping(p) };
    } else {
        *p.done.0.lock().unwrap() = true;
        p.done.1.notify_all();
    }
}

unsafe fn ping(p: &PingPong) {
    let s = p.socket.load(Ordering::SeqCst);
    let ud = p as *const PingPong as *mut c_void;
    let r = unsafe {
        sio_emit_with_ack(s, cs("ack").as_ptr(), cs("[7]").as_ptr(), null(), 0, 5000, Some(pong), ud)
    };
    if r != SIO_OK {
        p.wrong.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn inline_ack_round_trips_chain_from_the_ack_callbacks() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    let c = inline_client(&server.url());
    let s = join(&c, &h);
    let p = PingPong {
        socket: AtomicPtr::new(s),
        left: AtomicUsize::new(200),
        threads: Mutex::new(Vec::new()),
        wrong: AtomicUsize::new(0),
        done: (Mutex::new(false), std::sync::Condvar::new()),
    };
    unsafe { ping(&p) };
    let (done, _) = p.done.1.wait_timeout_while(p.done.0.lock().unwrap(), T, |d| !*d).unwrap();
    assert!(*done, "{} round trips left", p.left.load(Ordering::SeqCst));
    let threads = p.threads.lock().unwrap();
    assert_eq!(threads.len(), 200);
    assert_eq!(p.wrong.load(Ordering::SeqCst), 0);
    let io = only_thread(&h, std::thread::current().id());
    assert!(threads.iter().all(|t| *t == io), "ack callbacks and events ran on different threads");
    assert_eq!(server.records().iter().filter(|r| r["type"] == "event" && r["event"] == "ack").count(), 200);
}

#[test]
fn freeing_the_client_from_an_inline_callback() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    freed_by_its_stop_handler(&server, sio_dispatch_mode::SIO_DISPATCH_INLINE, &h);
    // The twenty ticks after `stop` must not run.
    let deadline = Instant::now() + T;
    while !h.freed.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "stop never came: {:?}", h.names());
        std::thread::sleep(Duration::from_millis(5));
    }
    // The ack callback ran inside the free; the handlers' user data were finalized by then.
    assert_eq!(*h.codes.lock().unwrap(), vec![("ack", SIO_ERR_CLOSED)]);
    server.expect(T, |r| r["type"] == "disconnect");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(h.after_free.load(Ordering::SeqCst), 0, "callbacks ran after the free: {:?}", h.names());
    assert_eq!(h.count("event:tick"), 0, "{:?}", h.names());
    assert_eq!(h.finalized.load(Ordering::SeqCst), 4, "every handler's user data, once");
    assert_eq!(h.codes.lock().unwrap().len(), 1, "an ack callback ran twice");
}

#[test]
fn freeing_an_inline_client_from_another_thread_waits_for_the_running_callback() {
    let server = TestServer::start(&[]);
    let h = Arc::new(Host::default());
    h.slow.store(true, Ordering::SeqCst);
    let c = inline_client(&server.url());
    let s = join(&c, &h);
    unsafe {
        let r =
            sio_emit_with_ack(s, cs("unanswered").as_ptr(), null(), null(), 0, -1, Some(count_ack), h.ud());
        assert_eq!(r, SIO_OK);
    }
    emit(s, "emit_n", r#"[1000, "tick"]"#);
    let deadline = Instant::now() + T;
    while h.count("event:tick") < 20 {
        assert!(Instant::now() < deadline, "ticks never came: {:?}", h.names());
        std::thread::sleep(Duration::from_millis(1));
    }
    c.free();
    assert!(!h.sleeping.load(Ordering::SeqCst), "the free returned while a callback ran");
    h.freed.store(true, Ordering::SeqCst);
    let ran = h.count("event:tick");
    assert!(ran < 1000, "the free waited for every event");
    assert_eq!(*h.codes.lock().unwrap(), vec![("ack", SIO_ERR_CLOSED)]);
    assert_eq!(h.finalized.load(Ordering::SeqCst), 4);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(h.after_free.load(Ordering::SeqCst), 0);
    assert_eq!(h.count("event:tick"), ran);
    assert_eq!(h.overlaps.load(Ordering::SeqCst), 0);
    only_thread(&h, std::thread::current().id());
}
