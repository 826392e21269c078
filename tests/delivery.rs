//! Delivery guarantees through the C ABI, against the real server: the bounded buffer of held
//! emits (`SIO_ERR_BUFFER_FULL`), volatile emits, ack timeouts (client, socket and emit), and
//! `retries` (at-least-once, FIFO) with the server's `flaky` event, whose ack is withheld for
//! the first k receptions of a payload `[id, k]`. Every ack callback is checked to run once.

mod common;

use std::time::Duration;

use common::capi::reconnecting_client as client;
use common::capi::*;
use common::TestServer;
use serde_json::{json, Value};
use sio::ffi::*;

fn ack_of(tag: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Ack { tag: t, .. } if t == tag)
}

fn volatile(socket: *mut sio_socket, event: &str, args: &str) -> sio_result {
    unsafe { sio_emit_volatile(socket, cs(event).as_ptr(), cs(args).as_ptr(), std::ptr::null(), 0) }
}

/// `sio_call`: the reply's args, or the error code.
fn call(socket: *mut sio_socket, event: &str, args: &str, timeout_ms: i64) -> Result<Value, sio_result> {
    let mut reply = std::ptr::null_mut();
    let r = unsafe {
        sio_call(socket, cs(event).as_ptr(), cs(args).as_ptr(), std::ptr::null(), 0, timeout_ms, &mut reply)
    };
    if r != sio_result::SIO_OK {
        return Err(r);
    }
    let args = json(&text(unsafe { sio_event_args(reply) }));
    unsafe { sio_event_free(reply) };
    Ok(args)
}

/// The ids (first argument) of every `flaky` reception, in order.
fn flaky_receptions(server: &TestServer) -> Vec<i64> {
    server.event_numbers("flaky")
}

/// Consecutive receptions of the same id: (id, how many times).
fn runs(ids: &[i64]) -> Vec<(i64, usize)> {
    let mut runs: Vec<(i64, usize)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((last, n)) if *last == id => *n += 1,
            _ => runs.push((id, 1)),
        }
    }
    runs
}

/// Every ack callback ran exactly once: one record per tag, and `tags` are all there.
fn assert_acks_once(rec: &Recorder, tags: &[&str]) {
    for tag in tags {
        assert_eq!(rec.count(ack_of(tag)), 1, "ack {tag}: {:#?}", rec.records());
    }
    let all = rec.count(|r| matches!(r, Rec::Ack { .. }));
    assert_eq!(all, tags.len(), "an unexpected ack callback: {:#?}", rec.records());
}

#[test]
fn a_full_buffer_refuses_emits_while_reconnecting_and_the_held_ones_arrive_once_in_order() {
    let server = TestServer::start(&[]);
    let port = server.port().to_string();
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_max_buffered(o, 5), sio_result::SIO_OK);
    });
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));

    drop(server); // killed
    rec.expect(
        T,
        "disconnect",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "transport close"),
    );
    assert_eq!(emit(s, "n", "[0]"), sio_result::SIO_OK);
    assert_eq!(rec.emit_with_ack(s, "ack", "[1]", -1, "held"), sio_result::SIO_OK);
    for i in 2..5 {
        assert_eq!(emit(s, "n", &format!("[{i}]")), sio_result::SIO_OK, "held while reconnecting");
    }
    assert_eq!(emit(s, "n", "[5]"), sio_result::SIO_ERR_BUFFER_FULL, "the 6th does not fit");
    assert_eq!(last_error(), "the emit buffer is full");
    assert_eq!(rec.emit_with_ack(s, "ack", "[6]", -1, "refused"), sio_result::SIO_ERR_BUFFER_FULL);
    assert_eq!(call(s, "ack", "[7]", 5000), Err(sio_result::SIO_ERR_BUFFER_FULL), "fails at once");
    assert_eq!(
        text(sio_result_str(sio_result::SIO_ERR_BUFFER_FULL as i32)),
        "SIO_ERR_BUFFER_FULL: the emit buffer is full"
    );

    let server = TestServer::start(&["--port", &port]);
    rec.expect_n(T, "reconnected", 2, connects("/"));
    let held = rec.expect(T, "held ack", ack_of("held"));
    assert_eq!(held, Rec::Ack { tag: "held".into(), status: sio_result::SIO_OK, args: Some(json!([1])) });
    server.expect(T, |r| r["type"] == "event" && r["args"] == json!([4]));
    let got: Vec<i64> = server
        .records()
        .iter()
        .filter(|r| r["type"] == "event")
        .filter_map(|r| r["args"][0].as_i64())
        .collect();
    assert_eq!(got, [0, 1, 2, 3, 4], "every held emit once, in order; the refused ones never");

    // Connected: emits are not held, so the limit does not apply.
    for i in 10..30 {
        assert_eq!(emit(s, "m", &format!("[{i}]")), sio_result::SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["event"] == "m" && r["args"] == json!([29]));
    assert_eq!(server.event_numbers("m"), (10..30).collect::<Vec<_>>());
    c.free();
    assert_acks_once(&rec, &["held"]);
}

#[test]
fn the_default_limit_is_1000_held_emits_and_0_means_no_limit() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    // Not joined yet: emits are held.
    let c = client(&server.url(), |_| {});
    let s = c.of(Some("/a"), None);
    rec.attach(s);
    for i in 0..1000 {
        assert_eq!(emit(s, "n", &format!("[{i}]")), sio_result::SIO_OK, "emit {i}");
    }
    assert_eq!(emit(s, "n", "[1000]"), sio_result::SIO_ERR_BUFFER_FULL);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/a" && r["args"] == json!([999]));
    assert_eq!(server.event_numbers("n"), (0..1000).collect::<Vec<_>>());

    let unbounded = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_max_buffered(o, 0), sio_result::SIO_OK);
    });
    let s = unbounded.of(Some("/b"), None);
    for i in 0..3000 {
        assert_eq!(emit(s, "u", &format!("[{i}]")), sio_result::SIO_OK, "emit {i}");
    }
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/b" && r["args"] == json!([2999]));
    assert_eq!(server.event_numbers("u"), (0..3000).collect::<Vec<_>>());
}

#[test]
fn volatile_emits_are_dropped_unless_the_namespace_is_connected() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(
            sio_options_set_transport(o, sio_transport::SIO_TRANSPORT_WEBSOCKET as i32),
            sio_result::SIO_OK
        );
    });
    let s = c.of(Some("/"), None);
    rec.attach(s);
    assert_eq!(volatile(s, "v", "[0]"), sio_result::SIO_ERR_DISCONNECTED, "not joined: dropped");
    assert_eq!(last_error(), "socket has been disconnected");
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect(T, "connect", connects("/"));
    assert_eq!(volatile(s, "v", "[1]"), sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["event"] == "v");

    emit(s, "close", "[]"); // the server closes the connection: reconnecting
    rec.expect(
        T,
        "disconnect",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "transport close"),
    );
    assert_eq!(volatile(s, "v", "[2]"), sio_result::SIO_ERR_DISCONNECTED, "reconnecting: dropped");
    assert_eq!(emit(s, "n", "[3]"), sio_result::SIO_OK, "a plain emit is held meanwhile");
    rec.expect_n(T, "reconnected", 2, connects("/"));
    assert_eq!(volatile(s, "v", "[4]"), sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["event"] == "v" && r["args"] == json!([4]));
    assert_eq!(server.event_numbers("v"), [1, 4], "the dropped one never arrives");
    assert_eq!(server.event_numbers("n"), [3]);
}

#[test]
fn volatile_emits_over_polling_go_when_no_post_is_in_flight() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(
            sio_options_set_transport(o, sio_transport::SIO_TRANSPORT_POLLING as i32),
            sio_result::SIO_OK
        );
    });
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    // A burst: those made while a POST is in flight (at most the first goes) are dropped.
    for i in 0..200 {
        assert_eq!(volatile(s, "v", &format!("[{i}]")), sio_result::SIO_OK);
    }
    // Spaced out: the transport is idle again between them, so (nearly) each one goes.
    let mut i = 1000;
    while server
        .wait_for(Duration::from_millis(50), |r| r["type"] == "event" && r["args"] == json!([i - 1]))
        .is_none()
    {
        assert!(i < 1100, "no spaced-out volatile emit arrived: {:?}", server.event_numbers("v"));
        assert_eq!(volatile(s, "v", &format!("[{i}]")), sio_result::SIO_OK);
        i += 1;
    }
    emit(s, "n", "[0]");
    server.expect(T, |r| r["type"] == "event" && r["event"] == "n");
    let got = server.event_numbers("v");
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, none twice: {got:?}");
    let burst = got.iter().filter(|&&n| n < 200).count();
    assert!(burst < 200, "none of the burst dropped: {got:?}");
}

#[test]
fn an_ack_timeout_drops_a_held_emit_which_the_server_never_receives() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_ack_timeout(o, 60_000), sio_result::SIO_OK);
    });
    let s = c.of(Some("/"), None);
    rec.attach(s);
    // Not joined: held. The emit's own timeout, then the socket's default over the client's.
    assert_eq!(rec.emit_with_ack(s, "ack", r#"["own"]"#, 100, "own"), sio_result::SIO_OK);
    assert_eq!(unsafe { sio_socket_set_ack_timeout(s, 150) }, sio_result::SIO_OK);
    assert_eq!(rec.emit_with_ack(s, "ack", r#"["socket"]"#, -1, "socket"), sio_result::SIO_OK);
    assert_eq!(emit(s, "after", "[]"), sio_result::SIO_OK);
    for tag in ["own", "socket"] {
        let r = rec.expect(T, "timeout", ack_of(tag));
        assert_eq!(r, Rec::Ack { tag: tag.into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
    }
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["event"] == "after");
    emit(s, "last", "[]");
    server.expect(T, |r| r["type"] == "event" && r["event"] == "last");
    let events: Vec<Value> = server.records().into_iter().filter(|r| r["type"] == "event").collect();
    assert!(!events.iter().any(|r| r["event"] == "ack"), "timed-out emits are never sent: {events:?}");
    c.free();
    assert_acks_once(&rec, &["own", "socket"]);
}

#[test]
fn a_socket_ack_timeout_of_0_waits_for_ever_and_the_callback_runs_once_at_free() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_ack_timeout(o, 200), sio_result::SIO_OK);
    });
    let patient = c.join(&rec, "/a", None);
    let hasty = c.join(&rec, "/b", None);
    rec.expect(T, "connect /a", connects("/a"));
    rec.expect(T, "connect /b", connects("/b"));
    assert_eq!(unsafe { sio_socket_set_ack_timeout(patient, 0) }, sio_result::SIO_OK);
    assert_eq!(unsafe { sio_socket_set_ack_timeout(std::ptr::null(), 0) }, sio_result::SIO_ERR_NULL);
    assert_eq!(rec.emit_with_ack(patient, "never", "[]", -1, "patient"), sio_result::SIO_OK);
    assert_eq!(rec.emit_with_ack(hasty, "never", "[]", -1, "hasty"), sio_result::SIO_OK);
    let hasty_ack = rec.expect(T, "hasty timeout", ack_of("hasty"));
    assert_eq!(hasty_ack, Rec::Ack { tag: "hasty".into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
    // Well past the client's 200 ms, the socket without limit still waits.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(rec.count(ack_of("patient")), 0, "{:#?}", rec.records());
    // Back to the client's default.
    assert_eq!(unsafe { sio_socket_set_ack_timeout(patient, -1) }, sio_result::SIO_OK);
    assert_eq!(rec.emit_with_ack(patient, "never", "[]", -1, "default"), sio_result::SIO_OK);
    rec.expect(T, "default timeout", ack_of("default"));
    c.free();
    let patient_ack = rec.expect(T, "patient", ack_of("patient"));
    assert_eq!(
        patient_ack,
        Rec::Ack { tag: "patient".into(), status: sio_result::SIO_ERR_CLOSED, args: None }
    );
    assert_acks_once(&rec, &["patient", "hasty", "default"]);
}

#[test]
fn retries_deliver_every_emit_in_fifo_order_resent_until_acked() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_retries(o, 3), sio_result::SIO_OK);
    });
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    assert_eq!(unsafe { sio_socket_set_ack_timeout(s, 400) }, sio_result::SIO_OK);
    // [id, k]: acked at the (k+1)-th reception. Without and with a callback.
    let withheld = [0, 2, 1, 3, 0];
    for (id, k) in withheld.iter().enumerate() {
        let args = format!("[{id},{k}]");
        let r = if id % 2 == 0 {
            emit(s, "flaky", &args)
        } else {
            rec.emit_with_ack(s, "flaky", &args, -1, &id.to_string())
        };
        assert_eq!(r, sio_result::SIO_OK);
    }
    // A blocking call waits behind them in the FIFO.
    assert_eq!(call(s, "flaky", "[5,1]", -1), Ok(json!([5, 2])));
    server.expect(T, |r| r["type"] == "flaky_ack" && r["id"] == 5);

    let got = flaky_receptions(&server);
    // Each id received k+1 times (more only if an ack was slower than the timeout), one id
    // after the other, in emit order.
    let runs = runs(&got);
    let ids: Vec<i64> = runs.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5], "FIFO, no interleaving: {got:?}");
    for ((id, n), k) in runs.iter().zip(withheld.iter().chain([&1])) {
        assert!(*n > *k && *n <= 4, "id {id}: {n} receptions for k = {k}: {got:?}");
    }
    assert!(
        server.records().iter().filter(|r| r["event"] == "flaky").all(|r| r["ack"] == true),
        "every try asks for an ack, also for emits without a callback"
    );
    for (id, k) in withheld.iter().enumerate().filter(|(id, _)| id % 2 == 1) {
        let Rec::Ack { status, args, .. } = rec.expect(T, "ack", ack_of(&id.to_string())) else {
            unreachable!()
        };
        assert_eq!(status, sio_result::SIO_OK);
        let args = args.unwrap();
        assert_eq!(args[0], json!(id));
        assert!(args[1].as_i64().unwrap() > *k as i64, "acked after the withheld receptions: {args}");
    }
    c.free();
    assert_acks_once(&rec, &["1", "3"]);
}

#[test]
fn retries_give_up_after_the_last_try_and_the_queue_moves_on() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_retries(o, 2), sio_result::SIO_OK);
        assert_eq!(sio_options_set_ack_timeout(o, 300), sio_result::SIO_OK);
        assert_eq!(sio_options_set_max_buffered(o, 2), sio_result::SIO_OK);
    });
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    assert_eq!(rec.emit_with_ack(s, "flaky", "[0,100]", -1, "lost"), sio_result::SIO_OK);
    assert_eq!(rec.emit_with_ack(s, "flaky", "[1,0]", -1, "next"), sio_result::SIO_OK);
    // The FIFO holds every emit until it is acked: connected or not, it is bounded.
    assert_eq!(emit(s, "flaky", "[2,0]"), sio_result::SIO_ERR_BUFFER_FULL);
    let lost = rec.expect(T, "lost", ack_of("lost"));
    assert_eq!(lost, Rec::Ack { tag: "lost".into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
    let next = rec.expect(T, "next", ack_of("next"));
    server.expect(T, |r| r["type"] == "flaky_ack" && r["id"] == 1);
    assert_eq!(next, Rec::Ack { tag: "next".into(), status: sio_result::SIO_OK, args: Some(json!([1, 1])) });
    // 3 tries (retries = 2), then the next one (more than once only if its ack was late).
    let got = flaky_receptions(&server);
    assert!(matches!(runs(&got)[..], [(0, 3), (1, 1..=3)]), "{got:?}");
    assert_eq!(emit(s, "flaky", "[2,0]"), sio_result::SIO_OK, "room again");
    server.expect(T, |r| r["event"] == "flaky" && r["args"] == json!([2, 0]));
    c.free();
    assert_acks_once(&rec, &["lost", "next"]);
}

#[test]
fn retries_carry_the_queue_over_a_server_restart() {
    let server = TestServer::start(&[]);
    let port = server.port().to_string();
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_retries(o, 5), sio_result::SIO_OK);
        assert_eq!(sio_options_set_ack_timeout(o, 500), sio_result::SIO_OK);
    });
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    for id in 0..3 {
        assert_eq!(
            rec.emit_with_ack(s, "flaky", &format!("[{id},0]"), -1, &id.to_string()),
            sio_result::SIO_OK
        );
    }
    rec.expect(T, "ack 2", ack_of("2"));
    // In flight when the server dies: its ack is withheld by this server process.
    assert_eq!(rec.emit_with_ack(s, "flaky", "[3,1]", -1, "3"), sio_result::SIO_OK);
    server.expect(T, |r| r["event"] == "flaky" && r["args"] == json!([3, 1]));
    drop(server);
    rec.expect(T, "disconnect", |r| matches!(r, Rec::Disconnect { .. }));
    for id in 4..8 {
        assert_eq!(
            rec.emit_with_ack(s, "flaky", &format!("[{id},0]"), -1, &id.to_string()),
            sio_result::SIO_OK
        );
    }
    let server = TestServer::start(&["--port", &port]);
    rec.expect(T, "ack 7", ack_of("7"));
    server.expect(T, |r| r["type"] == "flaky_ack" && r["id"] == 7);
    // The new server: the head again at once (withheld: its first reception here), once more
    // after the timeout, then the rest in order (more than once only if an ack was late).
    let got = flaky_receptions(&server);
    let runs = runs(&got);
    assert_eq!(runs.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [3, 4, 5, 6, 7], "{got:?}");
    assert!(runs[0].1 >= 2 && runs.iter().all(|(_, n)| *n <= 6), "{got:?}");
    let Rec::Ack { status, args, .. } = rec.expect(T, "ack 3", ack_of("3")) else { unreachable!() };
    assert_eq!((status, args), (sio_result::SIO_OK, Some(json!([3, 2]))));
    c.free();
    let tags: Vec<String> = (0..8).map(|i| i.to_string()).collect();
    assert_acks_once(&rec, &tags.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn close_fails_the_callbacks_of_held_emits_at_once() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_retries(o, 1), sio_result::SIO_OK);
    });
    let s = c.of(Some("/"), None);
    rec.attach(s);
    // Not joined: held in the retry FIFO; a blocking call waits behind it on another thread.
    assert_eq!(rec.emit_with_ack(s, "ack", "[1]", -1, "held"), sio_result::SIO_OK);
    let socket = s as usize;
    let caller = std::thread::spawn(move || call(socket as *mut sio_socket, "ack", "[2]", -1));
    // Time for the call to be queued (were it not, it would fail with SIO_ERR_CLOSED at once).
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
    // Before sio_client_free: they can never be sent.
    let held = rec.expect(T, "held", ack_of("held"));
    assert_eq!(held, Rec::Ack { tag: "held".into(), status: sio_result::SIO_ERR_CLOSED, args: None });
    assert_eq!(caller.join().unwrap(), Err(sio_result::SIO_ERR_CLOSED));
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    c.free();
    assert_acks_once(&rec, &["held"]);
    assert!(server.records().iter().all(|r| r["type"] != "event"), "nothing was sent");
}
