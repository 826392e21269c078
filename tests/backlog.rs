//! The bound on callbacks waiting to run (`sio_options_set_max_pending`) through the C ABI,
//! against the real server: a host that does not run its callbacks holds at most that many, the
//! client reads on when they have run, and nothing is lost or reordered, in every dispatch mode
//! and over both transports.

mod common;

use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::capi::*;
use common::TestServer;
use sio::ffi::*;
use sio_result::*;

/// What the callbacks saw: the numbers of the `n` events, in order, and whether `/` connected.
#[derive(Default)]
struct Host {
    numbers: Mutex<Vec<i64>>,
    connected: AtomicBool,
    /// Each event callback sleeps this long (µs), to fall behind the server.
    slow_us: AtomicU64,
}

unsafe extern "C" fn on_n(ud: *mut c_void, ev: *const sio_event) {
    let host = unsafe { &*(ud as *const Host) };
    let args = json(&text(unsafe { sio_event_args(ev) }));
    host.numbers.lock().unwrap().push(args[0]["i"].as_i64().unwrap());
    std::thread::sleep(Duration::from_micros(host.slow_us.load(Ordering::SeqCst)));
}

unsafe extern "C" fn on_connect(ud: *mut c_void, _socket: *mut sio_socket, _sid: *const c_char) {
    unsafe { &*(ud as *const Host) }.connected.store(true, Ordering::SeqCst);
}

/// A client of `server` with `max_pending`, the transport and dispatch mode given, whose `/`
/// records `n` events in `host` (which must outlive it); returns once `/` is connected.
fn client(
    server: &TestServer,
    max_pending: usize,
    transport: sio_transport,
    dispatch: sio_dispatch_mode,
    host: &Host,
) -> (Client, *mut sio_socket) {
    let c = configured_client(&server.url(), |opts| unsafe {
        assert_eq!(sio_options_set_max_pending(opts, max_pending), SIO_OK);
        assert_eq!(sio_options_set_transport(opts, transport as _), SIO_OK);
        assert_eq!(sio_options_set_dispatch(opts, dispatch as _), SIO_OK);
    });
    let s = c.of(Some("/"), None);
    let ud = host as *const Host as *mut c_void;
    unsafe {
        assert_eq!(sio_on(s, cs("n").as_ptr(), Some(on_n), ud, None), SIO_OK);
        assert_eq!(sio_on_connect(s, Some(on_connect), ud, None), SIO_OK);
        assert_eq!(sio_socket_connect(s), SIO_OK);
    }
    let deadline = Instant::now() + T;
    while !host.connected.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "never connected");
        if dispatch == sio_dispatch_mode::SIO_DISPATCH_MANUAL {
            let r = unsafe { sio_dispatch_wait(c.ptr, 100) };
            assert!(matches!(r, SIO_OK | SIO_ERR_TIMEOUT), "{r:?}: {}", last_error());
        } else {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    (c, s)
}

/// Waits until `host` saw `n` events (running the callbacks when `manual`); they must be
/// 0..n in order.
fn expect_all(c: &Client, host: &Host, n: i64, manual: bool) {
    let deadline = Instant::now() + T;
    while host.numbers.lock().unwrap().len() < n as usize {
        assert!(Instant::now() < deadline, "{} of {n} events came", host.numbers.lock().unwrap().len());
        if manual {
            assert_eq!(unsafe { sio_dispatch(c.ptr, 0, null_mut()) }, SIO_OK, "{}", last_error());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(*host.numbers.lock().unwrap(), (0..n).collect::<Vec<_>>(), "lost, duplicated or reordered");
}

/// Manual dispatch: the server sends 500 events while the host runs no callback for 300 ms;
/// returns how many were then waiting (the first `sio_dispatch` runs them all), after checking
/// that all 500 arrive in order as the host dispatches on.
fn waiting_after_a_pause(max_pending: usize, transport: sio_transport) -> usize {
    let server = TestServer::start(&[]);
    let host = Host::default();
    let (c, s) = client(&server, max_pending, transport, sio_dispatch_mode::SIO_DISPATCH_MANUAL, &host);
    assert_eq!(emit(s, "emit_n", r#"[500,"n"]"#), SIO_OK);
    std::thread::sleep(Duration::from_millis(300));
    let mut ran = 0usize;
    assert_eq!(unsafe { sio_dispatch(c.ptr, 0, &mut ran) }, SIO_OK, "{}", last_error());
    expect_all(&c, &host, 500, true);
    ran
}

#[test]
fn a_host_that_runs_no_callbacks_holds_at_most_max_pending_over_websocket() {
    let ran = waiting_after_a_pause(20, sio_transport::SIO_TRANSPORT_WEBSOCKET);
    assert!((1..=20).contains(&ran), "{ran} callbacks were waiting with max_pending 20");
    // Without a limit, everything the server sent was waiting.
    let ran = waiting_after_a_pause(0, sio_transport::SIO_TRANSPORT_WEBSOCKET);
    assert!(ran >= 500, "{ran} callbacks waiting without a limit");
}

#[test]
fn a_host_that_runs_no_callbacks_holds_at_most_max_pending_over_polling() {
    let ran = waiting_after_a_pause(20, sio_transport::SIO_TRANSPORT_POLLING);
    assert!((1..=20).contains(&ran), "{ran} callbacks were waiting with max_pending 20");
}

/// The server sends `count` events at once to a WebSocket client with `max_pending` whose
/// callbacks take `slow_us` each: every one must come, in order.
fn everything_in_order(max_pending: usize, dispatch: sio_dispatch_mode, slow_us: u64, count: i64) {
    let server = TestServer::start(&[]);
    let host = Host { slow_us: AtomicU64::new(slow_us), ..Host::default() };
    let (c, s) = client(&server, max_pending, sio_transport::SIO_TRANSPORT_WEBSOCKET, dispatch, &host);
    assert_eq!(emit(s, "emit_n", &format!(r#"[{count},"n"]"#)), SIO_OK);
    expect_all(&c, &host, count, false);
}

#[test]
fn slow_callbacks_on_the_dispatch_thread_get_everything_in_order() {
    // Each callback takes 1 ms, the server sends 300 at once: the client stops and starts
    // reading again many times over.
    everything_in_order(8, sio_dispatch_mode::SIO_DISPATCH_THREAD, 1000, 300);
}

#[test]
fn inline_dispatch_with_a_small_bound_gets_everything_in_order() {
    // The bound cuts reads short on the I/O thread itself: what it had read already must not
    // wait for more data to come.
    everything_in_order(3, sio_dispatch_mode::SIO_DISPATCH_INLINE, 0, 1000);
}

#[test]
fn the_bound_is_set_through_the_options() {
    assert_eq!(unsafe { sio_options_set_max_pending(null_mut(), 1) }, SIO_ERR_NULL);
}
