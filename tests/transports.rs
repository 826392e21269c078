//! The same session over each transport: WebSocket only, long-polling only, and polling
//! upgraded to WebSocket (`auto`), against the real socket.io server.

mod common;

use std::time::Duration;

use common::capi::*;
use common::TestServer;
use serde_json::json;
use sio::ffi::sio_transport::*;
use sio::ffi::*;

fn client(server: &TestServer, transport: sio_transport) -> Client {
    let opts = sio_options_new();
    unsafe { assert_eq!(sio_options_set_transport(opts, transport as i32), sio_result::SIO_OK) };
    let c = Client::connect_with(&server.url(), opts);
    unsafe { sio_options_free(opts) };
    c
}

fn event<'a>(name: &'a str) -> impl Fn(&Rec) -> bool + 'a {
    move |r| matches!(r, Rec::Event { name: e, .. } if e == name)
}

/// Namespaces, events both ways (text and binary), acks both ways, then a clean close.
fn exercise(server: &TestServer, transport: sio_transport) {
    let rec = Recorder::new(AckMode::Echo);
    let c = client(server, transport);
    let s = c.join(&rec, "/", None);
    let a = c.join(&rec, "/a", None);
    rec.expect(
        T,
        "welcome /a",
        |r| matches!(r, Rec::Event { ns, name, .. } if ns == "/a" && name == "welcome"),
    );
    let args = json!(["ünïcödé 🎉 中文", { "n": [1, 2.5, null] }]);
    assert_eq!(emit(a, "echo", &args.to_string()), sio_result::SIO_OK);
    let Rec::Event { args: back, .. } = rec.expect(T, "echo", event("echo")) else { unreachable!() };
    assert_eq!(back, args);
    // Many emits in a row: batched into POSTs on polling, all in order.
    for i in 0..100 {
        assert_eq!(emit(s, "n", &format!("[{i}]")), sio_result::SIO_OK);
    }
    server.expect(T, |r| r["type"] == "event" && r["args"] == json!([99]));
    let got = server.event_numbers("n");
    assert_eq!(got, (0..100).collect::<Vec<_>>());
    // Binary both ways, with an ack.
    let data = [7u8, 0, 255];
    let bufs = [sio_buffer { data: data.as_ptr(), len: data.len() }];
    let mut reply = std::ptr::null_mut();
    let r = unsafe {
        sio_call(
            s,
            cs("binary").as_ptr(),
            cs(r#"[{"_placeholder":true,"num":0}]"#).as_ptr(),
            bufs.as_ptr(),
            1,
            5000,
            &mut reply,
        )
    };
    assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
    assert_eq!(unsafe { sio_event_buffer_count(reply) }, 1);
    unsafe { sio_event_free(reply) };
    server.expect(T, |r| {
        r["type"] == "event" && r["event"] == "binary" && r["args"] == json!([{ "_binary": "BwD/" }])
    });
    let Rec::Event { buffers, .. } = rec.expect(T, "binary", event("binary")) else { unreachable!() };
    assert_eq!(buffers, vec![data.to_vec()]);
    // The server asks, we answer.
    emit(s, "ask", r#"["q"]"#);
    let reply = server.expect(T, |r| r["type"] == "ask_reply" || r["type"] == "ask_timeout");
    assert_eq!(reply["args"], json!(["q"]));
    // Clean close.
    assert_eq!(unsafe { sio_client_close(c.ptr) }, sio_result::SIO_OK);
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    server.expect(T, |r| r["type"] == "disconnect" && r["ns"] == "/a");
}

#[test]
fn websocket_only() {
    let server = TestServer::start(&[]);
    exercise(&server, SIO_TRANSPORT_WEBSOCKET);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "websocket");
    assert!(server.records().iter().all(|r| r["type"] != "upgrade"));
}

#[test]
fn polling_only() {
    let server = TestServer::start(&[]);
    exercise(&server, SIO_TRANSPORT_POLLING);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling");
    assert!(server.records().iter().all(|r| r["type"] != "upgrade"), "polling only must never upgrade");
}

#[test]
fn auto_starts_with_polling_and_upgrades() {
    let server = TestServer::start(&[]);
    exercise(&server, SIO_TRANSPORT_AUTO);
    let engine = server.expect(T, |r| r["type"] == "engine_connection");
    assert_eq!(engine["transport"], "polling");
    server.expect(T, |r| r["type"] == "upgrade" && r["transport"] == "websocket");
}

#[test]
fn polling_keeps_the_session_across_many_ping_cycles() {
    let server = TestServer::start(&["--ping-interval", "100", "--ping-timeout", "200"]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server, SIO_TRANSPORT_POLLING);
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    std::thread::sleep(Duration::from_millis(1500));
    emit(s, "echo", r#"["alive"]"#);
    rec.expect(T, "echo", event("echo"));
    assert_eq!(rec.count(|r| matches!(r, Rec::Disconnect { .. })), 0, "{:?}", rec.records());
    assert!(server.records().iter().all(|r| r["type"] != "disconnect"));
}

#[test]
fn polling_server_close_and_kick_are_reported() {
    let server = TestServer::start(&[]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server, SIO_TRANSPORT_POLLING);
    let s = c.join(&rec, "/", None);
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    emit(s, "kick", "[]");
    let r = rec.expect(T, "kick", |r| matches!(r, Rec::Disconnect { .. }));
    assert_eq!(r, Rec::Disconnect { ns: "/".into(), reason: "io server disconnect".into() });
    assert_eq!(c.wait(5000), sio_result::SIO_OK);
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    rec.expect_n(T, "connect again", 2, |r| matches!(r, Rec::Connect { .. }));
    emit(s, "close", "[]");
    let r = rec.expect_n(T, "close", 2, |r| matches!(r, Rec::Disconnect { .. }));
    assert_eq!(r, Rec::Disconnect { ns: "/".into(), reason: "transport close".into() });
}

#[test]
fn cookies_set_by_the_server_are_sent_back_on_every_request_and_the_upgrade() {
    // Auto: the handshake, then the upgrade; polling only: the handshake, then GETs and POSTs.
    for (transport, later) in [(SIO_TRANSPORT_AUTO, "websocket"), (SIO_TRANSPORT_POLLING, "polling")] {
        let server = TestServer::start(&["--cookie"]);
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport);
        let s = c.join(&rec, "/", None);
        rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
        if transport == SIO_TRANSPORT_AUTO {
            server.expect(T, |r| r["type"] == "upgrade");
        }
        emit(s, "echo", "[1]");
        rec.expect(T, "echo", event("echo"));
        let requests: Vec<_> = server.records().into_iter().filter(|r| r["type"] == "request").collect();
        let sid = server.expect(T, |r| r["type"] == "engine_connection");
        assert!(requests.len() >= 2, "{requests:?}");
        // The handshake sets the cookie; every later request sends it.
        assert_eq!(requests[0]["cookie"], json!(null));
        for r in &requests[1..] {
            let cookie = r["cookie"].as_str().unwrap_or_default();
            assert!(cookie.starts_with("io="), "{r} (engine connection {sid})");
        }
        assert!(requests[1..].iter().any(|r| r["transport"] == later), "{requests:?}");
        if transport == SIO_TRANSPORT_POLLING {
            assert!(requests.iter().any(|r| r["method"] == "POST"), "{requests:?}");
        }
    }
}

#[test]
fn a_ten_mebibyte_buffer_goes_both_ways_over_each_transport() {
    let server = TestServer::start(&["--max-buffer", "30000000"]);
    let big: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    for transport in [SIO_TRANSPORT_WEBSOCKET, SIO_TRANSPORT_POLLING] {
        let rec = Recorder::new(AckMode::Echo);
        let c = client(&server, transport);
        let s = c.join(&rec, "/", None);
        let bufs = [
            sio_buffer { data: big.as_ptr(), len: big.len() },
            sio_buffer { data: std::ptr::null(), len: 0 },
        ];
        let mut reply = std::ptr::null_mut();
        let args = cs(r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#);
        let r =
            unsafe { sio_call(s, cs("binary").as_ptr(), args.as_ptr(), bufs.as_ptr(), 2, 30000, &mut reply) };
        assert_eq!(r, sio_result::SIO_OK, "{}", last_error());
        let mut len = 0;
        let p = unsafe { sio_event_buffer(reply, 0, &mut len) };
        assert_eq!(len, big.len());
        assert!(unsafe { std::slice::from_raw_parts(p, len) } == big.as_slice(), "10 MiB came back intact");
        let p = unsafe { sio_event_buffer(reply, 1, &mut len) };
        assert!(!p.is_null() && len == 0, "an empty buffer is an empty buffer, not a missing one");
        unsafe { sio_event_free(reply) };
    }
}

#[test]
fn a_failed_upgrade_probe_stays_on_polling_with_nothing_lost() {
    let server = TestServer::start(&["--break-websocket"]);
    let rec = Recorder::new(AckMode::Echo);
    let c = client(&server, SIO_TRANSPORT_AUTO);
    let s = c.of(Some("/"), None);
    rec.attach(s);
    for i in 0..20 {
        emit(s, "n", &format!("[{i}]"));
    }
    assert_eq!(unsafe { sio_socket_connect(s) }, sio_result::SIO_OK);
    for i in 20..40 {
        emit(s, "n", &format!("[{i}]"));
    }
    rec.expect(T, "connect", |r| matches!(r, Rec::Connect { .. }));
    server.expect(T, |r| r["type"] == "websocket_refused");
    server.expect(T, |r| r["type"] == "event" && r["args"] == json!([39]));
    let got = server.event_numbers("n");
    assert_eq!(got, (0..40).collect::<Vec<_>>(), "every emit once, in order");
    emit(s, "echo", r#"["still polling"]"#);
    rec.expect(T, "echo", event("echo"));
    assert!(server.records().iter().all(|r| r["type"] != "upgrade"));
    assert_eq!(
        server.records().iter().filter(|r| r["type"] == "engine_connection").count(),
        1,
        "one session"
    );
}
