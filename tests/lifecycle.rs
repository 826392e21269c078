//! Calling the API from inside callbacks, freeing from any thread, and the exactly-once
//! guarantees for user data finalizers and ack callbacks.

mod common;

use std::ffi::c_void;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::capi::*;
use common::TestServer;
use sio::ffi::*;

/// State for the hand-written callbacks of these tests.
#[derive(Default)]
struct Probe {
    client: AtomicPtr<sio_client>,
    calls: AtomicUsize,
    after_free: AtomicUsize,
    freed: AtomicBool,
    codes: std::sync::Mutex<Vec<sio_result>>,
}

unsafe fn probe<'a>(ud: *mut c_void) -> &'a Probe {
    unsafe { &*(ud as *const Probe) }
}

/// On `echo`: the blocking calls refuse, everything else works from inside a callback.
unsafe extern "C" fn reenter(ud: *mut c_void, ev: *const sio_event) {
    let p = unsafe { probe(ud) };
    let s = unsafe { sio_event_socket(ev) };
    let mut reply = null_mut();
    let mut codes = p.codes.lock().unwrap();
    codes.push(unsafe { sio_call(s, cs("ack").as_ptr(), null_mut(), std::ptr::null(), 0, 1000, &mut reply) });
    codes.push(unsafe { sio_wait(p.client.load(Ordering::SeqCst), 10) });
    codes.push(unsafe { sio_emit(s, cs("from_callback").as_ptr(), cs("[1]").as_ptr(), std::ptr::null(), 0) });
    // Replace this very handler while it runs, and add another.
    codes.push(unsafe { sio_on(s, cs("echo").as_ptr(), Some(count), ud, None) });
    codes.push(unsafe { sio_on(s, cs("other").as_ptr(), Some(count), ud, None) });
    let mut other = null_mut();
    codes.push(unsafe { sio_of(p.client.load(Ordering::SeqCst), cs("/a").as_ptr(), null_mut(), &mut other) });
    codes.push(unsafe { sio_socket_connect(other) });
    p.calls.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn count(ud: *mut c_void, _ev: *const sio_event) {
    let p = unsafe { probe(ud) };
    if p.freed.load(Ordering::SeqCst) {
        p.after_free.fetch_add(1, Ordering::SeqCst);
    }
    p.calls.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn callbacks_may_call_the_api_but_not_block() {
    let server = TestServer::start(&[]);
    let p = Arc::new(Probe::default());
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    p.client.store(client.ptr, Ordering::SeqCst);
    let s = client.of(None, None);
    rec.attach(s);
    unsafe { sio_on(s, cs("echo").as_ptr(), Some(reenter), Arc::as_ptr(&p) as *mut c_void, None) };
    unsafe { sio_socket_connect(s) };
    emit(s, "echo", "[]");
    server.expect(T, |r| r["type"] == "event" && r["event"] == "from_callback");
    server.expect(T, |r| r["type"] == "connect" && r["ns"] == "/a");
    use sio_result::*;
    assert_eq!(
        *p.codes.lock().unwrap(),
        vec![SIO_ERR_IN_CALLBACK, SIO_ERR_IN_CALLBACK, SIO_OK, SIO_OK, SIO_OK, SIO_OK, SIO_OK]
    );
    // The replacement handler now gets `echo`.
    emit(s, "echo", "[]");
    emit(s, "broadcast", r#"["other"]"#);
    let deadline = std::time::Instant::now() + T;
    while p.calls.load(Ordering::SeqCst) < 3 {
        assert!(std::time::Instant::now() < deadline, "handlers registered from a callback never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(client);
}

unsafe extern "C" fn free_client_here(ud: *mut c_void, _ev: *const sio_event) {
    let p = unsafe { probe(ud) };
    let c = p.client.swap(null_mut(), Ordering::SeqCst);
    if !c.is_null() {
        unsafe { sio_client_free(c) };
        p.freed.store(true, Ordering::SeqCst);
        // The socket handle stays usable until this callback returns; calls fail cleanly.
        let s = unsafe { sio_event_socket(_ev) };
        p.codes
            .lock()
            .unwrap()
            .push(unsafe { sio_emit(s, cs("x").as_ptr(), null_mut(), std::ptr::null(), 0) });
    }
    p.calls.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn freeing_from_inside_a_callback_stops_everything() {
    let server = TestServer::start(&[]);
    let p = Arc::new(Probe::default());
    let ud = Arc::as_ptr(&p) as *mut c_void;
    let mut c = null_mut();
    assert_eq!(
        unsafe { sio_connect(cs(&server.url()).as_ptr(), std::ptr::null(), &mut c) },
        sio_result::SIO_OK
    );
    p.client.store(c, Ordering::SeqCst);
    let mut s = null_mut();
    unsafe {
        sio_of(c, std::ptr::null(), std::ptr::null(), &mut s);
        sio_on(s, cs("tick").as_ptr(), Some(count), ud, None);
        sio_on(s, cs("stop").as_ptr(), Some(free_client_here), ud, None);
        sio_socket_connect(s);
        // Lots of events are queued behind `stop`: none may run once the client is freed.
        sio_emit(s, cs("broadcast").as_ptr(), cs(r#"["stop"]"#).as_ptr(), std::ptr::null(), 0);
        sio_emit(s, cs("emit_n").as_ptr(), cs(r#"[500, "tick"]"#).as_ptr(), std::ptr::null(), 0);
    }
    let deadline = std::time::Instant::now() + T;
    while !p.freed.load(Ordering::SeqCst) {
        assert!(std::time::Instant::now() < deadline, "stop never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(p.after_free.load(Ordering::SeqCst), 0, "a callback ran after sio_client_free");
    assert_eq!(*p.codes.lock().unwrap(), vec![sio_result::SIO_ERR_CLOSED]);
    server.expect(T, |r| r["type"] == "disconnect");
}

#[test]
fn freeing_from_another_thread_while_events_flow() {
    let server = TestServer::start(&[]);
    for _ in 0..5 {
        let p = Arc::new(Probe::default());
        let ud = Arc::as_ptr(&p) as *mut c_void;
        let client = Client::connect(&server.url());
        let s = client.of(None, None);
        unsafe {
            sio_on(s, cs("tick").as_ptr(), Some(count), ud, None);
            sio_socket_connect(s);
        }
        emit(s, "emit_n", r#"[20000, "tick"]"#);
        let deadline = std::time::Instant::now() + T;
        while p.calls.load(Ordering::SeqCst) < 100 {
            assert!(std::time::Instant::now() < deadline);
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = std::time::Instant::now();
        std::thread::spawn(move || client.free()).join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(2), "free took {:?}", started.elapsed());
        let seen = p.calls.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(p.calls.load(Ordering::SeqCst), seen, "a callback ran after sio_client_free returned");
    }
}

#[test]
fn freeing_while_connecting_does_not_wait_for_the_timeout() {
    let stall = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = Client::connect(&format!("http://127.0.0.1:{}", stall.local_addr().unwrap().port()));
    let rec = Recorder::new(AckMode::Echo);
    client.join(&rec, "/", None);
    std::thread::sleep(Duration::from_millis(100));
    let started = std::time::Instant::now();
    client.free();
    assert!(started.elapsed() < Duration::from_millis(500), "free took {:?}", started.elapsed());
    assert!(rec.records().is_empty(), "nothing is reported once freed: {:?}", rec.records());
}

#[test]
fn userdata_finalizers_run_exactly_once() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None); // 4 registrations
    rec.attach_event(s, "echo"); // 5
    rec.attach_event(s, "echo"); // replaces the 5th: its finalizer runs now
    assert_eq!(rec.finalized.load(Ordering::SeqCst), 1);
    unsafe { sio_on(s, cs("echo").as_ptr(), None, null_mut(), None) }; // removal
    assert_eq!(rec.finalized.load(Ordering::SeqCst), 2);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    client.free();
    assert_eq!(rec.finalized.load(Ordering::SeqCst), 6, "every registration finalized once by free");
    assert_eq!(Arc::strong_count(&rec), 1, "no reference leaked");
}

#[test]
fn ack_callbacks_run_exactly_once_even_when_freed() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    // Never acknowledged by the server, no timeout: only free can end them.
    for i in 0..10 {
        assert_eq!(rec.emit_with_ack(s, "never", "[]", -1, &format!("pending{i}")), sio_result::SIO_OK);
    }
    // Acknowledged.
    assert_eq!(rec.emit_with_ack(s, "ack", "[1]", -1, "answered"), sio_result::SIO_OK);
    rec.expect(T, "answered", |r| matches!(r, Rec::Ack { tag, .. } if tag == "answered"));
    client.free();
    let acks = rec.records().into_iter().filter(|r| matches!(r, Rec::Ack { .. })).collect::<Vec<_>>();
    assert_eq!(acks.len(), 11, "{acks:?}");
    for i in 0..10 {
        let tag = format!("pending{i}");
        assert_eq!(
            acks.iter()
                .filter(
                    |r| matches!(r, Rec::Ack { tag: t, status: sio_result::SIO_ERR_CLOSED, .. } if *t == tag)
                )
                .count(),
            1
        );
    }
    assert_eq!(Arc::strong_count(&rec), 1, "every ack context was released");
}

#[test]
fn pending_acks_fail_with_disconnected_when_the_namespace_goes() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    assert_eq!(rec.emit_with_ack(s, "never", "[]", -1, "lost"), sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["event"] == "never");
    emit(s, "kick", "[]");
    let lost = rec.expect(T, "lost ack", |r| matches!(r, Rec::Ack { tag, .. } if tag == "lost"));
    assert_eq!(lost, Rec::Ack { tag: "lost".into(), status: sio_result::SIO_ERR_DISCONNECTED, args: None });
}

#[test]
fn an_ack_that_cannot_be_sent_stays_with_the_caller() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Keep);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    emit(s, "ask", r#"["late"]"#);
    rec.expect(T, "question", |r| matches!(r, Rec::Event { name, .. } if name == "question"));
    let ack = rec.take_acks().pop().unwrap();
    assert_eq!(unsafe { sio_client_close(client.ptr) }, sio_result::SIO_OK);
    assert_eq!(client.wait(5000), sio_result::SIO_OK);
    // Closed: the send fails and the handle is still ours, to retry or free (no double free).
    let args = cs("[1]");
    assert_eq!(
        unsafe { sio_ack_send(ack.0, args.as_ptr(), std::ptr::null(), 0) },
        sio_result::SIO_ERR_CLOSED
    );
    assert_eq!(
        unsafe { sio_ack_send(ack.0, args.as_ptr(), std::ptr::null(), 0) },
        sio_result::SIO_ERR_CLOSED
    );
    unsafe { sio_ack_free(ack.0) };
}
