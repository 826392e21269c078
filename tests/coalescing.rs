//! Read coalescing through the C ABI (`sio_options_set_read_coalescing`), against the real
//! server: a stream of messages is handed over in a few batches, every message arrives in order,
//! and neither replies to the client's own emits nor sparse messages wait for the window.

mod common;

use std::ffi::{c_char, c_void};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::capi::*;
use common::TestServer;
use sio::ffi::*;
use sio_result::*;

/// Every `tick` event the server trickled: its number and how long after the server sent it
/// the callback ran (ms).
#[derive(Default)]
struct Ticks {
    got: Mutex<Vec<(i64, f64)>>,
    connected: AtomicBool,
}

impl Ticks {
    fn numbers(&self) -> Vec<i64> {
        self.got.lock().unwrap().iter().map(|t| t.0).collect()
    }

    fn median_latency_ms(&self) -> f64 {
        median(self.got.lock().unwrap().iter().map(|t| t.1).collect())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

unsafe extern "C" fn on_tick(ud: *mut c_void, ev: *const sio_event) {
    let now_us = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as f64;
    let ticks = unsafe { &*(ud as *const Ticks) };
    let args = json(&text(unsafe { sio_event_args(ev) }));
    let (i, sent_us) = (args[0]["i"].as_i64().unwrap(), args[0]["t"].as_f64().unwrap());
    ticks.got.lock().unwrap().push((i, (now_us - sent_us) / 1000.0));
}

unsafe extern "C" fn on_connect(ud: *mut c_void, _socket: *mut sio_socket, _sid: *const c_char) {
    unsafe { &*(ud as *const Ticks) }.connected.store(true, Ordering::SeqCst);
}

/// A WebSocket client with a coalescing window of `window_us` and the given dispatch mode,
/// whose `/` namespace records `tick` events in `ticks` (which must outlive it).
fn client(
    server: &TestServer,
    window_us: u32,
    dispatch: sio_dispatch_mode,
    ticks: &Ticks,
) -> (Client, *mut sio_socket) {
    let c = configured_client(&server.url(), |opts| unsafe {
        assert_eq!(sio_options_set_read_coalescing(opts, window_us), SIO_OK, "{}", last_error());
        assert_eq!(sio_options_set_transport(opts, sio_transport::SIO_TRANSPORT_WEBSOCKET as _), SIO_OK);
        assert_eq!(sio_options_set_dispatch(opts, dispatch as _), SIO_OK);
    });
    let s = c.of(Some("/"), None);
    let ud = ticks as *const Ticks as *mut c_void;
    unsafe {
        assert_eq!(sio_on(s, cs("tick").as_ptr(), Some(on_tick), ud, None), SIO_OK);
        assert_eq!(sio_on_connect(s, Some(on_connect), ud, None), SIO_OK);
        assert_eq!(sio_socket_connect(s), SIO_OK);
    }
    (c, s)
}

/// Waits (running callbacks when `manual`) until `ticks` holds `n` events.
fn wait_ticks(c: &Client, ticks: &Ticks, n: usize, manual: bool) {
    let deadline = Instant::now() + T;
    while ticks.got.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "{} of {n} ticks came", ticks.got.lock().unwrap().len());
        if manual {
            let r = unsafe { sio_dispatch_wait(c.ptr, 100) };
            assert!(matches!(r, SIO_OK | SIO_ERR_TIMEOUT), "{r:?}: {}", last_error());
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn wait_connected(ticks: &Ticks) {
    let deadline = Instant::now() + T;
    while !ticks.connected.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "never connected");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn trickle(s: *mut sio_socket, count: usize, interval_ms: u32) {
    assert_eq!(emit(s, "trickle", &format!("[{count},\"tick\",{interval_ms}]")), SIO_OK);
}

#[test]
fn the_window_is_validated() {
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_read_coalescing(null_mut(), 10), SIO_ERR_NULL);
        assert_eq!(sio_options_set_read_coalescing(opts, 100_001), SIO_ERR_INVALID);
        assert!(last_error().contains("100000"), "{}", last_error());
        assert_eq!(sio_options_set_read_coalescing(opts, 100_000), SIO_OK);
        assert_eq!(sio_options_set_read_coalescing(opts, 0), SIO_OK);
        sio_options_free(opts);
    }
}

/// Counts the batches in which a stream of `count` ticks 1 ms apart reaches a host event loop
/// (manual dispatch: one `sio_dispatch` per wake-up of the descriptor), with a window.
fn batches_for(window_us: u32, count: usize) -> (usize, Vec<i64>) {
    let server = TestServer::start(&[]);
    let ticks = Ticks::default();
    let (c, s) = client(&server, window_us, sio_dispatch_mode::SIO_DISPATCH_MANUAL, &ticks);
    let fd = unsafe { sio_client_fd(c.ptr) };
    assert!(fd >= 0, "{}", last_error());
    let deadline = Instant::now() + T;
    while !ticks.connected.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "never connected");
        let r = unsafe { sio_dispatch_wait(c.ptr, 100) };
        assert!(matches!(r, SIO_OK | SIO_ERR_TIMEOUT), "{r:?}: {}", last_error());
    }
    trickle(s, count, 1);
    let mut batches = 0;
    while ticks.got.lock().unwrap().len() < count {
        assert!(Instant::now() < deadline, "{} of {count} ticks came", ticks.numbers().len());
        let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
        if unsafe { libc::poll(&mut p, 1, 100) } == 1 {
            let before = ticks.got.lock().unwrap().len();
            assert_eq!(unsafe { sio_dispatch(c.ptr, 0, null_mut()) }, SIO_OK, "{}", last_error());
            if ticks.got.lock().unwrap().len() > before {
                batches += 1;
            }
        }
    }
    (batches, ticks.numbers())
}

#[test]
fn a_stream_comes_in_a_few_batches_whole_and_in_order() {
    // 300 ticks 1 ms apart (about 0.3 s or more): with a 50 ms window, a handful of reads;
    // without one, close to a read per tick.
    let (coalesced, numbers) = batches_for(50_000, 300);
    assert_eq!(numbers, (0..300).collect::<Vec<_>>(), "lost, duplicated or reordered");
    let (plain, numbers) = batches_for(0, 300);
    assert_eq!(numbers, (0..300).collect::<Vec<_>>());
    assert!(coalesced <= 30, "{coalesced} batches with a 50 ms window ({plain} without)");
    assert!(plain >= 3 * coalesced, "{plain} batches without a window, {coalesced} with one");
}

#[test]
fn replies_are_not_held_while_a_stream_is() {
    // The largest window, and a stream that keeps it busy; meanwhile sequential calls (emit
    // with ack, reply awaited) must come back without waiting for it.
    let server = TestServer::start(&[]);
    let ticks = Ticks::default();
    let (c, s) = client(&server, 100_000, sio_dispatch_mode::SIO_DISPATCH_THREAD, &ticks);
    wait_connected(&ticks);
    trickle(s, 1000, 1);
    wait_ticks(&c, &ticks, 20, false);
    let mut rtts = Vec::new();
    for i in 0..15 {
        let t0 = Instant::now();
        let mut reply = null_mut();
        let args = cs(&format!("[{i}]"));
        let r = unsafe { sio_call(s, cs("ack").as_ptr(), args.as_ptr(), null(), 0, 5000, &mut reply) };
        assert_eq!(r, SIO_OK, "{}", last_error());
        assert_eq!(json(&text(unsafe { sio_event_args(reply) })), json(&format!("[{i}]")));
        unsafe { sio_event_free(reply) };
        rtts.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    let during = ticks.numbers().len();
    // Held for the window, a reply would take up to 100 ms (50 on average).
    let m = median(rtts.clone());
    assert!(m < 20.0, "median round trip {m:.1} ms during a stream with a 100 ms window: {rtts:?}");
    assert!(during < 1000, "the stream was over before the calls ({during} ticks)");
    wait_ticks(&c, &ticks, 1000, false);
    assert_eq!(ticks.numbers(), (0..1000).collect::<Vec<_>>());
}

/// The median latency (ms) of `count` ticks `interval_ms` apart, read with a window of
/// `window_us` (inline dispatch: the callback runs as the frame is read), after checking that
/// they all came in order.
fn trickle_latency(window_us: u32, count: usize, interval_ms: u32) -> f64 {
    let server = TestServer::start(&[]);
    let ticks = Ticks::default();
    let (c, s) = client(&server, window_us, sio_dispatch_mode::SIO_DISPATCH_INLINE, &ticks);
    wait_connected(&ticks);
    trickle(s, count, interval_ms);
    wait_ticks(&c, &ticks, count, false);
    drop(c);
    assert_eq!(ticks.numbers(), (0..count as i64).collect::<Vec<_>>());
    ticks.median_latency_ms()
}

#[test]
fn sparse_messages_are_not_delayed() {
    // 60 ms apart with the largest window (100 ms): under 8 per window, never held, so each
    // arrives within a few ms, where a hold would add up to 100 ms (40 here: the next read).
    let m = trickle_latency(100_000, 12, 60);
    assert!(m < 20.0, "median latency {m:.1} ms for messages 60 ms apart");
}

#[test]
fn a_streamed_message_waits_at_most_the_window() {
    // 200 ticks 1 ms apart with a 20 ms window: held, but none later than the window (plus the
    // scheduling slack of a loaded machine); an endless hold would make it 100 ms or more.
    let m = trickle_latency(20_000, 200, 1);
    assert!(m < 20.0, "median latency {m:.1} ms with a 20 ms window");
}
