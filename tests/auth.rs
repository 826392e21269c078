//! The auth callback through the C ABI: asked for every CONNECT (first and after each
//! reconnection), answered inside the callback or later from another thread; a request freed
//! without a reply refuses the join; nothing hangs or leaks when the client is freed first.

mod common;

use std::sync::atomic::Ordering;

use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::*;

fn admin_connect_with(auth: serde_json::Value) -> impl Fn(&serde_json::Value) -> bool {
    move |r| r["type"] == "connect" && r["ns"] == "/admin" && r["auth"] == auth
}

/// A client with /admin set up (recorder attached) but not connected.
fn admin(server: &TestServer) -> (Client, std::sync::Arc<Recorder>, *mut sio_socket) {
    let c = Client::connect(&server.url());
    let rec = Recorder::new(AckMode::Echo);
    let s = c.of(Some("/admin"), None);
    rec.attach(s);
    (c, rec, s)
}

/// Leaves the only namespace and waits until the connection is closed. (A CONNECT right after
/// the DISCONNECT on the same connection would race with the server, which handles the
/// DISCONNECT a tick later and closes a connection that joins a namespace it still has.)
fn leave(c: &Client, s: *mut sio_socket) {
    assert_eq!(unsafe { sio_socket_disconnect(s) }, sio_result::SIO_OK);
    assert_eq!(c.wait(10_000), sio_result::SIO_OK);
}

#[test]
fn the_callback_is_asked_for_every_connect() {
    let server = TestServer::start(&[]);
    let (c, rec, s) = admin(&server);
    let auth = Auth::attach(s, AuthMode::Now);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect(T, "connect", connects("/admin"));
    server.expect(T, admin_connect_with(json!({ "token": "secret", "gen": 1 })));
    // Left (the connection closes with it) and joined again: asked again.
    leave(&c, s);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect_n(T, "connect again", 2, connects("/admin"));
    server.expect(T, admin_connect_with(json!({ "token": "secret", "gen": 2 })));
    assert_eq!(auth.asked.load(Ordering::SeqCst), 2);

    // Removed: the auth given to sio_of is sent again.
    let r = unsafe { sio_socket_set_auth_callback(s, None, std::ptr::null_mut(), None) };
    assert_eq!(r, sio_result::SIO_OK);
    assert_eq!(auth.finalized.load(Ordering::SeqCst), 1, "the replaced callback's user data");
    c.of(Some("/admin"), Some(r#"{"token":"secret","static":true}"#));
    leave(&c, s);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect_n(T, "connect with static auth", 3, connects("/admin"));
    server.expect(T, admin_connect_with(json!({ "token": "secret", "static": true })));
    assert_eq!(auth.asked.load(Ordering::SeqCst), 2);
}

#[test]
fn the_join_waits_for_a_late_reply_and_bad_replies_are_refused() {
    let server = TestServer::start(&[]);
    let (c, rec, s) = admin(&server);
    let auth = Auth::attach(s, AuthMode::Keep);
    let root = c.join(&rec, "/", None);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    assert_eq!(emit(s, "n", "[1]"), sio_result::SIO_OK, "held until /admin is joined");
    auth.expect_asked(T, 1);
    // Meanwhile the I/O thread goes on: / works.
    rec.expect(T, "connect /", connects("/"));
    emit(root, "echo", "[7]");
    rec.expect(T, "echo", |r| matches!(r, Rec::Event { name, .. } if name == "echo"));
    assert!(!server.records().iter().any(|r| r["ns"] == "/admin"), "no CONNECT before the reply");

    let request = auth.take().pop().expect("a request").0;
    let bad = cs("[1]");
    assert_eq!(unsafe { sio_auth_reply(request, bad.as_ptr()) }, sio_result::SIO_ERR_JSON);
    assert!(last_error().contains("object"), "{}", last_error());
    // Still the caller's after a failure: answered from another thread.
    let request = SendAuth(request);
    std::thread::spawn(move || {
        let request = request;
        let good = cs(r#"{"token":"secret"}"#);
        assert_eq!(unsafe { sio_auth_reply(request.0, good.as_ptr()) }, sio_result::SIO_OK);
    })
    .join()
    .unwrap();
    rec.expect(T, "connect /admin", connects("/admin"));
    server.expect(T, admin_connect_with(json!({ "token": "secret" })));
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/admin" && r["event"] == "n");
}

#[test]
fn a_request_freed_without_reply_refuses_the_join() {
    let server = TestServer::start(&[]);
    let (c, rec, s) = admin(&server);
    let auth = Auth::attach(s, AuthMode::Keep);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    auth.expect_asked(T, 1);
    unsafe { sio_auth_request_free(auth.take().pop().expect("a request").0) };
    let refused = rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
    let Rec::ConnectError { ns, message, data } = refused else { unreachable!() };
    assert_eq!(ns, "/admin");
    assert!(message.contains("freed without a reply"), "{message}");
    assert_eq!(data, serde_json::Value::Null);
    assert_eq!(c.wait(5000), sio_result::SIO_OK, "nothing joined: the client is closed");
    assert!(!server.records().iter().any(|r| r["ns"] == "/admin"), "{:?}", server.records());
    unsafe { sio_auth_request_free(std::ptr::null_mut()) };
}

#[test]
fn freeing_the_client_with_a_request_outstanding_neither_hangs_nor_leaks() {
    let server = TestServer::start(&[]);
    let (c, _rec, s) = admin(&server);
    let auth = Auth::attach(s, AuthMode::Keep);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    auth.expect_asked(T, 1);
    c.free();
    assert_eq!(auth.finalized.load(Ordering::SeqCst), 1, "the callback's user data is finalized");
    let request = auth.take().pop().expect("a request").0;
    let json = cs(r#"{"token":"secret"}"#);
    assert_eq!(unsafe { sio_auth_reply(request, json.as_ptr()) }, sio_result::SIO_ERR_CLOSED);
    unsafe { sio_auth_request_free(request) };
}

#[test]
fn null_arguments_are_errors() {
    unsafe {
        assert_eq!(
            sio_socket_set_auth_callback(std::ptr::null(), None, std::ptr::null_mut(), None),
            sio_result::SIO_ERR_NULL
        );
        assert_eq!(sio_auth_reply(std::ptr::null_mut(), std::ptr::null()), sio_result::SIO_ERR_NULL);
        assert!(!sio_socket_recovered(std::ptr::null()));
    }
}

#[test]
fn a_socket_io_2_server_gets_the_callbacks_auth_as_the_namespace_query() {
    let server = TestServer::start(&["--v2"]);
    let (_c, rec, s) = admin(&server);
    let auth = Auth::attach(s, AuthMode::Now);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect(T, "connect", connects("/admin"));
    // Socket.IO v4 (2.x) auth is a query string: every value arrives as a string.
    server.expect(T, admin_connect_with(json!({ "token": "secret", "gen": "1" })));
    assert_eq!(auth.asked.load(Ordering::SeqCst), 1);
}
