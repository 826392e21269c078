//! Reconnection through the C ABI: the real server is killed and started again on the same
//! port; namespaces are joined again with fresh auth from their auth callback, and emits made
//! meanwhile arrive once, in order. A failed first connection is retried when asked.

mod common;

use common::capi::reconnecting_client as client;
use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::sio_reconnect_event::*;
use sio::ffi::*;

fn reconnect_events(rec: &Recorder) -> Vec<(sio_reconnect_event, u32)> {
    rec.records()
        .into_iter()
        .filter_map(|r| match r {
            Rec::Reconnect { event, attempt, .. } => Some((event, attempt)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_restarted_server_gets_the_namespaces_and_the_held_emits_back() {
    let server = TestServer::start(&[]);
    let port = server.port().to_string();
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |_| {});
    rec.attach_client(&c);
    let root = c.join(&rec, "/", None);
    // /admin's auth comes from its callback, answered later from another thread; the static
    // auth of sio_of is not used while a callback is set.
    let admin = c.of(Some("/admin"), Some(r#"{"token":"stale"}"#));
    rec.attach(admin);
    let auth = Auth::attach(admin, AuthMode::Later(std::time::Duration::from_millis(50)));
    assert_eq!(unsafe { sio_socket_connect(admin) }, sio_result::SIO_OK);
    rec.expect(T, "connect /admin", connects("/admin"));
    rec.expect(T, "connect /", connects("/"));
    server.expect(T, |r| {
        r["type"] == "connect" && r["ns"] == "/admin" && r["auth"] == json!({ "token": "secret", "gen": 1 })
    });

    drop(server); // killed
    rec.expect(
        T,
        "disconnect",
        |r| matches!(r, Rec::Disconnect { ns, reason } if ns == "/admin" && reason == "transport close"),
    );
    for i in 0..50 {
        assert_eq!(
            emit(admin, "n", &format!("[{i}]")),
            sio_result::SIO_OK,
            "emits are held while disconnected"
        );
    }
    assert_eq!(c.wait(300), sio_result::SIO_ERR_TIMEOUT, "reconnecting: the client is not closed");
    std::thread::sleep(std::time::Duration::from_millis(400)); // a few failed attempts
    let server = TestServer::start(&["--port", &port]);

    rec.expect_n(T, "reconnected /admin", 2, connects("/admin"));
    rec.expect_n(T, "reconnected /", 2, connects("/"));
    // Joined again with fresh auth: the callback was asked again (the middleware accepted it).
    server.expect(T, |r| {
        r["type"] == "connect" && r["ns"] == "/admin" && r["auth"] == json!({ "token": "secret", "gen": 2 })
    });
    assert_eq!(auth.asked.load(std::sync::atomic::Ordering::SeqCst), 2, "once per connection");
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/admin" && r["args"] == json!([49]));
    let got = server.event_numbers("n");
    assert_eq!(got, (0..50).collect::<Vec<_>>(), "every held emit once, in order");
    emit(root, "echo", r#"["back"]"#);
    rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"));

    let events = reconnect_events(&rec);
    let successes: Vec<_> = events.iter().filter(|(e, _)| *e == SIO_RECONNECT_SUCCESS).collect();
    assert_eq!(successes.len(), 1, "{events:?}");
    let n = successes[0].1;
    assert!(n >= 2, "the server was down for a few attempts: {events:?}");
    // Attempts are numbered 1..=n, each one reported before its outcome.
    let attempts: Vec<u32> =
        events.iter().filter(|(e, _)| *e == SIO_RECONNECT_ATTEMPT).map(|(_, a)| *a).collect();
    assert_eq!(attempts, (1..=n).collect::<Vec<_>>(), "{events:?}");
    assert_eq!(events.iter().filter(|(e, _)| *e == SIO_RECONNECT_ERROR).count() as u32, n - 1, "{events:?}");
    let error = rec.records().into_iter().find_map(|r| match r {
        Rec::Reconnect { event: SIO_RECONNECT_ERROR, error, .. } => error,
        _ => None,
    });
    assert!(error.is_some_and(|e| !e.is_empty()), "a failed attempt says why");
}

#[test]
fn attempts_run_out_and_the_client_closes() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_reconnection_attempts(o, 3), sio_result::SIO_OK);
    });
    rec.attach_client(&c);
    c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    drop(server);
    rec.expect(T, "failed", |r| matches!(r, Rec::Reconnect { event: SIO_RECONNECT_FAILED, .. }));
    assert_eq!(c.wait(5000), sio_result::SIO_OK, "given up: the client is closed");
    let events = reconnect_events(&rec);
    assert_eq!(
        events,
        vec![
            (SIO_RECONNECT_ATTEMPT, 1),
            (SIO_RECONNECT_ERROR, 1),
            (SIO_RECONNECT_ATTEMPT, 2),
            (SIO_RECONNECT_ERROR, 2),
            (SIO_RECONNECT_ATTEMPT, 3),
            (SIO_RECONNECT_ERROR, 3),
            (SIO_RECONNECT_FAILED, 3),
        ]
    );
}

#[test]
fn no_reconnection_when_it_is_off_or_after_a_disconnect_asked_for() {
    let server = TestServer::start(&[]);
    // Off: a lost connection closes the client.
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |o| unsafe {
        assert_eq!(sio_options_set_reconnection(o, 0), sio_result::SIO_OK);
    });
    rec.attach_client(&c);
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    emit(s, "close", "[]");
    rec.expect(
        T,
        "transport close",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "transport close"),
    );
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    assert!(reconnect_events(&rec).is_empty());
    // On (the default), but the server kicked us: no reconnection either.
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server.url(), |_| {});
    rec.attach_client(&c);
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", connects("/"));
    emit(s, "kick", "[]");
    rec.expect(
        T,
        "kick",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "io server disconnect"),
    );
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(reconnect_events(&rec).is_empty());
    assert_eq!(rec.count(|r| matches!(r, Rec::Connect { .. })), 1);
}

#[test]
fn reconnection_options_are_checked() {
    let opts = sio_options_new();
    unsafe {
        assert_eq!(sio_options_set_reconnection_delay(opts, 500, 100), sio_result::SIO_ERR_INVALID);
        assert_eq!(sio_options_set_randomization_factor(opts, 1.5), sio_result::SIO_ERR_INVALID);
        assert_eq!(sio_options_set_randomization_factor(opts, f64::NAN), sio_result::SIO_ERR_INVALID);
        assert_eq!(sio_options_set_randomization_factor(opts, 0.0), sio_result::SIO_OK);
        assert_eq!(sio_options_set_reconnection_attempts(std::ptr::null_mut(), 1), sio_result::SIO_ERR_NULL);
        assert_eq!(
            sio_on_reconnect(std::ptr::null(), None, std::ptr::null_mut(), None),
            sio_result::SIO_ERR_NULL
        );
        sio_options_free(opts);
    }
}

#[test]
fn a_failed_first_connection_fails_fast_or_is_retried_when_asked() {
    let port = TestServer::start(&[]).port().to_string(); // stopped: nothing listens there
    let url = format!("http://127.0.0.1:{port}");
    let retried = |o: *mut sio_options| unsafe {
        assert_eq!(sio_options_set_retry_initial_connect(o, 1), sio_result::SIO_OK);
    };

    // The default: connect_error at once, no attempts, the client is closed.
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&url, |_| {});
    rec.attach_client(&c);
    c.join(&rec, "/", None);
    rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    assert!(reconnect_events(&rec).is_empty());

    // Retried, with attempts that run out: reconnect_failed and the client is closed.
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&url, |o| {
        retried(o);
        unsafe { assert_eq!(sio_options_set_reconnection_attempts(o, 2), sio_result::SIO_OK) };
    });
    rec.attach_client(&c);
    c.join(&rec, "/", None);
    rec.expect(T, "failed", |r| matches!(r, Rec::Reconnect { event: SIO_RECONNECT_FAILED, .. }));
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    let events = reconnect_events(&rec);
    assert_eq!(
        events,
        vec![
            (SIO_RECONNECT_ATTEMPT, 1),
            (SIO_RECONNECT_ERROR, 1),
            (SIO_RECONNECT_ATTEMPT, 2),
            (SIO_RECONNECT_ERROR, 2),
            (SIO_RECONNECT_FAILED, 2),
        ]
    );
    assert_eq!(rec.count(|r| matches!(r, Rec::ConnectError { .. })), 0, "{:?}", rec.records());

    // Retried until the server is there; what was emitted meanwhile arrives.
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&url, retried);
    rec.attach_client(&c);
    let s = c.join(&rec, "/", None);
    assert_eq!(emit(s, "n", "[1]"), sio_result::SIO_OK);
    rec.expect(T, "attempt 2", |r| {
        matches!(r, Rec::Reconnect { event: SIO_RECONNECT_ATTEMPT, attempt: 2, .. })
    });
    assert_eq!(c.wait(0), sio_result::SIO_ERR_TIMEOUT, "retrying: the client is not closed");
    let server = TestServer::start(&["--port", &port]);
    rec.expect(T, "connect", connects("/"));
    server.expect(T, |r| r["type"] == "event" && r["event"] == "n");
    assert_eq!(server.event_numbers("n"), vec![1]);
    let events = reconnect_events(&rec);
    let n = events.last().map(|e| e.1).unwrap_or_default();
    assert_eq!(events.last(), Some(&(SIO_RECONNECT_SUCCESS, n)), "{events:?}");
    assert!(n >= 2, "{events:?}");
    assert_eq!(rec.count(|r| matches!(r, Rec::ConnectError { .. })), 0, "{:?}", rec.records());
}
