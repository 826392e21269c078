//! Core client behaviour through the C ABI, against the real `socket.io` 4.x server.

mod common;

use std::time::Duration;

use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::sio_transport::*;
use sio::ffi::*;

fn is_connect(ns: &str) -> impl Fn(&Rec) -> bool + '_ {
    move |r| matches!(r, Rec::Connect { ns: n, .. } if n == ns)
}

fn event<'a>(ns: &'a str, name: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Event { ns: n, name: e, .. } if n == ns && e == name)
}

#[test]
fn connects_and_gets_the_event_sent_on_connection() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    client.join(&rec, "/", None);
    let Rec::Connect { sid, .. } = rec.expect(T, "connect", is_connect("/")) else { unreachable!() };
    let seen = server.expect(T, |r| r["type"] == "connect" && r["ns"] == "/");
    assert_eq!(seen["sid"], sid.as_str(), "the connect callback carries the server's socket id");
    // The server emits `welcome` inside its connection handler: it must not be lost.
    let Rec::Event { args, .. } = rec.expect(T, "welcome", event("/", "welcome")) else { unreachable!() };
    assert_eq!(args, json!([{ "ns": "/", "sid": sid }]));
}

fn disconnect_of<'a>(ns: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Disconnect { ns: n, .. } if n == ns)
}

fn reason(r: Rec) -> String {
    match r {
        Rec::Disconnect { reason, .. } => reason,
        other => panic!("not a disconnect: {other:?}"),
    }
}

#[test]
fn namespaces_share_one_connection() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let a = client.join(&rec, "/a", None);
    let b = client.join(&rec, "b", None); // no leading slash: same as "/b"
    rec.expect(T, "connect /a", is_connect("/a"));
    rec.expect(T, "connect /b", is_connect("/b"));
    assert_eq!(emit(a, "hello", r#"["from a"]"#), sio_result::SIO_OK);
    assert_eq!(emit(b, "hello", r#"["from b"]"#), sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/a" && r["args"] == json!(["from a"]));
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/b" && r["args"] == json!(["from b"]));
    let engines = server.records().iter().filter(|r| r["type"] == "engine_connection").count();
    assert_eq!(engines, 1, "both namespaces must use one Engine.IO session");
    // The same namespace gives the same handle.
    assert_eq!(client.of(Some("/a"), None), a);
    assert_eq!(client.of(Some("a"), None), a);
}

#[test]
fn url_path_names_the_default_namespace_and_query_and_headers_are_sent() {
    let server = TestServer::start(&[]);
    let opts = sio_options_new();
    unsafe {
        assert_eq!(
            sio_options_add_query(opts, cs("token").as_ptr(), cs("a b&c").as_ptr()),
            sio_result::SIO_OK
        );
        assert_eq!(
            sio_options_add_header(opts, cs("X-Test").as_ptr(), cs("yes").as_ptr()),
            sio_result::SIO_OK
        );
        assert_eq!(sio_options_set_connect_timeout(opts, 5000), sio_result::SIO_OK);
    }
    let client = Client::connect_with(&format!("{}/a?from=url", server.url()), opts);
    unsafe { sio_options_free(opts) };
    let rec = Recorder::new(AckMode::Echo);
    let s = client.of(None, None);
    assert_eq!(text(unsafe { sio_socket_namespace(s) }), "/a");
    rec.attach(s);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect(T, "connect /a", is_connect("/a"));
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling", "auto mode starts with long-polling");
    assert_eq!(engine["query"]["token"], "a b&c");
    assert_eq!(engine["query"]["from"], "url");
    assert_eq!(engine["query"]["EIO"], "4");
    assert_eq!(engine["headers"]["x-test"], "yes");
}

#[test]
fn custom_engine_path_is_used() {
    let server = TestServer::start(&[]);
    // A path the server does not serve: the WebSocket handshake is refused at once, a polling
    // GET is never answered (the connect timeout ends it).
    for (transport, timeout) in [(SIO_TRANSPORT_WEBSOCKET, 5000), (SIO_TRANSPORT_AUTO, 500)] {
        let opts = sio_options_new();
        unsafe {
            assert_eq!(sio_options_set_path(opts, cs("/wrong").as_ptr()), sio_result::SIO_OK);
            assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK);
            assert_eq!(sio_options_set_connect_timeout(opts, timeout), sio_result::SIO_OK);
        }
        let client = Client::connect_with(&server.url(), opts);
        unsafe { sio_options_free(opts) };
        let rec = Recorder::new(AckMode::Echo);
        client.join(&rec, "/", None);
        let Rec::ConnectError { message, .. } =
            rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }))
        else {
            unreachable!()
        };
        if transport == SIO_TRANSPORT_WEBSOCKET {
            assert!(message.contains("websocket handshake"), "{message}");
        } else {
            assert!(message.contains("timeout") || message.contains("timed out"), "{message}");
        }
        assert_eq!(client.wait(5000), sio_result::SIO_OK, "a failed connection closes the client");
    }
    let opts = sio_options_new();
    assert_eq!(unsafe { sio_options_set_transport(opts, 3) }, sio_result::SIO_ERR_INVALID);
    unsafe { sio_options_free(opts) };
}

#[test]
fn auth_is_sent_and_refusal_is_reported_with_message_and_data() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    client.join(&rec, "/", None);
    rec.expect(T, "connect /", is_connect("/"));
    client.join(&rec, "/admin", Some(r#"{"token":"nope"}"#));
    let err = rec.expect(T, "connect_error", |r| matches!(r, Rec::ConnectError { .. }));
    assert_eq!(
        err,
        Rec::ConnectError {
            ns: "/admin".into(),
            message: "not authorized".into(),
            data: json!({ "code": 401 })
        }
    );
    server.expect(T, |r| r["type"] == "refused" && r["auth"] == json!({ "token": "nope" }));

    // Fix the auth and join again on the same connection.
    let admin = client.of(Some("/admin"), Some(r#"{"token":"secret","n":[1,2]}"#));
    assert_eq!(unsafe { sio_socket_connect(admin) }, sio_result::SIO_OK);
    rec.expect(T, "connect /admin", is_connect("/admin"));
    server.expect(T, |r| {
        r["type"] == "connect"
            && r["ns"] == "/admin"
            && r["auth"] == json!({ "token": "secret", "n": [1, 2] })
    });
}

#[test]
fn events_both_ways_keep_nested_json_and_unicode() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    let args = json!(["héllo wörld 🎉 中文 \"quoted\" \\ back\nslash", 42, -1.5, true, null, {"a": [1, {"b": "ç"}], "e": {}}, []]);
    assert_eq!(emit(s, "echo", &args.to_string()), sio_result::SIO_OK);
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "echo");
    assert_eq!(got["args"], args);
    assert_eq!(got["ack"], false);
    let Rec::Event { args: back, ack, .. } = rec.expect(T, "echo back", event("/", "echo")) else {
        unreachable!()
    };
    assert_eq!(back, args);
    assert!(!ack);
    // A unicode event name, and no arguments at all.
    assert_eq!(
        unsafe { sio_emit(s, cs("événement ✓").as_ptr(), std::ptr::null(), std::ptr::null(), 0) },
        sio_result::SIO_OK
    );
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "événement ✓");
    assert_eq!(got["args"], json!([]));
}

#[test]
fn named_catch_all_and_unhandled_handlers() {
    let server = TestServer::start(&[]);
    let named = Recorder::new(AckMode::Echo);
    let any = Recorder::new(AckMode::Ignore);
    let rest = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.of(Some("/"), None);
    rest.attach(s); // unhandled + lifecycle
    named.attach_event(s, "echo");
    unsafe {
        assert_eq!(
            sio_on_any(s, Some(on_event), Arc::into_raw(any.clone()) as *mut _, Some(release)),
            sio_result::SIO_OK
        )
    };
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rest.expect(T, "connect", is_connect("/"));
    emit(s, "echo", "[1]");
    named.expect(T, "named echo", event("/", "echo"));
    any.expect(T, "catch-all echo", event("/", "echo"));
    any.expect(T, "catch-all welcome", event("/", "welcome"));
    rest.expect(T, "unhandled welcome", event("/", "welcome"));
    assert_eq!(rest.count(event("/", "echo")), 0, "an event with a named handler is not unhandled");
    assert_eq!(named.count(event("/", "welcome")), 0);
}

use std::sync::Arc;

#[test]
fn acks_from_client_to_server_callback_and_blocking() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    // Emitted before the namespace is connected: held, then sent with its ack id.
    assert_eq!(rec.emit_with_ack(s, "ack", r#"[{"x":"ÿ"},[1,2]]"#, 5000, "first"), sio_result::SIO_OK);
    let ack = rec.expect(T, "ack reply", |r| matches!(r, Rec::Ack { tag, .. } if tag == "first"));
    assert_eq!(
        ack,
        Rec::Ack {
            tag: "first".into(),
            status: sio_result::SIO_OK,
            args: Some(json!([{ "x": "ÿ" }, [1, 2]]))
        }
    );
    server.expect(T, |r| r["type"] == "event" && r["event"] == "ack" && r["ack"] == true);

    let mut reply = std::ptr::null_mut();
    let r = unsafe {
        sio_call(s, cs("ack").as_ptr(), cs(r#"["sync",7]"#).as_ptr(), std::ptr::null(), 0, 5000, &mut reply)
    };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    assert_eq!(json(&text(unsafe { sio_event_args(reply) })), json!(["sync", 7]));
    assert_eq!(text(unsafe { sio_event_name(reply) }), "");
    unsafe { sio_event_free(reply) };

    // An event the server never acknowledges: both forms time out.
    assert_eq!(rec.emit_with_ack(s, "never", "[]", 200, "late"), sio_result::SIO_OK);
    let late = rec.expect(T, "ack timeout", |r| matches!(r, Rec::Ack { tag, .. } if tag == "late"));
    assert_eq!(late, Rec::Ack { tag: "late".into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
    let mut reply = std::ptr::null_mut();
    let r =
        unsafe { sio_call(s, cs("never").as_ptr(), std::ptr::null(), std::ptr::null(), 0, 200, &mut reply) };
    assert_eq!(r, sio_result::SIO_ERR_TIMEOUT);
    assert!(reply.is_null(), "out-parameters are written only on success");
}

#[test]
fn server_acks_answered_in_the_callback() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    emit(s, "ask", r#"["q",{"n":1}]"#);
    let Rec::Event { args, ack, .. } = rec.expect(T, "question", event("/", "question")) else {
        unreachable!()
    };
    assert!(ack, "the server asked for an ack");
    assert_eq!(args, json!(["q", { "n": 1 }]));
    let reply = server.expect(T, |r| r["type"] == "ask_reply" || r["type"] == "ask_timeout");
    assert_eq!(reply["type"], "ask_reply");
    assert_eq!(reply["args"], json!(["q", { "n": 1 }]));
}

#[test]
fn server_acks_answered_later_from_another_thread() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Keep);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    emit(s, "ask", r#"["later"]"#);
    rec.expect(T, "question", event("/", "question"));
    let mut acks = rec.take_acks();
    assert_eq!(acks.len(), 1);
    let ack = acks.pop().unwrap();
    std::thread::spawn(move || {
        let ack = ack;
        // Invalid arguments leave the handle with the caller...
        assert_eq!(
            unsafe { sio_ack_send(ack.0, cs("{not json").as_ptr(), std::ptr::null(), 0) },
            sio_result::SIO_ERR_JSON
        );
        // ...who can then answer properly.
        assert_eq!(
            unsafe {
                sio_ack_send(ack.0, cs(r#"["answered", "from a thread"]"#).as_ptr(), std::ptr::null(), 0)
            },
            sio_result::SIO_OK
        );
    })
    .join()
    .unwrap();
    let reply = server.expect(T, |r| r["type"] == "ask_reply");
    assert_eq!(reply["args"], json!(["answered", "from a thread"]));
}

#[test]
fn server_disconnect_and_transport_close_are_reported() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    rec.expect(T, "connect", is_connect("/"));
    emit(s, "kick", "[]");
    assert_eq!(reason(rec.expect(T, "kick", disconnect_of("/"))), "io server disconnect");
    assert_eq!(client.wait(5000), sio_result::SIO_OK, "no namespace left: the client is closed");

    // The socket can join again after being kicked; then the server closes the connection.
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect_n(T, "second connect", 2, is_connect("/"));
    assert_eq!(client.wait(0), sio_result::SIO_ERR_TIMEOUT, "connected again: the client is open");
    emit(s, "close", "[]");
    rec.expect(
        T,
        "transport close",
        |r| matches!(r, Rec::Disconnect { reason, .. } if reason == "transport close"),
    );
    // A lost connection is opened again (reconnection is on by default) and `/` rejoined.
    rec.expect_n(T, "reconnected", 3, is_connect("/"));
    assert_eq!(client.wait(0), sio_result::SIO_ERR_TIMEOUT, "reconnected: the client is open");
    assert_eq!(unsafe { sio_client_close(client.ptr) }, sio_result::SIO_OK);
    assert_eq!(client.wait(5000), sio_result::SIO_OK);
}

#[test]
fn client_disconnect_and_close() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let root = client.join(&rec, "/", None);
    let a = client.join(&rec, "/a", None);
    rec.expect(T, "connect /", is_connect("/"));
    rec.expect(T, "connect /a", is_connect("/a"));

    assert_eq!(unsafe { sio_socket_disconnect(a) }, sio_result::SIO_OK);
    assert_eq!(reason(rec.expect(T, "leave /a", disconnect_of("/a"))), "io client disconnect");
    server.expect(T, |r| {
        r["type"] == "disconnect" && r["ns"] == "/a" && r["reason"] == "client namespace disconnect"
    });
    // `/` is still connected on the same connection.
    emit(root, "echo", r#"["still here"]"#);
    rec.expect(T, "echo", event("/", "echo"));
    assert_eq!(client.wait(0), sio_result::SIO_ERR_TIMEOUT);

    // An emit on the left namespace is held until it joins again.
    assert_eq!(emit(a, "echo", r#"["held"]"#), sio_result::SIO_OK);
    assert!(server
        .wait_for(Duration::from_millis(300), |r| r["type"] == "event" && r["args"] == json!(["held"]))
        .is_none());
    assert_eq!(unsafe { sio_socket_connect(a) }, sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "event" && r["ns"] == "/a" && r["args"] == json!(["held"]));

    assert_eq!(unsafe { sio_client_close(client.ptr) }, sio_result::SIO_OK);
    assert_eq!(client.wait(5000), sio_result::SIO_OK);
    assert_eq!(reason(rec.expect(T, "close /", disconnect_of("/"))), "io client disconnect");
    rec.expect_n(T, "close /a", 2, disconnect_of("/a"));
    server.expect(T, |r| r["type"] == "disconnect" && r["ns"] == "/");
    // A closed client refuses further work with a code.
    assert_eq!(unsafe { sio_client_close(client.ptr) }, sio_result::SIO_OK, "closing twice is harmless");
    assert_eq!(emit(root, "echo", "[]"), sio_result::SIO_ERR_CLOSED);
    assert_eq!(unsafe { sio_socket_connect(root) }, sio_result::SIO_ERR_CLOSED);
    let mut s = std::ptr::null_mut();
    assert_eq!(
        unsafe { sio_of(client.ptr, cs("/new").as_ptr(), std::ptr::null(), &mut s) },
        sio_result::SIO_ERR_CLOSED
    );
    assert!(last_error().contains("closed"), "{}", last_error());
}

#[test]
fn emits_before_the_connect_reply_are_held_and_sent_in_order() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.of(Some("/b"), None);
    rec.attach(s);
    for i in 0..200 {
        assert_eq!(emit(s, "n", &format!("[{i}]")), sio_result::SIO_OK);
    }
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    for i in 200..400 {
        assert_eq!(emit(s, "n", &format!("[{i}]")), sio_result::SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["args"] == json!([399]));
    let records = server.records();
    let connect_at = records.iter().position(|r| r["type"] == "connect" && r["ns"] == "/b").unwrap();
    let got: Vec<i64> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r["type"] == "event" && r["event"] == "n")
        .map(|(i, r)| {
            assert!(i > connect_at, "an event arrived before the namespace was connected");
            r["args"][0].as_i64().unwrap()
        })
        .collect();
    assert_eq!(got, (0..400).collect::<Vec<_>>(), "every emit arrives once, in order");
    assert_eq!(server.records().iter().filter(|r| r["type"] == "disconnect").count(), 0);
}

#[test]
fn many_server_events_arrive_in_order() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    emit(s, "emit_n", r#"[2000, "tick"]"#);
    rec.expect(T, "done", event("/", "emit_n_done"));
    let ticks: Vec<i64> = rec
        .records()
        .into_iter()
        .filter_map(|r| match r {
            Rec::Event { name, args, .. } if name == "tick" => Some(args[0]["i"].as_i64().unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(ticks, (0..2000).collect::<Vec<_>>());
}

#[test]
fn answers_pings_across_many_cycles() {
    // The server pings every 100 ms and gives up after 200 ms without a pong.
    let server = TestServer::start(&["--ping-interval", "100", "--ping-timeout", "200"]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    rec.expect(T, "connect", is_connect("/"));
    std::thread::sleep(Duration::from_millis(2000)); // ~20 ping cycles
    emit(s, "echo", r#"["alive"]"#);
    rec.expect(T, "echo after many pings", event("/", "echo"));
    assert_eq!(rec.count(|r| matches!(r, Rec::Disconnect { .. })), 0, "{:?}", rec.records());
    assert!(server.records().iter().all(|r| r["type"] != "disconnect"));
}

#[test]
fn a_frozen_server_is_detected_by_the_ping_timeout() {
    let server = TestServer::start(&["--ping-interval", "200", "--ping-timeout", "300"]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    client.join(&rec, "/", None);
    rec.expect(T, "connect", is_connect("/"));
    /// Resumes the server however the test ends, so that it can exit.
    struct Frozen(String);
    impl Drop for Frozen {
        fn drop(&mut self) {
            let _ = std::process::Command::new("kill").args(["-CONT", &self.0]).status();
        }
    }
    let frozen = Frozen(server.pid().to_string());
    assert!(std::process::Command::new("kill").args(["-STOP", &frozen.0]).status().unwrap().success());
    let started = std::time::Instant::now();
    let why = reason(rec.expect(T, "ping timeout", disconnect_of("/")));
    let took = started.elapsed();
    assert_eq!(why, "ping timeout");
    assert!(took <= Duration::from_millis(1500), "declared dead after {took:?}, expected ~500 ms");
    // Once the server runs again the client reconnects by itself.
    drop(frozen);
    rec.expect_n(T, "reconnected", 2, is_connect("/"));
}

#[test]
fn connection_refused_and_connect_timeout_are_connect_errors() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&format!("http://127.0.0.1:{port}"));
    client.join(&rec, "/", None);
    let Rec::ConnectError { message, data, .. } =
        rec.expect(T, "refused", |r| matches!(r, Rec::ConnectError { .. }))
    else {
        unreachable!()
    };
    assert!(message.contains("refused"), "{message}");
    assert_eq!(data, json!(null));
    assert_eq!(client.wait(5000), sio_result::SIO_OK);

    // A server that accepts TCP but never answers (a stall the real server cannot produce).
    let stall = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let opts = sio_options_new();
    unsafe { sio_options_set_connect_timeout(opts, 300) };
    let client =
        Client::connect_with(&format!("http://127.0.0.1:{}", stall.local_addr().unwrap().port()), opts);
    unsafe { sio_options_free(opts) };
    let rec = Recorder::new(AckMode::Echo);
    let started = std::time::Instant::now();
    client.join(&rec, "/", None);
    let Rec::ConnectError { message, .. } =
        rec.expect(T, "timeout", |r| matches!(r, Rec::ConnectError { .. }))
    else {
        unreachable!()
    };
    assert_eq!(message, "timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn reserved_event_names_are_refused() {
    let client = Client::connect("http://127.0.0.1:1");
    let s = client.of(None, None);
    for name in ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"] {
        assert_eq!(emit(s, name, "[]"), sio_result::SIO_ERR_RESERVED_EVENT, "{name}");
        assert!(last_error().contains(name));
        let rec = Recorder::new(AckMode::Echo);
        assert_eq!(rec.emit_with_ack(s, name, "[]", 100, "x"), sio_result::SIO_ERR_RESERVED_EVENT);
        let ud = Arc::into_raw(rec.clone()) as *mut std::ffi::c_void;
        assert_eq!(
            unsafe { sio_on(s, cs(name).as_ptr(), Some(on_event), ud, Some(release)) },
            sio_result::SIO_ERR_RESERVED_EVENT
        );
        assert_eq!(
            rec.finalized.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "refused user data is finalized"
        );
    }
    assert_eq!(emit(s, "connected", "[]"), sio_result::SIO_OK, "only the exact names are reserved");
}

#[test]
fn bad_input_returns_codes_and_messages() {
    use std::ptr::{null, null_mut};
    let mut c = null_mut();
    unsafe {
        assert_eq!(sio_connect(null(), null(), &mut c), sio_result::SIO_ERR_NULL);
        assert!(last_error().contains("url"));
        assert_eq!(sio_connect(cs("http://x").as_ptr(), null(), null_mut()), sio_result::SIO_ERR_NULL);
        let bad_utf8 = c"http://\xff\xfe";
        assert_eq!(sio_connect(bad_utf8.as_ptr().cast(), null(), &mut c), sio_result::SIO_ERR_UTF8);
        assert!(last_error().contains("UTF-8"));
        for url in ["not a url", "ftp://host/", "http://"] {
            assert_eq!(sio_connect(cs(url).as_ptr(), null(), &mut c), sio_result::SIO_ERR_URL, "{url}");
        }
        assert!(c.is_null(), "out-parameters are written only on success");

        let opts = sio_options_new();
        assert_eq!(
            sio_options_add_header(opts, cs("Bad Name").as_ptr(), cs("v").as_ptr()),
            sio_result::SIO_ERR_INVALID
        );
        assert_eq!(
            sio_options_add_header(opts, cs("X").as_ptr(), cs("a\r\nb").as_ptr()),
            sio_result::SIO_ERR_INVALID
        );
        assert_eq!(sio_options_set_connect_timeout(opts, 0), sio_result::SIO_ERR_INVALID);
        assert_eq!(sio_options_set_path(null_mut(), cs("/x").as_ptr()), sio_result::SIO_ERR_NULL);
        sio_options_free(opts);
        sio_options_free(null_mut());

        let client = Client::connect("http://127.0.0.1:1");
        let mut s = null_mut();
        assert_eq!(sio_of(null(), null(), null(), &mut s), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_of(client.ptr, cs("/a,b").as_ptr(), null(), &mut s), sio_result::SIO_ERR_INVALID);
        assert_eq!(sio_of(client.ptr, null(), cs("[1]").as_ptr(), &mut s), sio_result::SIO_ERR_JSON);
        assert_eq!(sio_of(client.ptr, null(), cs("{\"a\":").as_ptr(), &mut s), sio_result::SIO_ERR_JSON);
        assert!(s.is_null());
        let s = client.of(None, None);
        assert_eq!(sio_emit(null(), cs("e").as_ptr(), null(), std::ptr::null(), 0), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_emit(s, null(), null(), std::ptr::null(), 0), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_emit(s, c"\xc3\x28".as_ptr(), null(), std::ptr::null(), 0), sio_result::SIO_ERR_UTF8);
        assert_eq!(
            sio_emit(s, cs("e").as_ptr(), cs("{\"a\":1}").as_ptr(), std::ptr::null(), 0),
            sio_result::SIO_ERR_JSON
        );
        assert!(last_error().contains("array"), "{}", last_error());
        assert_eq!(
            sio_emit(s, cs("e").as_ptr(), cs("[1,]").as_ptr(), std::ptr::null(), 0),
            sio_result::SIO_ERR_JSON
        );
        assert_eq!(
            sio_emit(s, cs("e").as_ptr(), cs("[1] [2]").as_ptr(), std::ptr::null(), 0),
            sio_result::SIO_ERR_JSON
        );
        assert_eq!(
            sio_emit_with_ack(s, cs("e").as_ptr(), null(), std::ptr::null(), 0, 10, None, null_mut()),
            sio_result::SIO_ERR_NULL
        );
        assert_eq!(
            sio_call(s, cs("e").as_ptr(), null(), std::ptr::null(), 0, 10, null_mut()),
            sio_result::SIO_ERR_NULL
        );
        assert_eq!(sio_on(s, null(), None, null_mut(), None), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_socket_connect(null()), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_wait(null(), 0), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_client_close(null()), sio_result::SIO_ERR_NULL);
        assert_eq!(sio_ack_send(null_mut(), null(), std::ptr::null(), 0), sio_result::SIO_ERR_NULL);
        assert!(sio_event_name(null()).is_null());
        assert!(sio_event_args(null()).is_null());
        assert!(sio_event_take_ack(null()).is_null());
        assert_eq!(sio_event_buffer_count(null()), 0);
        let mut len = 7usize;
        assert!(sio_event_buffer(null(), 0, &mut len).is_null());
        assert_eq!(len, 0);
        sio_event_free(null_mut());
        sio_ack_free(null_mut());
        sio_client_free(null_mut());
        assert_eq!(
            text(sio_result_str(sio_result::SIO_ERR_JSON as i32)),
            "SIO_ERR_JSON: invalid JSON argument"
        );
        assert_eq!(text(sio_result_str(9999)), "unknown result code");
        // A client with no namespace joined is closed: waiting returns at once.
        assert_eq!(client.wait(-1), sio_result::SIO_OK);
    }
}

#[test]
fn binary_attachments_from_the_server_are_reassembled_by_num() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    // [text, {"a": <01 02 03>, "b": [<empty>]}, <ff x 100000>]
    let big = vec![0xffu8; 100_000];
    let args = json!(["text", { "a": { "_binary": b64(&[1, 2, 3]) }, "b": [{ "_binary": "" }] }, { "_binary": b64(&big) }]);
    assert_eq!(emit(s, "binary", &args.to_string()), sio_result::SIO_OK);
    let Rec::Event { args, buffers, .. } = rec.expect(T, "binary", event("/", "binary")) else {
        unreachable!()
    };
    let ph = |n: usize| json!({ "_placeholder": true, "num": n });
    assert_eq!(args, json!(["text", { "a": ph(0), "b": [ph(1)] }, ph(2)]));
    assert_eq!(buffers, vec![vec![1, 2, 3], vec![], big]);
}

fn buf(bytes: &[u8]) -> sio_buffer {
    sio_buffer { data: bytes.as_ptr(), len: bytes.len() }
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

#[test]
fn binary_arguments_both_ways_through_the_c_abi() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Keep);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    let big: Vec<u8> = (0..500_000u32).map(|i| (i % 251) as u8).collect();
    let bufs = [buf(&[1, 2, 3]), buf(&[]), buf(&big)];
    let ph = |n: usize| json!({ "_placeholder": true, "num": n });
    // Placeholders anywhere, in any order: nested, in an object, and buffer 1 (empty) first.
    let args = json!([ph(1), { "file": { "data": ph(2), "name": "x" } }, [ph(0)]]).to_string();
    let r = unsafe { sio_emit(s, cs("echo").as_ptr(), cs(&args).as_ptr(), bufs.as_ptr(), bufs.len()) };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    let got = server.expect(T, |r| r["type"] == "event" && r["event"] == "echo");
    let bin = |bytes: &[u8]| json!({ "_binary": b64(bytes) });
    assert_eq!(
        got["args"],
        json!([bin(&[]), { "file": { "data": bin(&big), "name": "x" } }, [bin(&[1, 2, 3])]])
    );
    // The server's echo comes back as a binary event.
    let Rec::Event { args: back, buffers, .. } = rec.expect(T, "echo", event("/", "echo")) else {
        unreachable!()
    };
    let nums: Vec<usize> = sio::socketio::binary::placeholders(&back.to_string()).unwrap();
    let by_position: Vec<&Vec<u8>> = nums.iter().map(|&n| &buffers[n]).collect();
    assert_eq!(by_position, vec![&vec![], &big, &vec![1u8, 2, 3]]);

    // Binary in an ack reply (blocking call).
    let mut reply = std::ptr::null_mut();
    let one = [buf(b"\x00\xffpayload")];
    let r = unsafe {
        sio_call(
            s,
            cs("ack").as_ptr(),
            cs(&json!(["k", ph(0)]).to_string()).as_ptr(),
            one.as_ptr(),
            1,
            5000,
            &mut reply,
        )
    };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    assert_eq!(json(&text(unsafe { sio_event_args(reply) })), json!(["k", ph(0)]));
    assert_eq!(unsafe { sio_event_buffer_count(reply) }, 1);
    let mut len = 0;
    let p = unsafe { sio_event_buffer(reply, 0, &mut len) };
    assert_eq!(unsafe { std::slice::from_raw_parts(p, len) }, b"\x00\xffpayload");
    unsafe { sio_event_free(reply) };

    // Binary in our answer to the server's ack request.
    emit(s, "ask", r#"["send me bytes"]"#);
    rec.expect(T, "question", event("/", "question"));
    let ack = rec.take_acks().pop().unwrap();
    let two = [buf(b"ab"), buf(b"cd")];
    let r = unsafe { sio_ack_send(ack.0, cs(&json!([ph(1), ph(0)]).to_string()).as_ptr(), two.as_ptr(), 2) };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    let reply = server.expect(T, |r| r["type"] == "ask_reply");
    assert_eq!(reply["args"], json!([bin(b"cd"), bin(b"ab")]));

    // Placeholders that do not match the buffers are refused before anything is sent.
    let r = unsafe {
        sio_emit(s, cs("echo").as_ptr(), cs(&json!([ph(1)]).to_string()).as_ptr(), one.as_ptr(), 1)
    };
    assert_eq!(r, sio_result::SIO_ERR_JSON);
    let r = unsafe { sio_emit(s, cs("echo").as_ptr(), cs("[]").as_ptr(), one.as_ptr(), 1) };
    assert_eq!(r, sio_result::SIO_ERR_JSON);
    assert!(last_error().contains("not referenced"), "{}", last_error());
    let r = unsafe { sio_emit(s, cs("echo").as_ptr(), cs("[]").as_ptr(), std::ptr::null(), 2) };
    assert_eq!(r, sio_result::SIO_ERR_NULL);
}

#[test]
fn the_default_ack_timeout_applies_to_emits_without_their_own() {
    let server = TestServer::start(&[]);
    // Without a default, a negative timeout means none: the reply still comes.
    let rec = Recorder::new(AckMode::Echo);
    let client = Client::connect(&server.url());
    let s = client.join(&rec, "/", None);
    let mut reply = std::ptr::null_mut();
    let r =
        unsafe { sio_call(s, cs("ack").as_ptr(), cs("[3]").as_ptr(), std::ptr::null(), 0, -1, &mut reply) };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    unsafe { sio_event_free(reply) };

    let opts = sio_options_new();
    unsafe { assert_eq!(sio_options_set_ack_timeout(opts, 200), sio_result::SIO_OK) };
    let client = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    let rec = Recorder::new(AckMode::Echo);
    let s = client.join(&rec, "/", None);
    let started = std::time::Instant::now();
    assert_eq!(rec.emit_with_ack(s, "never", "[]", -1, "default"), sio_result::SIO_OK);
    let r = rec.expect(T, "timeout", |r| matches!(r, Rec::Ack { tag, .. } if tag == "default"));
    assert_eq!(r, Rec::Ack { tag: "default".into(), status: sio_result::SIO_ERR_TIMEOUT, args: None });
    assert!(started.elapsed() < Duration::from_secs(3));
    let mut reply = std::ptr::null_mut();
    let r =
        unsafe { sio_call(s, cs("never").as_ptr(), std::ptr::null(), std::ptr::null(), 0, -1, &mut reply) };
    assert_eq!(r, sio_result::SIO_ERR_TIMEOUT);
    // A timeout of its own wins over the default.
    let r =
        unsafe { sio_call(s, cs("ack").as_ptr(), cs("[4]").as_ptr(), std::ptr::null(), 0, 5000, &mut reply) };
    assert_eq!(r, sio_result::SIO_OK);
    unsafe { sio_event_free(reply) };
}
